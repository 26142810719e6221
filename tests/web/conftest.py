"""The console on a real app and database (SQLite): the claims world and the repairs world of the API tests,
plus browsers — one TestClient per person, each with its own cookie jar, signed in through the login form."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from shouhou.accounts import sessions
from shouhou.accounts.roles import SYSTEM
from shouhou.api.app import create_app
from shouhou.config import Settings
from shouhou.notify import RecordingNotifier
from shouhou.runtime import ManualClock, Runtime
from tests.api.conftest import World, settings_for
from tests.api.conftest import populate as populate_claims
from tests.repairs.conftest import RepairWorld
from tests.repairs.conftest import populate as populate_repairs
from tests.web.live import PASSWORD, chromium, live  # noqa: F401 - fixtures for the browser stories

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """One person's browser: cookies persist, forms are posted with the token read from the page."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last = ""

    def get(self, url: str, **kw: Any) -> httpx.Response:
        r = self.client.get(url, **kw)
        if r.headers.get("content-type", "").startswith("text/html"):
            self.last = r.text
        return r

    def submit(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        files: Any = None,
        follow: bool = True,
    ) -> httpx.Response:
        """Post a form the way the browser would: with the CSRF token of the page it was on."""
        source = self.get(page).text if page else self.last
        body = {"csrf_token": csrf_of(source), **(data or {})}
        r = self.client.post(url, data=body, files=files, follow_redirects=follow)
        if r.headers.get("content-type", "").startswith("text/html"):
            self.last = r.text
        return r


@dataclass
class WebWorld:
    rt: Runtime
    app: Any
    clock: ManualClock
    api: World
    repairs: RepairWorld

    def browser(self, username: str | None = None) -> Browser:
        b = Browser(TestClient(self.app, base_url="http://testserver"))
        if username:
            sessions.set_password(self.rt, actor=SYSTEM, user_id=self.api.ids[username], password=PASSWORD)
            b.get("/login")
            r = b.submit("/login", {"username": username, "password": PASSWORD}, follow=False)
            assert r.status_code == 303, r.text
        return b


START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Template:
    """The two worlds built once per session; each test gets a copy of their files (database, evidence)."""

    root: Path
    settings: Settings
    tokens: dict[str, str]
    ids: dict[str, str]


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("web-template")
    settings = settings_for(root / "home", f"sqlite:///{root / 'web.db'}")
    clock = ManualClock(START)
    rt = Runtime.open(settings, clock=clock)
    notifier = RecordingNotifier()
    rt.notifier = notifier
    with TestClient(create_app(rt, background=False)) as client:
        api = World(rt=rt, client=client, clock=clock)
        populate_claims(api)
        repairs = RepairWorld(
            rt=rt, client=client, clock=clock, notifier=notifier, tokens=api.tokens, ids=api.ids
        )
        populate_repairs(repairs)
    rt.close()
    return Template(root=root, settings=settings, tokens=dict(api.tokens), ids=dict(api.ids))


@pytest.fixture
def web(tmp_path: Path, web_template: Template) -> Iterator[WebWorld]:
    home = tmp_path / "home"
    shutil.copytree(web_template.root / "home", home)
    for suffix in ("", "-wal", "-shm"):
        source = web_template.root / f"web.db{suffix}"
        if source.exists():
            shutil.copyfile(source, tmp_path / f"web.db{suffix}")
    settings = web_template.settings.model_copy(
        update={"home": home, "database_url": f"sqlite:///{tmp_path / 'web.db'}"}
    )
    clock = ManualClock(START)
    rt = Runtime.open(settings, clock=clock)
    rt.notifier = notifier = RecordingNotifier()
    app = create_app(rt, background=False)
    with TestClient(app) as client:
        api = World(
            rt=rt, client=client, clock=clock, tokens=dict(web_template.tokens), ids=dict(web_template.ids)
        )
        repairs = RepairWorld(
            rt=rt, client=client, clock=clock, notifier=notifier, tokens=api.tokens, ids=api.ids
        )
        yield WebWorld(rt=rt, app=app, clock=clock, api=api, repairs=repairs)
    rt.close()
