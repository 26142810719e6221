"""The audit chain as pure functions: canonical entry bytes, the keyed MAC linking each entry to the one
before, and verification of a sequence of entries against optional checkpoints. No database here.

What verification cannot tell: rows deleted from the end of the log after the newest checkpoint, when the
head row is rewound to match, leave a shorter chain that is still valid. Only a checkpoint kept outside the
database (off-site, or in the append-only checkpoint file) bounds how much of the tail can vanish unseen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, Protocol

GENESIS: Final = "0" * 64
_MAC_LEN: Final = 64


class EntryView(Protocol):
    """What verification reads from a stored entry (the storage row fits as it is)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject_type(self) -> str: ...
    @property
    def subject_id(self) -> str: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...
    @property
    def prev_mac(self) -> str: ...
    @property
    def mac(self) -> str: ...


@dataclass(frozen=True)
class Entry:
    """A chain entry held in memory (tests, exports)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: Mapping[str, Any]
    prev_mac: str
    mac: str


class CheckpointView(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def mac(self) -> str: ...
    @property
    def at(self) -> datetime: ...


class ProblemKind(StrEnum):
    ALTERED = "altered"  # the entry's MAC does not match its content
    BROKEN_LINK = "broken link"  # prev_mac is not the previous entry's mac: an entry inserted or removed
    SEQ_GAP = "gap in seq"  # sequence numbers missing: middle rows deleted
    CHECKPOINT_MISSING = "checkpointed entry missing"
    CHECKPOINT_MISMATCH = "checkpoint differs"  # history rewritten under a checkpoint
    TAIL_DELETED = "tail deleted"  # newest entries gone back past a checkpoint (or the head row)
    HEAD_MISMATCH = "head differs"  # the head row names a mac the entry at its seq does not have
    BAD_CHECKPOINT = "bad checkpoint line"  # a checkpoint line is malformed or its own MAC fails


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    seq: int | None  # None only for a bad checkpoint line, which names its line number instead
    message: str

    def __str__(self) -> str:
        where = "checkpoint file" if self.seq is None else f"seq {self.seq}"
        return f"{where}: {self.kind.value}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head_seq: int  # newest entry's seq (0 for an empty log)
    head_mac: str
    checkpoints: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def format_at(at: datetime) -> str:
    """UTC ISO-8601 with microseconds: the same text for a time read back from SQLite or PostgreSQL."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def normalise_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail as it will read back from a JSON column (tuples become lists, keys strings).

    Hashing the stored form, not the caller's, keeps a tuple or an int key from breaking verification later.
    """
    try:
        loaded = json.loads(json.dumps(detail, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit detail must be plain JSON (no NaN, no objects): {exc}") from exc
    if not isinstance(loaded, dict):
        raise ValueError("audit detail must be a JSON object")
    return loaded


def canonical(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    detail: Mapping[str, Any],
) -> bytes:
    """Stable bytes of one entry: sorted keys, UTF-8 (not \\u escapes), no spaces."""
    body = {
        "seq": seq,
        "at": format_at(at),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "detail": detail,
    }
    try:
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit entry is not plain JSON: {exc}") from exc
    return text.encode("utf-8")


def canonical_of(entry: EntryView) -> bytes:
    return canonical(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        detail=entry.detail,
    )


def compute_mac(key: bytes, prev_mac: str, canonical: bytes) -> str:
    """HMAC-SHA256(key, prev_mac ‖ canonical) as hex; prev_mac has a fixed length, so no separator."""
    if not key:
        raise ValueError("the audit key is empty")
    if len(prev_mac) != _MAC_LEN:
        raise ValueError(f"prev_mac must be {_MAC_LEN} hex digits")
    return hmac.new(key, prev_mac.encode("ascii") + canonical, hashlib.sha256).hexdigest()


def same_mac(a: str, b: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII text (a tampered column may hold any)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def entry_mac_ok(entry: EntryView, key: bytes) -> bool:
    try:
        expected = compute_mac(key, entry.prev_mac, canonical_of(entry))
    except (ValueError, UnicodeError):
        return False  # a prev_mac of the wrong shape or an unencodable field can only be tampering
    return same_mac(expected, entry.mac)


def verify_chain(
    entries: Iterable[EntryView],
    key: bytes,
    checkpoints: Sequence[CheckpointView] = (),
    *,
    head: tuple[int, str] | None = None,
) -> VerifyReport:
    """Check every entry (in seq order) against the key, its predecessor and the checkpoints.

    `head` is the database's head row (seq, mac); a head above the newest entry means the tail was deleted
    without rewinding the head.
    """
    if not key:
        raise ValueError("the audit key is empty")
    problems: list[Problem] = []
    anchored: dict[int, list[CheckpointView]] = {}
    for cp in checkpoints:
        anchored.setdefault(cp.seq, []).append(cp)
    seen_anchors: set[int] = set()
    head_seq = head[0] if head else 0
    mac_at_head: str | None = None
    count, prev_seq, prev_mac = 0, 0, GENESIS
    for entry in entries:
        count += 1
        seq = entry.seq
        if not entry_mac_ok(entry, key):
            problems.append(Problem(ProblemKind.ALTERED, seq, "its MAC does not match its content"))
        if seq != prev_seq + 1:
            if seq > prev_seq + 1:
                one = seq == prev_seq + 2
                missing = f"entry {prev_seq + 1} is" if one else f"entries {prev_seq + 1}..{seq - 1} are"
                problems.append(Problem(ProblemKind.SEQ_GAP, seq, f"{missing} missing"))
            else:
                problems.append(Problem(ProblemKind.SEQ_GAP, seq, f"out of order after seq {prev_seq}"))
        elif not same_mac(entry.prev_mac, prev_mac):
            # With a gap the link is necessarily broken; only report it where the numbering looks whole
            # (an entry inserted or removed with the following seqs renumbered).
            problems.append(
                Problem(ProblemKind.BROKEN_LINK, seq, f"prev_mac is not the mac of entry {prev_seq}")
            )
        for cp in anchored.get(seq, ()):
            seen_anchors.add(seq)
            if not same_mac(cp.mac, entry.mac):
                problems.append(
                    Problem(
                        ProblemKind.CHECKPOINT_MISMATCH,
                        seq,
                        f"the checkpoint of {format_at(cp.at)} anchored mac {cp.mac[:16]}…, "
                        f"the entry has {entry.mac[:16]}…",
                    )
                )
        if seq == head_seq:
            mac_at_head = entry.mac
        prev_seq, prev_mac = seq, entry.mac
    newest = prev_seq
    problems.extend(_unmatched_checkpoints(anchored, seen_anchors, newest))
    if head is not None:
        problems.extend(_head_problems(head, newest, mac_at_head))
    return VerifyReport(
        entries=count,
        head_seq=newest,
        head_mac=prev_mac,
        checkpoints=len(checkpoints),
        problems=tuple(problems),
    )


def _unmatched_checkpoints(
    anchored: Mapping[int, Sequence[CheckpointView]], seen: set[int], newest: int
) -> list[Problem]:
    problems: list[Problem] = []
    beyond: list[CheckpointView] = []
    for seq in sorted(anchored):
        if seq in seen:
            continue
        for cp in anchored[seq]:
            if seq > newest:
                beyond.append(cp)
            elif seq == 0:
                if cp.mac != GENESIS:
                    problems.append(
                        Problem(
                            ProblemKind.CHECKPOINT_MISMATCH,
                            0,
                            "an empty-log checkpoint names a mac other than the genesis mac",
                        )
                    )
            else:
                problems.append(
                    Problem(
                        ProblemKind.CHECKPOINT_MISSING,
                        seq,
                        f"the checkpoint of {format_at(cp.at)} anchors this entry but it is gone",
                    )
                )
    if beyond:
        top = max(beyond, key=lambda cp: cp.seq)
        problems.append(
            Problem(
                ProblemKind.TAIL_DELETED,
                newest + 1,
                f"the newest entry is seq {newest} but the checkpoint of {format_at(top.at)} anchors seq "
                f"{top.seq}: entries {newest + 1}..{top.seq} were deleted",
            )
        )
    return problems


def _head_problems(head: tuple[int, str], newest: int, mac_at_head: str | None) -> list[Problem]:
    seq, mac = head
    if seq == 0:
        return []  # no head row yet (or an empty log): nothing to compare
    if seq > newest:
        return [
            Problem(
                ProblemKind.TAIL_DELETED,
                newest + 1,
                f"the head row records seq {seq} but the newest entry is seq {newest}",
            )
        ]
    if mac_at_head is not None and not same_mac(mac, mac_at_head):
        return [Problem(ProblemKind.HEAD_MISMATCH, seq, "the head row's mac is not this entry's mac")]
    return []
