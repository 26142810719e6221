"""The FastAPI application factory; `shouhou serve` runs it with the worker and scheduler beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shouhou import __version__
from shouhou.api import errors
from shouhou.api.routes import catalog, claims, users
from shouhou.claims.screening import EngineHolder, screen_claim
from shouhou.claims.service import SCREEN_JOB
from shouhou.runtime import Runtime
from shouhou.worker.queue import Worker
from shouhou.worker.scheduler import Scheduler


def build_worker(rt: Runtime) -> tuple[Worker, EngineHolder]:
    holder = EngineHolder(rt)
    worker = Worker(rt, {SCREEN_JOB: lambda payload: screen_claim(rt, holder, payload)})
    rt.wake_worker = worker.wake
    return worker, holder


def create_app(rt: Runtime, *, background: bool = False) -> FastAPI:
    """`background=True` runs the worker and scheduler threads for the app's lifetime."""
    worker, holder = build_worker(rt)
    scheduler = Scheduler(rt)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background:
            if rt.db.dialect == "sqlite":
                worker.recover()
            worker.start()
            scheduler.start()
        try:
            yield
        finally:
            if background:
                scheduler.stop()
                worker.stop()
                holder.close()

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
    for module in (claims, catalog, users):
        app.include_router(module.router, prefix="/api/v1")

    @app.get("/api/v1/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "database": rt.db.dialect}

    return app
