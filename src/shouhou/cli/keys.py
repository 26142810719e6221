"""`shouhou keys …`: make a new field key and re-encrypt personal fields under the newest key."""

from __future__ import annotations

from typing import Annotated

import typer

from shouhou.claims.catalog import rotate_personal_fields
from shouhou.privacy.crypto import format_keys, new_key
from shouhou.runtime import Runtime

app = typer.Typer(no_args_is_help=True, help="Encryption keys (they live outside the database).")


@app.command("new")
def new(kid: Annotated[str, typer.Argument(help="id of the new key, e.g. k2")]) -> None:
    """Print a new key as `kid:base64`; put it first in SHOUHOU_FIELD_KEYS, keep the old ones after it."""
    typer.echo(format_keys({kid: new_key()}))


@app.command("rotate")
def rotate() -> None:
    """Re-encrypt every buyer's name, phone and address under the first key of SHOUHOU_FIELD_KEYS."""
    rt = Runtime.open()
    try:
        seen, rewritten = rotate_personal_fields(rt)
    finally:
        rt.close()
    typer.echo(
        f"{seen} buyer(s) checked, {rewritten} field(s) re-encrypted under key {rt.keys.fields.current_kid}"
    )
