"""verify() and checkpoint() against a real database whose rows are tampered with through plain SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shouhou.audit import service
from shouhou.audit.chain import GENESIS, ProblemKind, VerifyReport, canonical, compute_mac
from shouhou.audit.checkpoint import append_checkpoint, read_checkpoints
from shouhou.errors import AuditTampered
from shouhou.storage.audit_repo import AuditRepository
from shouhou.storage.db import Database
from shouhou.storage.tables import AuditEntry, AuditHead

KEY = b"audit-key-for-tests-0123456789ab"
T0 = datetime(2026, 11, 23, 8, 30, 0, 250000, tzinfo=UTC)


@pytest.fixture
def cp_file(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "checkpoints.log"


def fill(db: Database, first: int, last: int) -> None:
    with db.session(write=True) as s:
        repo = AuditRepository(s, KEY)
        for n in range(first, last + 1):
            repo.append(
                at=T0 + timedelta(minutes=n),
                actor="user:reviewer",
                action="claim.decide",
                subject_type="claim",
                subject_id=f"c{n}",
                detail={"n": n, "decision": "退款"},
            )
        s.commit()


def sql(db: Database, statement: str, **params: Any) -> None:
    """What someone with write access to the database (but not the audit key) can do."""
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def json_param(db: Database) -> str:
    return "CAST(:d AS JSON)" if db.dialect == "postgresql" else ":d"


def rewind_head(db: Database, seq: int) -> None:
    with db.engine.begin() as conn:
        mac = conn.execute(text("SELECT mac FROM audit_log WHERE seq = :s"), {"s": seq}).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = :s, mac = :m"), {"s": seq, "m": mac})


def kinds(report: VerifyReport) -> list[tuple[ProblemKind, int | None]]:
    return [(p.kind, p.seq) for p in report.problems]


def test_clean_chain_verifies(database: Database, cp_file: Path) -> None:
    fill(database, 1, 10)
    service.checkpoint(database, KEY, cp_file, now=T0)
    report = service.verify(database, KEY, cp_file)
    assert report.ok, report.problems
    assert (report.entries, report.head_seq, report.checkpoints) == (10, 10, 1)


def test_empty_log_verifies(database: Database, cp_file: Path) -> None:
    report = service.verify(database, KEY, cp_file)
    assert report.ok
    assert (report.entries, report.head_seq, report.head_mac) == (0, 0, GENESIS)


def test_updated_detail_is_reported_as_altered(database: Database, cp_file: Path) -> None:
    fill(database, 1, 10)
    sql(
        database,
        f"UPDATE audit_log SET detail = {json_param(database)} WHERE seq = 4",
        d=json.dumps({"n": 4, "decision": "驳回"}),
    )
    assert kinds(service.verify(database, KEY, cp_file)) == [(ProblemKind.ALTERED, 4)]


def test_updated_time_is_reported_as_altered(database: Database, cp_file: Path) -> None:
    fill(database, 1, 5)
    # Copied from the next row, so the value is in exactly the form the application stores.
    sql(database, "UPDATE audit_log SET at = (SELECT at FROM audit_log WHERE seq = 3) WHERE seq = 2")
    assert kinds(service.verify(database, KEY, cp_file)) == [(ProblemKind.ALTERED, 2)]


def test_deleted_middle_row_is_reported(database: Database, cp_file: Path) -> None:
    fill(database, 1, 10)
    sql(database, "DELETE FROM audit_log WHERE seq = 5")
    report = service.verify(database, KEY, cp_file)
    assert kinds(report) == [(ProblemKind.SEQ_GAP, 6)]


def test_deleted_tail_back_past_the_last_checkpoint_is_reported(database: Database, cp_file: Path) -> None:
    fill(database, 1, 8)
    service.checkpoint(database, KEY, cp_file, now=T0)
    fill(database, 9, 10)
    # A careful intruder deletes the newest entries and rewinds the head row to match.
    sql(database, "DELETE FROM audit_log WHERE seq > 6")
    rewind_head(database, 6)
    report = service.verify(database, KEY, cp_file)
    assert kinds(report) == [(ProblemKind.TAIL_DELETED, 7)]
    assert "entries 7..8 were deleted" in report.problems[0].message


def test_deleted_rows_after_the_last_checkpoint_are_seen_if_the_head_row_is_left(
    database: Database, cp_file: Path
) -> None:
    fill(database, 1, 8)
    service.checkpoint(database, KEY, cp_file, now=T0)
    fill(database, 9, 10)
    sql(database, "DELETE FROM audit_log WHERE seq > 8")
    report = service.verify(database, KEY, cp_file)
    assert kinds(report) == [(ProblemKind.TAIL_DELETED, 9)]
    assert "head row records seq 10" in report.problems[0].message


def test_deleting_only_rows_after_the_last_checkpoint_and_rewinding_the_head_is_not_detectable(
    database: Database, cp_file: Path
) -> None:
    # The documented limit: nothing outside the database remembers entries 9 and 10, so the shorter
    # chain is valid. Checkpoint often (and keep the printed lines off-site) to keep this window short.
    fill(database, 1, 8)
    service.checkpoint(database, KEY, cp_file, now=T0)
    fill(database, 9, 10)
    sql(database, "DELETE FROM audit_log WHERE seq > 8")
    rewind_head(database, 8)
    report = service.verify(database, KEY, cp_file)
    assert report.ok
    assert report.head_seq == 8


def test_inserted_forged_row_is_reported(database: Database, cp_file: Path) -> None:
    fill(database, 1, 5)
    with database.session(write=False) as s:
        _, prev = AuditRepository(s, KEY).head()
    fields: dict[str, Any] = {
        "actor": "user:reviewer",
        "action": "claim.decide",
        "subject_type": "claim",
        "subject_id": "c6",
        "detail": {"decision": "全额退款"},
    }
    at = T0 + timedelta(hours=1)
    forged_mac = compute_mac(b"a-guessed-key-000000", prev, canonical(seq=6, at=at, **fields))
    with database.session(write=True) as s:
        # Written the way the application writes rows, so only the MAC can give it away.
        s.add(AuditEntry(seq=6, at=at, prev_mac=prev, mac=forged_mac, **fields))
        head = s.get(AuditHead, 1)
        assert head is not None
        head.seq, head.mac = 6, forged_mac
        s.commit()
    assert kinds(service.verify(database, KEY, cp_file)) == [(ProblemKind.ALTERED, 6)]


def test_rewritten_history_under_a_checkpoint_is_reported(database: Database, cp_file: Path) -> None:
    fill(database, 1, 5)
    service.checkpoint(database, KEY, cp_file, now=T0)
    sql(database, "UPDATE audit_log SET mac = :m WHERE seq = 5", m="e" * 64)
    sql(database, "UPDATE audit_head SET mac = :m", m="e" * 64)
    assert kinds(service.verify(database, KEY, cp_file)) == [
        (ProblemKind.ALTERED, 5),
        (ProblemKind.CHECKPOINT_MISMATCH, 5),
    ]


def test_forged_checkpoint_line_is_reported_and_refused(database: Database, cp_file: Path) -> None:
    fill(database, 1, 3)
    service.checkpoint(database, KEY, cp_file, now=T0)
    append_checkpoint(cp_file, seq=3, mac="f" * 64, at=T0, key=b"not-the-audit-key")
    report = service.verify(database, KEY, cp_file)
    assert kinds(report) == [(ProblemKind.BAD_CHECKPOINT, None)]
    assert "line 2" in str(report.problems[0])
    assert report.checkpoints == 1  # the good line still counts
    with pytest.raises(AuditTampered, match="line 2"):
        service.checkpoint(database, KEY, cp_file, now=T0)


def test_checkpoint_appends_only_when_the_head_moves(database: Database, cp_file: Path) -> None:
    first = service.checkpoint(database, KEY, cp_file, now=T0)
    assert (first.seq, first.mac) == (0, GENESIS)
    fill(database, 1, 3)
    second = service.checkpoint(database, KEY, cp_file, now=T0 + timedelta(hours=1))
    again = service.checkpoint(database, KEY, cp_file, now=T0 + timedelta(hours=2))
    with database.session(write=False) as s:
        assert (second.seq, second.mac) == AuditRepository(s, KEY).head() == (3, second.mac)
    assert again == second
    assert read_checkpoints(cp_file, KEY) == [first, second]


def test_checkpoint_refuses_a_head_below_the_newest_checkpoint(database: Database, cp_file: Path) -> None:
    fill(database, 1, 5)
    service.checkpoint(database, KEY, cp_file, now=T0)
    sql(database, "DELETE FROM audit_log WHERE seq > 3")
    rewind_head(database, 3)
    with pytest.raises(AuditTampered, match="entries were deleted"):
        service.checkpoint(database, KEY, cp_file, now=T0)
    assert len(read_checkpoints(cp_file, KEY)) == 1


def test_checkpoint_refuses_a_newest_entry_that_does_not_verify(database: Database, cp_file: Path) -> None:
    fill(database, 1, 5)
    sql(database, "UPDATE audit_log SET actor = 'user:evil' WHERE seq = 5")
    with pytest.raises(AuditTampered, match="seq 5"):
        service.checkpoint(database, KEY, cp_file, now=T0)
    assert not cp_file.exists()
