"""`shouhou audit`: verify the hash-chained log, and anchor its head outside the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final

import typer

from shouhou.audit import service
from shouhou.config import Settings
from shouhou.errors import AuditTampered
from shouhou.privacy.keys import load_keys
from shouhou.storage.db import Database
from shouhou.storage.migrate import upgrade

EXIT_TAMPERED: Final = 4

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log: verify it, anchor its head.")


@contextmanager
def _opened() -> Iterator[tuple[Settings, bytes, Database]]:
    settings = Settings()
    keys = load_keys(settings)
    db = Database(settings.database_url_or_default)
    try:
        upgrade(db)
        yield settings, keys.audit, db
    finally:
        db.dispose()


@app.command("verify")
def verify() -> None:
    """Check every entry's MAC and link, and the chain against the checkpoint file; exit 4 if tampered."""
    with _opened() as (settings, key, db):
        report = service.verify(db, key, settings.audit_checkpoint_file)
    if report.ok:
        typer.echo(
            f"audit log OK: {report.entries} entries, head seq {report.head_seq}, "
            f"{report.checkpoints} checkpoints"
        )
        return
    for problem in report.problems:
        typer.echo(str(problem))
    typer.echo(f"audit log does NOT verify: {len(report.problems)} problem(s)", err=True)
    raise typer.Exit(EXIT_TAMPERED)


@app.command("checkpoint")
def checkpoint() -> None:
    """Append the head to the checkpoint file and print it; keep the printed line off-site."""
    with _opened() as (settings, key, db):
        try:
            anchored = service.checkpoint(db, key, settings.audit_checkpoint_file, now=datetime.now(UTC))
        except AuditTampered as exc:
            typer.echo(f"shouhou: {exc}", err=True)
            raise typer.Exit(EXIT_TAMPERED) from exc
    typer.echo(anchored.line())
