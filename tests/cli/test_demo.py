"""The end of `shouhou demo`: the console's address and one sign-in per role, with passwords that are new on
every run (the earlier ones stop working) and that sign in to the console as that role."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from shouhou.accounts import sessions
from shouhou.accounts.roles import Role
from shouhou.api.app import create_app
from shouhou.cli.demo import _print_sign_ins
from shouhou.demo import claims, repairs
from shouhou.errors import Unauthenticated
from shouhou.runtime import Runtime
from shouhou.web.render import HOME

SIGN_IN = re.compile(r"^  (\w+)\s+(demo-\S+)\s+([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$", re.MULTILINE)


def _printed() -> tuple[str, dict[str, tuple[str, str]]]:
    out = io.StringIO()
    _print_sign_ins(Console(file=out, width=200))
    text = out.getvalue()
    return text, {role: (user, password) for role, user, password in SIGN_IN.findall(text)}


def test_the_demo_ends_with_the_console_and_a_working_sign_in_for_every_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path / "home"))
    rt = Runtime.open()
    try:
        assert claims.load(rt).loaded and repairs.load(rt).loaded
    finally:
        rt.close()
    text, first = _printed()
    assert "http://127.0.0.1:8000/" in text and "`.venv/bin/shouhou serve`" in text
    assert set(first) == {r.value for r in Role}
    assert text.rstrip().endswith(first["supervisor"][1])  # the sign-ins are the last thing printed
    _text, second = _printed()  # the demo run a second time, on the data already loaded
    assert {r: u for r, (u, _p) in second.items()} == {r: u for r, (u, _p) in first.items()}

    rt = Runtime.open()
    try:
        for role, (username, password) in second.items():
            assert password != first[role][1]
            with pytest.raises(Unauthenticated):
                sessions.sign_in(rt, username=username, password=first[role][1], record=False)
            assert (
                sessions.sign_in(rt, username=username, password=password, record=False).principal.role
                == role
            )
        # Through the console's own sign-in form: each lands on its role's home page.
        with TestClient(create_app(rt, background=False)) as client:
            for role, (username, password) in second.items():
                client.cookies.clear()
                page = client.get("/login").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', page)
                assert token
                r = client.post(
                    "/login",
                    data={"csrf_token": token.group(1), "username": username, "password": password},
                    follow_redirects=False,
                )
                assert r.status_code == 303 and r.headers["location"] == HOME[Role(role)], (role, r.text)
    finally:
        rt.close()
