"""`shouhou users password` and `shouhou users create --password/--password-stdin`: console passwords set from
the command line (hidden prompt typed twice, or stdin), audited as the system, and good for signing in."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhou.accounts import service, sessions
from shouhou.cli.app import app
from shouhou.errors import Unauthenticated
from shouhou.runtime import Runtime

PASSWORD = "a console password 7"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _signs_in(username: str, password: str) -> bool:
    rt = Runtime.open()
    try:
        sessions.sign_in(rt, username=username, password=password, record=False)
        return True
    except Unauthenticated:
        return False
    finally:
        rt.close()


def test_users_password_sets_a_password_that_signs_in_and_is_audited(home: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["users", "create", "ops", "--role", "admin"])
    assert r.exit_code == 0, r.output
    assert not _signs_in("ops", PASSWORD)
    r = runner.invoke(app, ["users", "password", "ops"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output  # the prompt hides what is typed
    assert _signs_in("ops", PASSWORD)
    rt = Runtime.open()
    try:
        user = service.user_by_username(rt, username="ops")
        with rt.uow(write=False) as uow:
            rows, _total = uow.audit.newest(action="user.password_set", subject=user.id, offset=0, limit=5)
        assert [e.actor for e in rows] == ["system"]
        assert PASSWORD.encode() not in (home / "shouhou.db").read_bytes()
    finally:
        rt.close()
    # A new password replaces it; read from stdin for scripts.
    r = runner.invoke(app, ["users", "password", "ops", "--password-stdin"], input="another password 8\n")
    assert r.exit_code == 0, r.output
    assert _signs_in("ops", "another password 8") and not _signs_in("ops", PASSWORD)


def test_users_password_refuses_a_mismatch_a_short_one_and_an_unknown_user(home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["users", "create", "ops", "--role", "admin"]).exit_code == 0
    r = runner.invoke(app, ["users", "password", "ops"], input=f"{PASSWORD}\nsomething else\n")
    assert r.exit_code != 0 and not _signs_in("ops", PASSWORD)
    r = runner.invoke(app, ["users", "password", "ops", "--password-stdin"], input="short\n")
    assert r.exit_code != 0 and "at least 10" in str(r.exception)
    r = runner.invoke(app, ["users", "password", "nobody", "--password-stdin"], input=f"{PASSWORD}\n")
    assert r.exit_code != 0 and "not found" in str(r.exception)


def test_users_create_with_a_password(home: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["users", "create", "sup", "--role", "supervisor", "--password"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1].startswith("shh_")
    assert _signs_in("sup", PASSWORD)
    r = runner.invoke(
        app, ["users", "create", "sup2", "--role", "agent", "--password-stdin"], input="short\n"
    )
    assert r.exit_code != 0
    rt = Runtime.open()
    try:
        with rt.uow(write=False) as uow:
            assert uow.users.by_username(username="sup2") is None  # refused before the user was made
    finally:
        rt.close()
    r = runner.invoke(
        app, ["users", "create", "sup2", "--role", "agent", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert r.exit_code == 0, r.output
    assert _signs_in("sup2", PASSWORD)
