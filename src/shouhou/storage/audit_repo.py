"""Audit log rows: appending under the head row's lock, reading the chain in seq order. Never commits.

The detail of an entry can never be erased, so callers put ids and decisions in it, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, Final

from sqlalchemy import String, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shouhou.audit.chain import GENESIS, canonical, compute_mac, normalise_detail
from shouhou.errors import StorageError
from shouhou.storage.tables import AuditEntry, AuditHead

_HEAD_ID: Final = 1
# Built once (every write transaction reads it). populate_existing: a session reused across transactions
# must not chain from a stale cached head.
_HEAD_FOR_UPDATE: Final = (
    select(AuditHead)
    .where(AuditHead.id == _HEAD_ID)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _length(name: str) -> int:
    column_type = AuditEntry.__table__.c[name].type
    assert isinstance(column_type, String) and column_type.length, name
    return column_type.length


# Read from the table so a widened column needs no second edit here.
_LIMITS: Final = {name: _length(name) for name in ("actor", "action", "subject_type", "subject_id")}


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"audit log: {what} failed: {exc}") from exc


class AuditRepository:
    """Give it a write session for `append`; the caller's transaction commits the entry with its change."""

    def __init__(self, session: Session, key: bytes) -> None:
        if not key:
            raise ValueError("the audit key is empty")
        self._session = session
        self._key = key
        # The head row, once locked in this transaction: later appends in the same transaction chain from it
        # without another round trip. `forget_head` is called when the transaction ends.
        self._head: AuditHead | None = None
        self._head_tx: object = None

    def lock(self) -> None:
        """Take the head row's lock now (before the caller's inserts), so later appends need no query."""
        with _translated("locking the head"):
            self._head = self._locked_head()
            self._head_tx = self._session.get_transaction()

    def forget_head(self) -> None:
        self._head = None
        self._head_tx = None

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        detail: Mapping[str, Any],
    ) -> AuditEntry:
        fields = {"actor": actor, "action": action, "subject_type": subject_type, "subject_id": subject_id}
        for name, value in fields.items():
            # PostgreSQL would refuse an over-long value and SQLite keep it; refuse it on both.
            if len(value) > _LIMITS[name]:
                raise ValueError(f"audit {name} is over {_LIMITS[name]} characters: {value[:80]!r}")
        stored_detail = normalise_detail(detail)
        with _translated("append"):
            tx = self._session.get_transaction()
            if self._head is None or tx is None or tx is not self._head_tx:
                self._head = self._locked_head()
                self._head_tx = self._session.get_transaction()
            head = self._head
            seq = head.seq + 1
            body = canonical(seq=seq, at=at, detail=stored_detail, **fields)
            mac = compute_mac(self._key, head.mac, body)
            entry = AuditEntry(seq=seq, at=at, detail=stored_detail, prev_mac=head.mac, mac=mac, **fields)
            self._session.add(entry)  # flushed with the caller's change (seq is explicit: no id to wait for)
            head.seq, head.mac = seq, mac
        return entry

    def _locked_head(self) -> AuditHead:
        dialect = self._session.get_bind().dialect.name
        # SQLite: a write transaction holds the database's write lock from BEGIN IMMEDIATE, so the order of
        # its writes cannot matter; the caller's pending changes flush with the entry at commit (one flush)
        # rather than before this read. PostgreSQL: they flush first, so the rows the caller changed are
        # locked before the head, as in every writer (the reverse order could deadlock with one of them).
        with self._session.no_autoflush if dialect == "sqlite" else nullcontext():
            head = self._session.scalars(_HEAD_FOR_UPDATE).one_or_none()
            if head is not None:
                return head
            # Two first writers on PostgreSQL may both find no head; ON CONFLICT lets both go on to the lock.
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            self._session.execute(
                insert(AuditHead)
                .values(id=_HEAD_ID, seq=0, mac=GENESIS)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            return self._session.scalars(_HEAD_FOR_UPDATE).one()

    def head(self) -> tuple[int, str]:
        """(seq, mac) of the newest entry as the head row records it; (0, GENESIS) before the first."""
        stmt = select(AuditHead).where(AuditHead.id == _HEAD_ID).execution_options(populate_existing=True)
        with _translated("reading the head"):
            head = self._session.scalars(stmt).one_or_none()
        return (0, GENESIS) if head is None else (head.seq, head.mac)

    def get(self, *, seq: int) -> AuditEntry | None:
        stmt = select(AuditEntry).where(AuditEntry.seq == seq).execution_options(populate_existing=True)
        with _translated("reading an entry"):
            return self._session.scalars(stmt).one_or_none()

    def iter_entries(self, batch: int = 2000) -> Iterator[AuditEntry]:
        """Every entry in seq order, `batch` rows per query (keyset pagination, so memory stays flat)."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        # The first page has no lower bound, so forged rows with seq <= 0 are read (and reported) too.
        last: int | None = None
        while True:
            stmt = select(AuditEntry).order_by(AuditEntry.seq).limit(batch)
            if last is not None:
                stmt = stmt.where(AuditEntry.seq > last)
            with _translated("reading entries"):
                rows = self._session.scalars(stmt.execution_options(populate_existing=True)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].seq
            if len(rows) < batch:
                return

    def count(self) -> int:
        with _translated("counting entries"):
            return int(self._session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    def newest(
        self, *, action: str | None, subject: str | None, offset: int, limit: int
    ) -> tuple[Sequence[AuditEntry], int]:
        """A page of entries, newest first, with the number matching. `action` matches as a prefix
        ("user." finds every user action); `subject` is a subject id, a subject type, or "type:id"."""
        stmt = select(AuditEntry)
        if action:
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        if subject:
            kind, sep, ident = subject.partition(":")
            if sep:
                stmt = stmt.where(AuditEntry.subject_type == kind, AuditEntry.subject_id == ident)
            else:
                stmt = stmt.where(or_(AuditEntry.subject_id == subject, AuditEntry.subject_type == subject))
        with _translated("listing entries"):
            total = int(self._session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
            rows = self._session.scalars(
                stmt.order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)
            ).all()
        return rows, total

    def actions(self) -> list[str]:
        """Every action that occurs in the log, sorted (for a filter)."""
        with _translated("listing actions"):
            return sorted(self._session.scalars(select(AuditEntry.action).distinct()).all())
