"""The FastAPI application factory; `shouhou serve` runs it with the worker and scheduler beside it."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO

from fastapi import FastAPI

from shouhou import __version__
from shouhou.api import errors
from shouhou.api.routes import catalog, claims, repairs, users
from shouhou.claims.screening import EngineHolder, screen_claim
from shouhou.claims.service import SCREEN_JOB
from shouhou.config import Settings
from shouhou.runtime import Runtime
from shouhou.web.app import install_web
from shouhou.worker.queue import Worker
from shouhou.worker.scheduler import Scheduler


def build_worker(rt: Runtime) -> tuple[Worker, EngineHolder]:
    holder = EngineHolder(rt)
    worker = Worker(rt, {SCREEN_JOB: lambda payload: screen_claim(rt, holder, payload)})
    rt.wake_worker = worker.wake
    return worker, holder


log = logging.getLogger(__name__)


def _take_worker_lock(rt: Runtime) -> IO[bytes] | None:
    """One process per home runs the worker and scheduler (the reuse index has one writer): the one that holds
    an exclusive lock on <home>/worker.lock. The OS drops the lock when that process dies, however it dies."""
    fh = open(rt.settings.home / "worker.lock", "ab")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def create_app(rt: Runtime, *, background: bool = False) -> FastAPI:
    """`background=True` runs the worker and scheduler threads for the app's lifetime (in the one process per
    home that wins the worker lock; other API processes only serve requests)."""
    worker, holder = build_worker(rt)
    scheduler = Scheduler(rt)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        lock = _take_worker_lock(rt) if background else None
        if background and lock is None:
            log.info("process %d serves the API only: another process runs the worker", os.getpid())
        if lock is not None:
            if rt.db.dialect == "sqlite":
                worker.recover()
            worker.start()
            scheduler.start()
        try:
            yield
        finally:
            if lock is not None:
                scheduler.stop()
                worker.stop()
                holder.close()
                lock.close()

    app = FastAPI(
        title="shouhou",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        description="After-sales platform: refund claims with forged-evidence screening.",
    )
    app.state.runtime = rt
    app.state.worker = worker
    app.state.scheduler = scheduler
    app.state.engine = holder
    errors.install(app)
    for module in (claims, catalog, users, repairs):
        app.include_router(module.router, prefix="/api/v1")

    install_web(app)

    @app.get("/api/v1/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": rt.db.dialect}

    return app


def serve_app() -> FastAPI:
    """Factory for `uvicorn --factory` with several API processes (`shouhou serve --workers N`)."""
    settings = Settings()
    rt = Runtime.open(settings, migrate=False)
    return create_app(rt, background=settings.worker_enabled)
