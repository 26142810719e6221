"""AuditRepository on SQLite and PostgreSQL: seq and links, round-tripped bytes, the head lock in threads."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from shouhou.audit.chain import GENESIS, canonical_of, compute_mac, verify_chain
from shouhou.storage.audit_repo import AuditRepository
from shouhou.storage.db import Database
from shouhou.storage.tables import AuditEntry, AuditHead

KEY = b"audit-key-for-tests-0123456789ab"
T0 = datetime(2026, 11, 23, 8, 30, 0, 123456, tzinfo=UTC)


def append(repo: AuditRepository, n: int, **detail: object) -> None:
    repo.append(
        at=T0 + timedelta(microseconds=n),
        actor="user:ops",
        action="claim.transition",
        subject_type="claim",
        subject_id=f"c{n}",
        detail={"n": n, **detail},
    )


def test_append_numbers_and_links_entries(database: Database) -> None:
    with database.session(write=True) as s:
        repo = AuditRepository(s, KEY)
        assert repo.head() == (0, GENESIS)
        for n in range(1, 6):
            append(repo, n)
        s.commit()
    with database.session(write=False) as s:
        repo = AuditRepository(s, KEY)
        entries = list(repo.iter_entries())
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_mac == GENESIS
        assert all(b.prev_mac == a.mac for a, b in itertools.pairwise(entries))
        assert repo.head() == (5, entries[-1].mac)
        assert repo.count() == 5
        got = repo.get(seq=3)
        assert got is not None and got.subject_id == "c3"
        assert repo.get(seq=99) is None


def test_read_back_gives_the_same_canonical_bytes(database: Database) -> None:
    # A +08:00 time with microseconds, non-ASCII text, a float, a tuple and a nested object: every one
    # must come back from the column as the bytes that were signed.
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=shanghai)
    detail = {"原因": "破损", "amount_fen": 12_345, "ratio": 0.1, "ids": ("a", "b"), "nested": {"z": None}}
    with database.session(write=True) as s:
        entry = AuditRepository(s, KEY).append(
            at=at,
            actor="用户:客服",
            action="evidence.upload",
            subject_type="blob",
            subject_id="ab" * 30,
            detail=detail,
        )
        signed = canonical_of(entry)
        s.commit()
    with database.session(write=False) as s:
        (read,) = AuditRepository(s, KEY).iter_entries()
        assert canonical_of(read) == signed
        assert read.mac == compute_mac(KEY, GENESIS, signed)
        assert read.at == at
        assert read.detail["ids"] == ["a", "b"]


def test_rolled_back_append_leaves_no_trace(database: Database) -> None:
    with database.session(write=True) as s:
        append(AuditRepository(s, KEY), 1)
        s.rollback()
    with database.session(write=True) as s:
        repo = AuditRepository(s, KEY)
        append(repo, 2)
        s.commit()
        assert [e.seq for e in repo.iter_entries()] == [1]
        assert repo.head()[0] == 1


def test_iter_entries_pages_through_everything_in_order(database: Database) -> None:
    with database.session(write=True) as s:
        repo = AuditRepository(s, KEY)
        for n in range(1, 11):
            append(repo, n)
        s.commit()
    with database.session(write=False) as s:
        repo = AuditRepository(s, KEY)
        for batch in (1, 3, 10, 11):
            assert [e.seq for e in repo.iter_entries(batch=batch)] == list(range(1, 11))
        with pytest.raises(ValueError, match="batch"):
            next(repo.iter_entries(batch=0))


def test_session_reused_across_commits_chains_from_the_fresh_head(database: Database) -> None:
    # A long-lived session caches the head row; another writer moves it in between.
    with database.session(write=True) as mine:
        repo = AuditRepository(mine, KEY)
        append(repo, 1)
        # Any storage code in this session that loaded the head row keeps it cached in the identity map.
        held = mine.scalars(select(AuditHead)).one()
        mine.commit()
        with database.session(write=True) as other:
            append(AuditRepository(other, KEY), 2)
            other.commit()
        append(repo, 3)
        mine.commit()
        assert held.seq == 3
        report = verify_chain(repo.iter_entries(), KEY, head=repo.head())
    assert report.ok, report.problems
    assert report.head_seq == 3


@pytest.mark.parametrize("field", ["actor", "action", "subject_type", "subject_id"])
def test_over_long_fields_are_refused_on_both_backends(database: Database, field: str) -> None:
    length = AuditEntry.__table__.c[field].type.length  # type: ignore[attr-defined]
    fields = {"actor": "user:ops", "action": "x", "subject_type": "claim", "subject_id": "c1"}
    fields[field] = "x" * (length + 1)
    with database.session(write=True) as s, pytest.raises(ValueError, match=field):
        AuditRepository(s, KEY).append(at=T0, detail={}, **fields)


def test_naive_time_and_non_json_detail_are_refused(database: Database) -> None:
    with database.session(write=True) as s:
        repo = AuditRepository(s, KEY)
        with pytest.raises(ValueError, match="timezone-aware"):
            repo.append(
                at=T0.replace(tzinfo=None), actor="a", action="b", subject_type="c", subject_id="d", detail={}
            )
        with pytest.raises(ValueError, match="plain JSON"):
            repo.append(at=T0, actor="a", action="b", subject_type="c", subject_id="d", detail={"x": T0})


def test_empty_key_is_refused(database: Database) -> None:
    with database.session(write=False) as s, pytest.raises(ValueError, match="empty"):
        AuditRepository(s, b"")


def test_four_threads_appending_give_one_valid_chain(database: Database) -> None:
    threads, per_thread = 4, 25
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            start.wait()
            with database.session(write=True) as s:
                repo = AuditRepository(s, KEY)
                for i in range(per_thread):
                    repo.append(
                        at=datetime.now(UTC),
                        actor=f"worker:{worker}",
                        action="test.append",
                        subject_type="test",
                        subject_id=f"{worker}-{i}",
                        detail={"i": i},
                    )
                    s.commit()
        except BaseException as exc:  # re-raised in the main thread below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    with database.session(write=False) as s:
        repo = AuditRepository(s, KEY)
        report = verify_chain(repo.iter_entries(), KEY, head=repo.head())
        subjects = {e.subject_id for e in repo.iter_entries()}
    assert report.ok, report.problems
    assert report.entries == report.head_seq == threads * per_thread
    assert len(subjects) == threads * per_thread
