"""The pure chain: canonical bytes, MACs, and what verification reports for each kind of tampering."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shouhou.audit.chain import (
    GENESIS,
    Entry,
    ProblemKind,
    canonical,
    compute_mac,
    normalise_detail,
    verify_chain,
)
from shouhou.audit.checkpoint import Checkpoint

KEY = b"k" * 32
T0 = datetime(2026, 11, 23, 8, 30, 0, 123456, tzinfo=UTC)


def build(n: int, key: bytes = KEY) -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entries.append(sign(seq, prev, key, detail={"n": seq, "note": "退款"}))
        prev = entries[-1].mac
    return entries


def sign(seq: int, prev: str, key: bytes = KEY, **fields: Any) -> Entry:
    values: dict[str, Any] = {
        "at": T0 + timedelta(seconds=seq),
        "actor": "user:ops",
        "action": "claim.transition",
        "subject_type": "claim",
        "subject_id": f"c{seq}",
        "detail": {},
    } | fields
    body = canonical(seq=seq, **values)
    return Entry(seq=seq, prev_mac=prev, mac=compute_mac(key, prev, body), **values)


def kinds(report: Any) -> list[tuple[ProblemKind, int | None]]:
    return [(p.kind, p.seq) for p in report.problems]


def cp(entry: Entry) -> Checkpoint:
    return Checkpoint(seq=entry.seq, mac=entry.mac, at=T0)


# --- canonical bytes ------------------------------------------------------------------------------------


def test_canonical_is_compact_sorted_utf8() -> None:
    body = canonical(
        seq=7,
        at=T0,
        actor="a",
        action="b",
        subject_type="claim",
        subject_id="c1",
        detail={"z": 1, "a": "仅退款"},
    )
    assert (
        body
        == (
            '{"action":"b","actor":"a","at":"2026-11-23T08:30:00.123456+00:00","detail":{"a":"仅退款","z":1},'
            '"seq":7,"subject_id":"c1","subject_type":"claim"}'
        ).encode()
    )


def test_canonical_time_is_utc_whatever_the_offset_given() -> None:
    shanghai = T0.astimezone(timezone(timedelta(hours=8)))
    common: dict[str, Any] = {
        "seq": 1,
        "actor": "a",
        "action": "b",
        "subject_type": "t",
        "subject_id": "i",
        "detail": {},
    }
    assert canonical(at=shanghai, **common) == canonical(at=T0, **common)


def test_canonical_keeps_microseconds_even_when_zero() -> None:
    at = T0.replace(microsecond=0)
    body = canonical(seq=1, at=at, actor="a", action="b", subject_type="t", subject_id="i", detail={})
    assert b'"at":"2026-11-23T08:30:00.000000+00:00"' in body


def test_canonical_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical(
            seq=1,
            at=T0.replace(tzinfo=None),
            actor="a",
            action="b",
            subject_type="t",
            subject_id="i",
            detail={},
        )


def test_canonical_refuses_nan() -> None:
    with pytest.raises(ValueError, match="plain JSON"):
        canonical(
            seq=1, at=T0, actor="a", action="b", subject_type="t", subject_id="i", detail={"x": float("nan")}
        )


def test_normalise_detail_gives_what_a_json_column_gives_back() -> None:
    int_keyed: dict[Any, Any] = {"ids": (1, 2), 3: "x"}
    assert normalise_detail(int_keyed) == {"ids": [1, 2], "3": "x"}
    with pytest.raises(ValueError, match="plain JSON"):
        normalise_detail({"when": T0})


def test_mac_depends_on_key_link_and_content() -> None:
    body = b"{}"
    mac = compute_mac(KEY, GENESIS, body)
    assert len(mac) == 64
    assert compute_mac(KEY, GENESIS, body) == mac
    assert compute_mac(b"x" * 32, GENESIS, body) != mac
    assert compute_mac(KEY, "1" * 64, body) != mac
    assert compute_mac(KEY, GENESIS, b"{ }") != mac
    with pytest.raises(ValueError, match="empty"):
        compute_mac(b"", GENESIS, body)


# --- verification ---------------------------------------------------------------------------------------


def test_clean_chain_verifies() -> None:
    entries = build(10)
    report = verify_chain(entries, KEY, [cp(entries[4]), cp(entries[9])], head=(10, entries[9].mac))
    assert report.ok, report.problems
    assert (report.entries, report.head_seq, report.checkpoints) == (10, 10, 2)
    assert report.head_mac == entries[9].mac


def test_empty_chain_verifies() -> None:
    report = verify_chain([], KEY, [Checkpoint(seq=0, mac=GENESIS, at=T0)], head=(0, GENESIS))
    assert report.ok
    assert (report.entries, report.head_seq, report.head_mac) == (0, 0, GENESIS)


def test_wrong_key_reports_every_entry_altered() -> None:
    report = verify_chain(build(3), b"w" * 32)
    assert kinds(report) == [(ProblemKind.ALTERED, 1), (ProblemKind.ALTERED, 2), (ProblemKind.ALTERED, 3)]


def test_altered_detail_is_reported_at_its_seq_only() -> None:
    entries = build(5)
    entries[2] = dataclasses.replace(entries[2], detail={"n": 3, "note": "全额退款"})
    assert kinds(verify_chain(entries, KEY)) == [(ProblemKind.ALTERED, 3)]


@pytest.mark.parametrize("field", ["at", "actor", "action", "subject_type", "subject_id", "seq"])
def test_every_field_is_covered_by_the_mac(field: str) -> None:
    entries = build(3)
    changed: Any = {
        "at": T0,
        "actor": "user:evil",
        "action": "claim.delete",
        "subject_type": "repair",
        "subject_id": "c99",
        "seq": 2,
    }[field]
    entry = dataclasses.replace(entries[2], **{field: changed})
    report = verify_chain([*entries[:2], entry], KEY)
    assert (ProblemKind.ALTERED, entry.seq) in kinds(report)


def test_deleted_middle_entry_is_a_gap() -> None:
    entries = build(6)
    del entries[2]
    report = verify_chain(entries, KEY)
    assert kinds(report) == [(ProblemKind.SEQ_GAP, 4)]
    assert "seq 4: gap in seq: entry 3 is missing" in str(report.problems[0])


def test_deleted_first_entries_are_a_gap() -> None:
    report = verify_chain(build(6)[3:], KEY)
    assert kinds(report) == [(ProblemKind.SEQ_GAP, 4)]
    assert "1..3" in report.problems[0].message


def test_deleted_middle_entry_with_later_seqs_renumbered_is_a_broken_link() -> None:
    entries = build(6)
    del entries[2]
    renumbered = [e if e.seq < 3 else dataclasses.replace(e, seq=e.seq - 1) for e in entries]
    report = verify_chain(renumbered, KEY)
    # Renumbering changes the content under each MAC, and the first moved entry no longer links.
    assert (ProblemKind.BROKEN_LINK, 3) in kinds(report)
    assert {k for k, _ in kinds(report)} == {ProblemKind.BROKEN_LINK, ProblemKind.ALTERED}


def test_inserted_forged_entry_is_reported() -> None:
    entries = build(4)
    forged = sign(5, entries[-1].mac, key=b"guessed-key-0000", action="claim.approve")
    assert kinds(verify_chain([*entries, forged], KEY)) == [(ProblemKind.ALTERED, 5)]


def test_entry_inserted_in_the_middle_breaks_the_next_link() -> None:
    entries = build(4)
    # Appended as seq 3 with a correct link, but written without the key; the old 3 and 4 move up.
    forged = sign(3, entries[1].mac, key=b"guessed-key-0000")
    moved = [dataclasses.replace(e, seq=e.seq + 1) for e in entries[2:]]
    report = verify_chain([*entries[:2], forged, *moved], KEY)
    assert (ProblemKind.ALTERED, 3) in kinds(report)
    assert (ProblemKind.BROKEN_LINK, 4) in kinds(report)


def test_checkpoint_over_rewritten_history_is_reported() -> None:
    entries = build(5)
    anchor = cp(entries[2])
    # Whoever holds the key could re-sign everything after a change; the checkpoint still disagrees.
    rewritten = entries[:2]
    for seq in range(3, 6):
        rewritten.append(sign(seq, rewritten[-1].mac, detail={"n": seq, "note": "rewritten"}))
    report = verify_chain(rewritten, KEY, [anchor])
    assert kinds(report) == [(ProblemKind.CHECKPOINT_MISMATCH, 3)]


def test_checkpointed_entry_deleted_is_reported() -> None:
    entries = build(5)
    anchor = cp(entries[2])
    del entries[2]
    report = verify_chain(entries, KEY, [anchor])
    assert kinds(report) == [(ProblemKind.SEQ_GAP, 4), (ProblemKind.CHECKPOINT_MISSING, 3)]


def test_tail_deleted_back_past_a_checkpoint_is_reported() -> None:
    entries = build(10)
    report = verify_chain(entries[:6], KEY, [cp(entries[3]), cp(entries[7])], head=(6, entries[5].mac))
    assert kinds(report) == [(ProblemKind.TAIL_DELETED, 7)]
    assert "entries 7..8 were deleted" in report.problems[0].message


def test_whole_log_deleted_is_reported() -> None:
    entries = build(3)
    assert kinds(verify_chain([], KEY, [cp(entries[2])])) == [(ProblemKind.TAIL_DELETED, 1)]


def test_tail_deleted_after_the_last_checkpoint_is_seen_only_through_the_head_row() -> None:
    entries = build(10)
    checkpoints = [cp(entries[5])]
    stale_head = (10, entries[9].mac)
    report = verify_chain(entries[:8], KEY, checkpoints, head=stale_head)
    assert kinds(report) == [(ProblemKind.TAIL_DELETED, 9)]
    # Rewinding the head row as well leaves a shorter chain that is valid: not detectable.
    assert verify_chain(entries[:8], KEY, checkpoints, head=(8, entries[7].mac)).ok


def test_head_row_with_a_foreign_mac_is_reported() -> None:
    entries = build(3)
    assert kinds(verify_chain(entries, KEY, head=(3, "f" * 64))) == [(ProblemKind.HEAD_MISMATCH, 3)]


def test_non_ascii_mac_in_a_row_is_reported_not_raised() -> None:
    entries = build(2)
    entries[1] = dataclasses.replace(entries[1], mac="é" * 64)
    assert kinds(verify_chain(entries, KEY)) == [(ProblemKind.ALTERED, 2)]


def test_problem_text_names_seq_and_kind() -> None:
    entries = build(3)
    entries[1] = dataclasses.replace(entries[1], actor="user:evil")
    (problem,) = verify_chain(entries, KEY).problems
    assert str(problem) == "seq 2: altered: its MAC does not match its content"
