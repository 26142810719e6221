"""Use cases of the audit log: verify the whole chain, anchor its head in the checkpoint file."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from shouhou.audit.chain import Problem, ProblemKind, VerifyReport, entry_mac_ok, same_mac, verify_chain
from shouhou.audit.checkpoint import Checkpoint, append_checkpoint, read_checkpoints, scan_checkpoints
from shouhou.errors import AuditTampered
from shouhou.storage.audit_repo import AuditRepository
from shouhou.storage.db import Database


def verify(db: Database, key: bytes, checkpoint_file: Path) -> VerifyReport:
    """Verify every entry; problems are reported, not raised (a bad checkpoint line is one of them)."""
    # Checkpoints first: one appended while the entries are read then anchors a seq the read has seen.
    checkpoints, bad_lines = scan_checkpoints(checkpoint_file, key)
    with db.session(write=False) as session:
        repo = AuditRepository(session, key)
        # The head before the entries: on PostgreSQL (READ COMMITTED) later pages may include newer
        # entries, never fewer, so the head read first is always at or below the newest entry read.
        head = repo.head()
        report = verify_chain(repo.iter_entries(), key, checkpoints, head=head)
    if not bad_lines:
        return report
    bad = tuple(Problem(ProblemKind.BAD_CHECKPOINT, None, str(line)) for line in bad_lines)
    return dataclasses.replace(report, problems=bad + report.problems)


def checkpoint(db: Database, key: bytes, checkpoint_file: Path, *, now: datetime) -> Checkpoint:
    """Anchor the current head; the newest checkpoint is returned as it is when the head has not moved.

    Refuses (AuditTampered) to anchor a head below or beside an earlier checkpoint, or one whose newest
    entry does not verify: that would write a truncated or forged history into the anchor.
    """
    existing = read_checkpoints(checkpoint_file, key)
    with db.session(write=False) as session:
        repo = AuditRepository(session, key)
        seq, mac = repo.head()
        entry = repo.get(seq=seq) if seq else None
        if seq and (entry is None or not same_mac(entry.mac, mac) or not entry_mac_ok(entry, key)):
            raise AuditTampered(f"the head row names seq {seq}, whose entry is missing or does not verify")
    newest = max(existing, key=lambda cp: cp.seq, default=None)
    if newest is not None:
        if seq < newest.seq:
            raise AuditTampered(
                f"the head is seq {seq} but a checkpoint anchors seq {newest.seq}: entries were deleted"
            )
        if seq == newest.seq:
            if not same_mac(mac, newest.mac):
                raise AuditTampered(f"the head at seq {seq} differs from its checkpoint: history rewritten")
            return newest
    return append_checkpoint(checkpoint_file, seq=seq, mac=mac, at=now, key=key)
