"""`shouhou bench`: measurement commands (forged-evidence scorecard)."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shouhou.errors import DependencyUnavailable, InputError

if TYPE_CHECKING:
    from rich.console import Console

    from shouhou.bench.evidence import Options

app = typer.Typer(no_args_is_help=True, help="Benchmarks that measure the engine on real photos.")


@app.command("evidence")
def evidence(
    data: Annotated[
        Path, typer.Option(help="Data folder with real/pairs, real/photos (e.g. ../shared/data).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for scorecard.json/.md, plots and per-case records.")],
    seed: Annotated[int, typer.Option(help="Seed of the calibration cases; the report uses seed + 1.")] = 1,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0: one per CPU core).")] = 0,
    quick: Annotated[
        bool, typer.Option(help="A few dozen report cases with the shipped thresholds (CI).")
    ] = False,
    install_thresholds: Annotated[
        bool, typer.Option(help="Write the fitted thresholds into the engine's shipped defaults.")
    ] = False,
    check_floor: Annotated[
        Path | None,
        typer.Option(help="Committed scorecard.json: fail (exit 4) if this run falls below its floor."),
    ] = None,
) -> None:
    """Build labelled cases from real photos, calibrate on one split, score the other, write a scorecard."""
    from rich.console import Console

    try:
        import imagehash  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise DependencyUnavailable(
            f"the benchmark needs the [bench] extra: pip install 'shouhou[bench]' ({exc})"
        ) from exc
    from shouhou.bench.evidence import Options, run_benchmark
    from shouhou.bench.evidence import check_floor as floor_check

    if not data.is_dir():
        raise InputError(f"--data {data} is not a folder")
    if quick and install_thresholds:
        raise InputError("--install-thresholds needs a full run (a quick run fits nothing)")
    n = workers or max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    command = (
        "shouhou bench evidence " + " ".join(shlex.quote(a) for a in sys.argv[3:])
        if len(sys.argv) > 2
        else ""
    )
    console = Console(stderr=True, soft_wrap=True)  # a log keeps each result on one line
    options = Options(data, out, seed, n, quick, command.strip())
    if console.is_terminal:
        card = _with_bar(console, options)
    else:  # a log file or CI: a live bar would show nothing until the end
        card = run_benchmark(options, LineProgress(lambda line: console.print(line, highlight=False)))
    for a in card["acceptance"]:
        mark = {True: "[green]met[/]", False: "[red]NOT met[/]", None: "[yellow]n/a[/]"}[a["met"]]
        console.print(f"{a['criterion']}: {a['value']} (target {a['target']}) {mark}", highlight=False)
    console.print(f"scorecard: {out / 'scorecard.md'}")
    if install_thresholds:
        from importlib import resources

        target = Path(str(resources.files("shouhou.evidence").joinpath("data/thresholds.toml")))
        target.write_text((out / "thresholds.toml").read_text("utf-8"), "utf-8")
        console.print(f"installed fitted thresholds into {target}")
    if check_floor is not None:
        committed = json.loads(check_floor.read_text("utf-8"))
        failures = floor_check(card, committed)
        for f in failures:
            console.print(f"[red]floor:[/] {f}", highlight=False)
        if failures:
            raise typer.Exit(4)
        console.print("floor check passed")


class LineProgress:
    """Progress as plain lines (for a log file): a stage's start, each further tenth, and its end."""

    def __init__(self, write: Callable[[str], None], *, steps: int = 10) -> None:
        self._write = write
        self._steps = steps
        self._shown: dict[str, int] = {}
        self._started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        start = self._started.setdefault(stage, now)
        total = max(total, 1)
        step = min(self._steps, done * self._steps // total)
        if stage in self._shown and step <= self._shown[stage]:
            return
        self._shown[stage] = step
        self._write(f"{stage}: {min(done, total)}/{total} ({now - start:.0f} s)")


def _with_bar(console: Console, options: Options) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from shouhou.bench.evidence import run_benchmark

    with Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done if total else 1)

        return run_benchmark(options, progress)
