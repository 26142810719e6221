"""The unit of work: one transaction, every repository on it, and effects that run after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import DBAPIError, IntegrityError

from shouhou.errors import Conflict, StorageError
from shouhou.storage import repair_repositories as rr
from shouhou.storage import repair_tables as rt_tables
from shouhou.storage import repositories as r
from shouhou.storage.audit_repo import AuditRepository
from shouhou.storage.db import Database

log = logging.getLogger(__name__)


class UnitOfWork:
    """`with UnitOfWork(db, key, write=True) as uow: …; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, db: Database, audit_key: bytes, *, write: bool) -> None:
        self.db = db
        self.write = write
        self._audit_key = audit_key
        self._after: list[Callable[[], None]] = []
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        if self.write:
            self.db.write_lock.__enter__()
        s = self.session = self.db.session(write=self.write)
        self.platforms = r.PlatformRepository(s)
        self.shops = r.ShopRepository(s)
        self.users = r.UserRepository(s)
        self.web_sessions = r.WebSessionRepository(s)
        self.buyers = r.BuyerRepository(s)
        self.skus = r.SkuRepository(s)
        self.orders = r.OrderRepository(s)
        self.blobs = r.BlobRepository(s)
        self.references = r.ReferenceRepository(s)
        self.claims = r.ClaimRepository(s)
        self.evidence = r.EvidenceRepository(s)
        self.screenings = r.ScreeningRepository(s)
        self.reviews = r.ReviewRepository(s)
        self.credit = r.CreditRepository(s)
        self.idempotency = r.IdempotencyRepository(s)
        self.jobs = r.JobRepository(s)
        self.audit = AuditRepository(s, self._audit_key)
        self.brands = rr.BrandRepository(s)
        self.categories = rr.CategoryRepository(s)
        self.technicians = rr.TechnicianRepository(s)
        self.customers = rr.CustomerRepository(s)
        self.repairs = rr.RepairRepository(s)
        self.tips = rr.TipRepository(s)
        return self

    def add(self, row: object) -> None:
        """Insert a row of a table without a repository of its own (responses, appeals, decisions)."""
        self.session.add(row)

    def add_feedback(self, row: rt_tables.Feedback) -> rt_tables.Feedback:
        self.session.add(row)
        return row

    def attach(self, row: object) -> None:
        """Bring a row read in an earlier unit into this one without reading it again."""
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def after_commit(self, effect: Callable[[], None]) -> None:
        self._after.append(effect)

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict(f"the change clashes with existing data: {exc.orig}") from exc
        except DBAPIError as exc:
            self.session.rollback()
            raise StorageError(f"the database refused the change: {exc.orig}") from exc
        self._committed = True
        self.audit.forget_head()
        effects, self._after = self._after, []
        for effect in effects:
            try:
                effect()
            except Exception:  # an effect (wake-up, notification) must not undo a committed change
                log.exception("after-commit effect failed")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                # Rows read in this unit stay usable (loaded, detached) after it ends; nothing is written.
                self.session.expunge_all()
                self.session.rollback()
            self.session.close()
        finally:
            if self.write:
                self.db.write_lock.__exit__(None, None, None)
