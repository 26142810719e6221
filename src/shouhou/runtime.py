"""Everything a service needs at run time, built once at an entry point: settings, database, keys, evidence
store and the clock (tests inject theirs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Lock

from shouhou.config import Settings
from shouhou.notify import LoggingNotifier, Notifier
from shouhou.privacy.keys import Keys, load_keys
from shouhou.storage.blobs import BlobStore
from shouhou.storage.db import Database
from shouhou.storage.migrate import upgrade
from shouhou.storage.uow import UnitOfWork


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests, demos)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


Clock = SystemClock | ManualClock


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keys: Keys
    blobs: BlobStore
    clock: Clock = field(default_factory=SystemClock)
    notifier: Notifier = field(default_factory=LoggingNotifier)
    # Called after a commit that queued work, so an idle worker wakes at once.
    wake_worker: Callable[[], None] = lambda: None

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, clock: Clock | None = None, migrate: bool = True
    ) -> Runtime:
        settings = settings or Settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        db = Database(settings.database_url_or_default)
        if migrate:
            upgrade(db)
        keys = load_keys(settings)
        blobs = BlobStore(settings.blob_dir, keys.fields, fsync=settings.fsync_blobs)
        return cls(settings=settings, db=db, keys=keys, blobs=blobs, clock=clock or SystemClock())

    def uow(self, *, write: bool) -> UnitOfWork:
        return UnitOfWork(self.db, self.keys.audit, write=write)

    def now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        self.db.dispose()
