"""Engines and transactions: SQLite (WAL, write transactions taken at BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from shouhou.errors import ConfigError

log = logging.getLogger(__name__)

_WRITE = "shouhou_write"


class Database:
    """One engine per process; `session(write=True)` starts a transaction that may write."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"database URL is not valid: {exc}") from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database in (None, "", ":memory:"):
                raise ConfigError("an in-memory SQLite database cannot be shared; give a file")
            kwargs["poolclass"] = NullPool if parsed.query.get("nullpool") else None
            if kwargs["poolclass"] is None:
                del kwargs["poolclass"]
        elif self.dialect == "postgresql":
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
            kwargs["pool_pre_ping"] = True
        else:
            raise ConfigError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _sqlite_events(self.engine)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; writers queue on a lock instead of sleeping and retrying in
        # SQLite's busy handler (unfair, and the CPU idles while writers wait). See `_SqliteWriteLock`.
        self.write_lock: contextlib.AbstractContextManager[Any] = (
            _SqliteWriteLock(Path(str(parsed.database) + ".writelock"))
            if self.dialect == "sqlite"
            else contextlib.nullcontext()
        )
        writer = self.engine.execution_options(**{_WRITE: True})
        self._write = sessionmaker(bind=writer, expire_on_commit=False)

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    def dispose(self) -> None:
        self.engine.dispose()


class _SqliteWriteLock:
    """Threads of one process queue on a mutex; processes sharing the file queue on an flock of a lock file
    beside the database (the kernel wakes a waiter the moment it is released; a dead holder releases it)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mutex = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._mutex.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own implicit BEGIN is turned off so that ours (below) decides the lock mode.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a killed process; only a power cut may
        # lose the newest commits (never corrupt the file).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock at once, so two writers never deadlock upgrading.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
