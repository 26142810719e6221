"""The checkpoint file: signed JSON lines, appended; forged or edited lines are refused with their number."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shouhou.audit.checkpoint import Checkpoint, append_checkpoint, read_checkpoints, scan_checkpoints
from shouhou.errors import AuditTampered

KEY = b"k" * 32
AT = datetime(2026, 11, 23, 8, 30, 0, 5, tzinfo=UTC)


def test_missing_file_has_no_checkpoints(tmp_path: Path) -> None:
    assert read_checkpoints(tmp_path / "nope.log", KEY) == []


def test_appended_checkpoints_read_back_in_order(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "checkpoints.log"
    first = append_checkpoint(path, seq=3, mac="a" * 64, at=AT, key=KEY)
    second = append_checkpoint(path, seq=9, mac="b" * 64, at=AT + timedelta(hours=1), key=KEY)
    assert read_checkpoints(path, KEY) == [first, second]
    assert first == Checkpoint(seq=3, mac="a" * 64, at=AT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text("ascii").splitlines()
    assert len(lines) == 2
    assert set(json.loads(lines[0])) == {"seq", "mac", "at", "hmac"}


def test_time_is_stored_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    shanghai = AT.astimezone(timezone(timedelta(hours=8)))
    append_checkpoint(path, seq=1, mac="a" * 64, at=shanghai, key=KEY)
    (read,) = read_checkpoints(path, KEY)
    assert read.at == AT
    assert read.at.utcoffset() == timedelta(0)


def test_printed_line_carries_seq_mac_and_time() -> None:
    line = Checkpoint(seq=4, mac="c" * 64, at=AT).line()
    assert line == f"seq=4 mac={'c' * 64} at=2026-11-23T08:30:00.000005+00:00"


def test_line_written_without_the_key_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    append_checkpoint(path, seq=1, mac="a" * 64, at=AT, key=KEY)
    append_checkpoint(path, seq=5, mac="b" * 64, at=AT, key=b"not-the-audit-key")
    with pytest.raises(AuditTampered, match="line 2: its MAC does not match"):
        read_checkpoints(path, KEY)


def test_edited_seq_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    append_checkpoint(path, seq=12, mac="a" * 64, at=AT, key=KEY)
    path.write_text(path.read_text("ascii").replace('"seq":12', '"seq":2'), "ascii")
    with pytest.raises(AuditTampered, match="line 1"):
        read_checkpoints(path, KEY)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("garbage", "not a JSON line"),
        ("[1, 2]", "not a checkpoint record"),
        ('{"seq": 1, "mac": "a", "at": "x"}', "not a checkpoint record"),
        ('{"seq": "1", "mac": "a", "at": "x", "hmac": "y"}', "wrong type"),
        ('{"seq": 1, "mac": "a", "at": "yesterday", "hmac": "y"}', "malformed time"),
        ('{"seq": 1, "mac": "a", "at": "2026-11-23T08:30:00", "hmac": "y"}', "malformed time"),
    ],
)
def test_malformed_lines_are_refused(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "c.log"
    append_checkpoint(path, seq=1, mac="a" * 64, at=AT, key=KEY)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    with pytest.raises(AuditTampered, match=f"line 2: .*{reason}"):
        read_checkpoints(path, KEY)


def test_scan_keeps_the_good_lines_around_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    good1 = append_checkpoint(path, seq=1, mac="a" * 64, at=AT, key=KEY)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("forged\n")
    good2 = append_checkpoint(path, seq=2, mac="b" * 64, at=AT, key=KEY)
    good, bad = scan_checkpoints(path, KEY)
    assert good == [good1, good2]
    assert [str(b) for b in bad] == ["line 2: not a JSON line"]


def test_append_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    append_checkpoint(path, seq=1, mac="a" * 64, at=AT, key=KEY)
    with path.open("a", encoding="ascii") as fh:
        fh.write('{"seq":2,"ma')  # a write cut short
    later = append_checkpoint(path, seq=3, mac="c" * 64, at=AT, key=KEY)
    good, bad = scan_checkpoints(path, KEY)
    assert good[-1] == later
    assert [b.line_no for b in bad] == [2]


def test_refuses_a_bad_seq_or_mac(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seq >= 0"):
        append_checkpoint(tmp_path / "c.log", seq=-1, mac="a" * 64, at=AT, key=KEY)
    with pytest.raises(ValueError, match="64-digit"):
        append_checkpoint(tmp_path / "c.log", seq=1, mac="abc", at=AT, key=KEY)
    assert not (tmp_path / "c.log").exists()
