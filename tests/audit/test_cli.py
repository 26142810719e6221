"""`shouhou audit verify|checkpoint` through Typer's runner on a SQLite home tampered with through sqlite3.

(The lead registers this group in cli/app.py as `shouhou audit`; the group's own app is invoked here.)
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhou.cli.audit import EXIT_TAMPERED, app
from shouhou.config import Settings
from shouhou.privacy.keys import load_keys
from shouhou.storage.audit_repo import AuditRepository
from shouhou.storage.db import Database
from shouhou.storage.migrate import upgrade

runner = CliRunner()
T0 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("SHOUHOU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path))
    settings = Settings()
    db = Database(settings.database_url_or_default)
    upgrade(db)
    with db.session(write=True) as s:
        repo = AuditRepository(s, load_keys(settings).audit)
        for n in range(1, 6):
            repo.append(
                at=T0 + timedelta(minutes=n),
                actor="user:reviewer",
                action="claim.decide",
                subject_type="claim",
                subject_id=f"c{n}",
                detail={"n": n},
            )
        s.commit()
    db.dispose()
    return tmp_path


def tamper(home: Path, *statements: str) -> None:
    with closing(sqlite3.connect(home / "shouhou.db")) as conn, conn:
        for statement in statements:
            conn.execute(statement)


def test_verify_reports_ok(home: Path) -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "audit log OK: 5 entries, head seq 5, 0 checkpoints"


def test_checkpoint_prints_one_line_and_appends_it(home: Path) -> None:
    result = runner.invoke(app, ["checkpoint"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"seq=5 mac=[0-9a-f]{64} at=\S+\+00:00", result.stdout.strip())
    assert len(Settings().audit_checkpoint_file.read_text("ascii").splitlines()) == 1
    again = runner.invoke(app, ["checkpoint"])
    assert again.stdout == result.stdout  # unchanged head: the same checkpoint, no second line
    assert len(Settings().audit_checkpoint_file.read_text("ascii").splitlines()) == 1
    verified = runner.invoke(app, ["verify"])
    assert verified.stdout.strip() == "audit log OK: 5 entries, head seq 5, 1 checkpoints"


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["UPDATE audit_log SET detail = '{\"n\": 99}' WHERE seq = 3"], "seq 3: altered"),
        (["DELETE FROM audit_log WHERE seq = 3"], "seq 4: gap in seq"),
        (
            [
                "DELETE FROM audit_log WHERE seq > 2",
                "UPDATE audit_head SET seq = 2, mac = (SELECT mac FROM audit_log WHERE seq = 2)",
            ],
            "seq 3: tail deleted",
        ),
    ],
    ids=["altered-row", "deleted-middle-row", "deleted-tail"],
)
def test_verify_exits_4_after_tampering(home: Path, statements: list[str], expected: str) -> None:
    assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    assert runner.invoke(app, ["verify"]).exit_code == 0
    tamper(home, *statements)
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == EXIT_TAMPERED == 4
    assert result.stdout.splitlines()[0].startswith(expected), result.stdout
    assert "does NOT verify" in result.stderr


def test_checkpoint_exits_4_over_a_deleted_tail(home: Path) -> None:
    assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    tamper(
        home,
        "DELETE FROM audit_log WHERE seq > 2",
        "UPDATE audit_head SET seq = 2, mac = (SELECT mac FROM audit_log WHERE seq = 2)",
    )
    result = runner.invoke(app, ["checkpoint"])
    assert result.exit_code == 4
    assert "entries were deleted" in result.stderr
