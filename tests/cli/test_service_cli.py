"""`shouhou users create` and `shouhou claims rescreen` on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhou.accounts.service import authenticate
from shouhou.cli.app import app
from shouhou.runtime import Runtime


def test_users_create_prints_a_working_token_once_and_rescreen_queues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    r = runner.invoke(app, ["users", "create", "ops", "--role", "admin"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("shh_")
    rt = Runtime.open()
    try:
        assert authenticate(rt, token).username == "ops"
        db_bytes = (tmp_path / "home" / "shouhou.db").read_bytes()
        assert token.encode() not in db_bytes  # only its hash is stored
    finally:
        rt.close()
    again = runner.invoke(app, ["users", "create", "ops", "--role", "admin"])
    assert again.exit_code != 0 and "exists" in str(again.exception)
    r = runner.invoke(app, ["claims", "rescreen", "--run"])
    assert r.exit_code == 0, r.output
    assert "queued re-screening of 0 claim(s)" in r.stdout
