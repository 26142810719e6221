"""`shouhou serve`: API + worker + scheduler on the embedded default (or SHOUHOU_DATABASE_URL)."""

from __future__ import annotations

from typing import Annotated

import typer

from shouhou.config import Settings
from shouhou.runtime import Runtime


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="API only: screening stays queued")] = False,
) -> None:
    """Start the REST API (/api/v1; OpenAPI at /api/v1/openapi.json), the worker and the scheduler."""
    import uvicorn

    from shouhou.api.app import create_app

    settings = Settings()
    rt = Runtime.open(settings)
    app = create_app(rt, background=settings.worker_enabled and not no_worker)
    typer.echo(
        f"shouhou: serving http://{host}:{port}/api/v1 (data in {settings.home.resolve()}, "
        f"database {rt.db.dialect})",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
