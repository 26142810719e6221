"""`shouhou repairs simulate`: replay synthetic demand through the real repair services; print the report."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shouhou.errors import InputError


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _num(value: Any, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.1f}{unit}"


def _table(report: dict[str, Any]) -> Table:
    c, sla, w = report["counts"], report["sla"], report["wall"]
    o = report["options"]
    table = Table(
        title=f"repairs simulation — {o['days']} d × {o['requests_per_day']}/d, "
        f"{o['technicians']} technicians, seed {o['seed']}"
    )
    table.add_column("measure")
    table.add_column("in shift", justify="right")
    table.add_column("overall", justify="right")
    rows: list[tuple[str, str, str]] = [
        (
            "calls / requests (linked repeat calls)",
            "",
            f"{c['calls']} / {c['requests']} ({c['linked_repeat_calls']})",
        ),
        ("requests", str(c["in_shift"]), str(c["requests"])),
        (
            "dispatch decision at intake",
            _pct(report["dispatch_at_intake"]["in_shift"]),
            _pct(report["dispatch_at_intake"]["overall"]),
        ),
    ]
    for key, label in (("normal", "normal ≤ 30 min"), ("emergency", "emergency ≤ 15 min")):
        inside, overall = sla[f"{key}_in_shift"], sla[f"{key}_overall"]
        rows.append((f"first response {label}", _pct(inside["attainment"]), _pct(overall["attainment"])))
        rows.append(
            (
                f"  … by the SLA calendar ({key})",
                _pct(inside["policy_attainment"]),
                _pct(overall["policy_attainment"]),
            )
        )
    for key, label in (
        ("time_to_dispatch_min", "time to dispatch"),
        ("time_to_first_response_min", "time to first response"),
    ):
        inside, overall = report[key]["in_shift"], report[key]["overall"]
        rows.append((f"{label}, mean (min)", _num(inside["mean"]), _num(overall["mean"])))
        rows.append((f"{label}, p95 (min)", _num(inside["p95"]), _num(overall["p95"])))
    u = report["utilisation"]
    d = w["dispatch_ms"]
    rows += [
        (
            "technician utilisation (p10 / p50 / p90)",
            "",
            f"{_pct(u['overall'])} ({_pct(u['p10'])} / {_pct(u['p50'])} / {_pct(u['p90'])})",
        ),
        ("uncovered rate", "", _pct(report["uncovered_rate"])),
        ("SLA breaches / escalations", "", f"{c['first_response_breached']} / {c['escalations']}"),
        ("dispatch decision latency p50 / p95 / p99 (wall)", "", f"{d['p50']} / {d['p95']} / {d['p99']} ms"),
        (
            "wall time: set-up / simulation / total",
            "",
            f"{w['setup_s']:.0f} / {w['simulation_s']:.0f} / {w['total_s']:.0f} s",
        ),
    ]
    for row in rows:
        table.add_row(*row)
    return table


def simulate(
    days: Annotated[int, typer.Option(min=1, help="Simulated days of arrivals.")] = 7,
    requests_per_day: Annotated[int, typer.Option(min=1, help="Calls per simulated day.")] = 2000,
    technicians: Annotated[int, typer.Option(min=2, help="Technicians (4 per demand county).")] = 400,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same simulated outcome.")] = 1,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First simulated day (local midnight).")
    ] = datetime(2026, 3, 2),
    shifts: Annotated[
        str, typer.Option(help="Shifts given out in turn, e.g. '08:00-20:00,12:00-00:00' (local time).")
    ] = "08:00-20:00",
    capacity: Annotated[int, typer.Option(min=1, help="Visits per technician per day.")] = 8,
    tick_minutes: Annotated[float, typer.Option(min=0.5, help="Simulated minutes between timer runs.")] = 5.0,
    uncovered_counties: Annotated[
        int, typer.Option(min=0, help="Extra demand counties nobody covers (the uncovered queue).")
    ] = 0,
    home: Annotated[
        Path | None, typer.Option(help="Folder for a fresh SQLite database (kept); default a temporary one.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="An empty database instead (e.g. postgresql+psycopg://…).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the full report as JSON here.")] = None,
    check: Annotated[
        bool, typer.Option(help="Exit 4 unless the acceptance targets (decision at intake, p99) are met.")
    ] = False,
) -> None:
    """Replay synthetic demand over real counties through the real intake, dispatch, state and timer code on a
    simulated clock; report SLA attainment, dispatch times and latency, utilisation and the uncovered rate."""
    from shouhou.repairs.sim_world import SimOptions, parse_shifts
    from shouhou.repairs.simulation import simulate as run

    if home is not None and database_url is not None:
        raise InputError("give --home or --database-url, not both")
    options = SimOptions(
        days=days,
        requests_per_day=requests_per_day,
        technicians=technicians,
        seed=seed,
        start=date(start.year, start.month, start.day),
        shifts=parse_shifts(shifts),
        capacity=capacity,
        tick_minutes=tick_minutes,
        uncovered_counties=uncovered_counties,
    )
    err = Console(stderr=True)
    with err.status("simulating …") as status:
        report = run(
            options,
            home=home,
            database_url=database_url,
            progress=lambda done: status.update(f"simulating … {done * 100:.0f} % of the simulated days"),
        )
    Console(width=None if sys.stdout.isatty() else 120).print(_table(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    failed = [name for name, a in report["acceptance"].items() if not a["met"]]
    for name in failed:
        err.print(f"[red]not met:[/] {name} = {report['acceptance'][name]['value']}", highlight=False)
    if check and failed:
        raise typer.Exit(4)
