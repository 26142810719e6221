"""A live console for browser stories: the real app served by uvicorn on a free port (worker and
scheduler running in-process, as `shouhou serve` runs them), Debian's chromium driven by Playwright, a
screenshot per step."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image

from shouhou.accounts import sessions
from shouhou.accounts.roles import SYSTEM
from shouhou.api.app import create_app
from shouhou.notify import RecordingNotifier
from shouhou.runtime import ManualClock, Runtime
from tests.api.conftest import World, settings_for
from tests.api.conftest import populate as populate_claims
from tests.repairs.conftest import RepairWorld
from tests.repairs.conftest import populate as populate_repairs

PASSWORD = "correct horse battery"
CHROMIUM = os.environ.get("SHOUHOU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "stories"
# Flags for a closed network (no background connections) and a root user in a container.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def require_chromium() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def not_blank(path: Path) -> None:
    """A screenshot is blank when (nearly) every pixel has the page's background colour."""
    with Image.open(path) as im:
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    foreground = 1.0 - counts.max() / len(pixels)
    assert len(colours) > 16 and foreground > 0.01, (
        f"{path.name}: blank ({len(colours)} colours, {foreground:.3%})"
    )


@dataclass
class Live:
    url: str
    rt: Runtime
    api: World
    repairs: RepairWorld
    notifier: RecordingNotifier
    story: str = ""
    steps: list[Path] = field(default_factory=list)
    with_password: set[str] = field(default_factory=set)

    def password(self, username: str) -> str:
        """Set once: setting a password ends the user's other sessions."""
        if username in self.with_password:
            return PASSWORD
        self.with_password.add(username)
        sessions.set_password(self.rt, actor=SYSTEM, user_id=self.api.ids[username], password=PASSWORD)
        return PASSWORD

    def shot(self, page: Any, name: str) -> Path:
        folder = ARTIFACTS / self.story
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{len(self.steps) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        not_blank(path)
        self.steps.append(path)
        return path

    def sign_in(self, page: Any, username: str) -> None:
        self.password(username)
        page.goto(self.url + "/login")
        page.get_by_label(re.compile("用户名|Username")).fill(username)
        page.get_by_label(re.compile("^(密码|Password)$")).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("登录|Sign in")).click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{username} could not sign in"

    def sign_out(self, page: Any) -> None:
        page.get_by_role("button", name=re.compile("退出登录|Sign out")).click()
        page.wait_for_url(re.compile(r"/login"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    rt = Runtime.open(settings_for(tmp_path / "home", f"sqlite:///{tmp_path / 'live.db'}"))
    rt.notifier = notifier = RecordingNotifier()
    app = create_app(rt, background=True)
    setup = TestClient(app)  # no lifespan: requests only, to load the worlds through the API
    clock = ManualClock(
        datetime.now(UTC)
    )  # the worlds' helpers want one; the live app runs on the real clock
    api = World(rt=rt, client=setup, clock=clock)
    populate_claims(api)
    repairs = RepairWorld(rt=rt, client=setup, clock=clock, notifier=notifier, tokens=api.tokens, ids=api.ids)
    populate_repairs(repairs)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", rt=rt, api=api, repairs=repairs, notifier=notifier)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        rt.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
