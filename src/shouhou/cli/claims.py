"""`shouhou claims …`: stored claims (re-screen after an engine upgrade)."""

from __future__ import annotations

from typing import Annotated

import typer

from shouhou.claims import timers
from shouhou.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Refund claims.")


@app.command("rescreen")
def rescreen(
    claim_ids: Annotated[list[str] | None, typer.Argument(help="claims to re-screen (default: all)")] = None,
    reason: Annotated[str, typer.Option(help="recorded with each re-screen")] = "engine upgrade",
    run: Annotated[bool, typer.Option("--run", help="run the queued screenings now, not in serve")] = False,
) -> None:
    """Queue a fresh screening of every photo (each signal's version is kept; old results stay)."""
    rt = Runtime.open()
    n = timers.rescreen(rt, claim_ids=claim_ids or None, reason=reason)
    typer.echo(f"queued re-screening of {n} claim(s)")
    if run:
        from shouhou.api.app import build_worker

        worker, holder = build_worker(rt)
        try:
            done = worker.run_pending()
        finally:
            holder.close()
        typer.echo(f"ran {done} job(s)")
