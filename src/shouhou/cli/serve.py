"""`shouhou serve`: console + API + worker + scheduler on the embedded default (or SHOUHOU_DATABASE_URL)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from shouhou.config import Settings
from shouhou.runtime import Runtime


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="API only: screening stays queued")] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes (one of them runs the worker)")
    ] = 1,
) -> None:
    """Start the web console (/), the REST API (/api/v1; OpenAPI at /api/v1/openapi.json), the worker and the
    scheduler."""
    import uvicorn

    from shouhou.api.app import create_app

    if no_worker:
        os.environ["SHOUHOU_WORKER_ENABLED"] = "false"  # read by every process's Settings
    settings = Settings()
    rt = Runtime.open(settings)  # migrates once, here, before any API process starts
    base = f"http://{host}:{port}"
    typer.echo(
        f"shouhou: console at {base}/ and API at {base}/api/v1 (data in {settings.home.resolve()}, "
        f"database {rt.db.dialect}, {workers} API process(es))",
        err=True,
    )
    if workers == 1:
        app = create_app(rt, background=settings.worker_enabled)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    rt.close()
    uvicorn.run(
        "shouhou.api.app:serve_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
