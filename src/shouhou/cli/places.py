"""`shouhou places …`: resolve Chinese addresses and place names to divisions, codes and coordinates."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Annotated

import typer

from shouhou.errors import ValidationFailed
from shouhou.places import data_info, resolve

app = typer.Typer(
    no_args_is_help=True, help="Chinese places: address → province, city, county, town, codes, coordinates."
)


def _stdin_names() -> Iterator[str]:
    if sys.stdin is None or sys.stdin.isatty():
        raise ValidationFailed("give names as arguments, or pipe them one per line on standard input")
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _emit(names: Iterable[str]) -> None:
    for name in names:
        typer.echo(json.dumps(resolve(name).model_dump(mode="json"), ensure_ascii=False))


@app.command("resolve")
def resolve_names(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="names or addresses; without any, one per line is read from standard input"),
    ] = None,
) -> None:
    """Print one JSON object per name: input, province, city, county, town, adcode, level, lng, lat,
    approximate, candidates. Unresolved names print with level null; ambiguous ones list candidates."""
    _emit(names if names else _stdin_names())


@app.command("info")
def info() -> None:
    """Print where the division data comes from and the year of the Ministry's codes it follows."""
    typer.echo(json.dumps(data_info().model_dump(mode="json"), ensure_ascii=False))
