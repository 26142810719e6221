"""`shouhou inspect`: screen one photo or a folder of photos against optional merchant references."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shouhou.config import Settings
from shouhou.errors import DependencyUnavailable, InputError, ShouhouError
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.model import Tier
from shouhou.evidence.pipeline import Screening

if TYPE_CHECKING:
    from shouhou.evidence.engine import Engine
    from shouhou.evidence.references import ReferencePhoto

EXIT_BAD_INPUT, EXIT_DEPENDENCY, EXIT_INTERNAL = 2, 3, 1


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-11-20T15:30:00+08:00)"
        ) from exc
    if parsed.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no UTC offset; write it like 2026-11-20T15:30:00+08:00")
    return parsed


def _photos_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _json_line(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def inspect(
    photo: Annotated[Path, typer.Argument(help="A photo, or a folder of photos (screened recursively).")],
    reference: Annotated[
        list[Path] | None,
        typer.Option(
            "--reference",
            "-r",
            help="A merchant reference photo (listing, packing photo, video frame); repeatable.",
        ),
    ] = None,
    delivered_at: Annotated[
        str | None,
        typer.Option(help="The order's delivery time, ISO 8601 with offset, e.g. 2026-11-20T15:30:00+08:00."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per photo on stdout (JSON Lines).")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write an HTML report with pictures into this folder.")
    ] = None,
    tier: Annotated[
        str, typer.Option(help="full (all signals) or fast (metadata, C2PA, reuse lookup).")
    ] = "full",
    record: Annotated[bool, typer.Option(help="Add screened photos to the reuse index.")] = True,
    claim_id: Annotated[
        str | None, typer.Option(help="Claim the photos belong to (reuse within it is not reuse).")
    ] = None,
    submitter: Annotated[str | None, typer.Option(help="Who uploaded the photos (buyer id).")] = None,
) -> None:
    """Screen evidence photos for AI labels, derivation from merchant photos, reuse and local edits."""
    err = Console(stderr=True)
    try:
        when = _parse_time(delivered_at)
        chosen_tier = {"full": Tier.FULL, "fast": Tier.FAST}[tier.lower()]
    except KeyError:
        err.print(f"shouhou: --tier must be full or fast, not {tier!r}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except typer.BadParameter as exc:
        err.print(f"shouhou: --delivered-at: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if not photo.exists():
        err.print(f"shouhou: {photo}: no such file or folder")
        raise typer.Exit(EXIT_BAD_INPUT)
    settings = Settings()
    try:
        engine, references = _build_engine(settings, chosen_tier, reference or [], record)
    except InputError as exc:
        err.print(f"shouhou: reference rejected: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (DependencyUnavailable, ImportError) as exc:
        err.print(f"shouhou: a dependency is unavailable: {exc}")
        raise typer.Exit(EXIT_DEPENDENCY) from None

    folder_mode = photo.is_dir()
    paths = _photos_in(photo) if folder_mode else [photo]
    context = ScreenContext(delivered_at=when, claim_id=claim_id, submitter_id=submitter)
    done: list[Screening] = []
    kept: list[tuple[Evidence, Screening]] = []  # only when a report needs the pictures
    bad: list[tuple[str, str]] = []
    internal = False
    progress = Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[name]}"),
        console=err,
        disable=not folder_mode,
        transient=False,
    )
    with progress:
        task = progress.add_task("screen", total=len(paths), name="")
        for path in paths:
            progress.update(task, name=path.name)
            try:
                item, result = engine.screen(path, references=references, context=context)
            except InputError as exc:
                bad.append((str(path), str(exc)))
                if as_json:
                    _json_line({"source": str(path), "status": "bad_input", "error": str(exc)})
                if not folder_mode or not as_json:
                    err.print(f"shouhou: bad input: {exc}", highlight=False, markup=False)
            except ShouhouError as exc:
                internal = True
                bad.append((str(path), str(exc)))
                err.print(f"shouhou: {path}: {exc}", highlight=False, markup=False)
            else:
                done.append(result)
                if report is not None:
                    kept.append((item, result))
                if as_json:
                    _json_line(result.model_dump(mode="json"))
                elif not folder_mode:
                    _print_one(result)
            progress.advance(task)
    if engine.index is not None:
        engine.index.save()
    if folder_mode:
        _print_summary(err, done, bad)
    if report is not None:
        from shouhou.evidence.report import write_report

        page = write_report(kept, report, failures=bad)
        err.print(f"report: {page}", highlight=False)
    if internal:
        raise typer.Exit(EXIT_INTERNAL)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _build_engine(
    settings: Settings, tier: Tier, reference_paths: list[Path], record: bool
) -> tuple[Engine, list[ReferencePhoto]]:
    from shouhou.evidence.engine import Engine
    from shouhou.evidence.references import ReferenceLibrary
    from shouhou.index.store import ReuseIndex

    settings.home.mkdir(parents=True, exist_ok=True)
    index = ReuseIndex.open(settings.index_dir)
    library = ReferenceLibrary(settings.reference_cache_dir, settings.limits)
    references = [library.add(p, name=str(p)) for p in reference_paths]
    return Engine(settings, tier=tier, index=index, record=record), references


def _print_one(result: Screening) -> None:
    out = Console()
    colour = {"none": "green", "low": "yellow", "medium": "dark_orange", "high": "red"}[result.risk]
    out.print(
        f"[bold]{result.source}[/bold]: risk [{colour}]{result.risk}[/{colour}] (score {result.score:.2f})",
        highlight=False,
    )
    if result.matched_reference:
        out.print(f"  derived from reference: {result.matched_reference}", highlight=False, markup=False)
    for reason in result.reasons:
        out.print(f"  - {reason.level}: [{reason.signal}] {reason.text}", highlight=False, markup=False)
    for note in result.notes:
        out.print(f"  note: {note}", highlight=False, markup=False)


def _print_summary(err: Console, done: list[Screening], bad: list[tuple[str, str]]) -> None:
    table = Table(title="screening summary")
    for col in ("photo", "risk", "score", "derived from", "main reason"):
        table.add_column(col)
    for r in done:
        main = f"[{r.reasons[0].signal}] {r.reasons[0].text}" if r.reasons else ""
        table.add_row(
            escape(Path(r.source).name),
            r.risk,
            f"{r.score:.2f}",
            escape(r.matched_reference or ""),
            escape(main[:80]),
        )
    for name, why in bad:
        table.add_row(escape(Path(name).name), "not screened", "", "", escape(why[:80]))
    err.print(table)
    counts = {level: sum(1 for r in done if r.risk == level) for level in ("none", "low", "medium", "high")}
    err.print(
        f"{len(done)} screened ({', '.join(f'{k} {v}' for k, v in counts.items())}), {len(bad)} not screened",
        highlight=False,
    )
