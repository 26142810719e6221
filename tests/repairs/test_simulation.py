"""`shouhou repairs simulate` through Typer's runner, on SQLite and PostgreSQL: the report's counts add up,
its rates are rates, the same seed gives the same simulated outcome, and a used database is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from shouhou.cli.repairs_simulate import simulate
from shouhou.errors import InputError
from shouhou.repairs.sim_world import parse_shifts

runner = CliRunner()
app = typer.Typer()
app.command()(simulate)


def _run(out: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--days", "1", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "dispatch decision at intake" in result.stdout
    report: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return report


def _rates(node: object) -> list[tuple[str, float]]:
    """Every share, attainment and rate in the report (names say which numbers are fractions)."""
    found: list[tuple[str, float]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, float) and (
                key in ("in_shift", "overall") or "attainment" in key or "rate" in key
            ):
                found.append((key, value))
            found += _rates(value)
    return found


def test_report_counts_add_up_and_rates_are_rates(tmp_path: Path, database_url: str) -> None:
    r = _run(
        tmp_path / "report.json",
        *("--requests-per-day", "150", "--technicians", "30", "--seed", "3"),
        *("--uncovered-counties", "1", "--database-url", database_url),
    )
    c = r["counts"]
    assert c["calls"] == 150 == c["requests"] + c["linked_repeat_calls"]
    assert c["in_shift"] + c["off_shift"] == c["requests"]
    assert sum(c["final_states"].values()) == c["requests"]
    # Intake only dispatches to a technician on shift, so every decision at intake was an in-shift request.
    assert 0 < c["dispatched_at_intake"] <= c["in_shift"] < c["requests"]
    assert r["dispatch_at_intake"]["in_shift"] == round(c["dispatched_at_intake"] / c["in_shift"], 4)
    # One demand county has nobody: its requests went to the uncovered queue and stayed there.
    assert 0 < c["ever_uncovered"] == c["final_states"].get("uncovered", 0)
    assert r["uncovered_rate"] == round(c["ever_uncovered"] / c["requests"], 4)
    assert c["emergency"] == r["sla"]["emergency_overall"]["n"]
    assert r["sla"]["normal_overall"]["n"] + c["emergency"] == c["requests"]
    for part in r["sla"].values():
        assert 0 <= part["met"] <= part["n"] and 0 <= part["policy_met"] <= part["n"]
    inside, overall = r["sla"]["normal_in_shift"], r["sla"]["normal_overall"]
    assert inside["n"] <= overall["n"] and inside["met"] <= overall["met"]
    rates = _rates({k: v for k, v in r.items() if k != "wall"})
    assert len(rates) >= 12 and all(0.0 <= v <= 1.0 for _, v in rates), rates
    u = r["utilisation"]
    assert u["busy_hours"] > 0 and u["shift_hours"] == 30 * 12.0 and u["p10"] <= u["p50"] <= u["p90"]
    for key in ("time_to_dispatch_min", "time_to_first_response_min"):
        assert 0 <= r[key]["in_shift"]["mean"] <= r[key]["overall"]["mean"]  # waiting for a shift adds time
    ms = r["wall"]["dispatch_ms"]
    assert ms["n"] == c["requests"] and 0 < ms["p50"] <= ms["p95"] <= ms["p99"]
    assert set(r["acceptance"]) == {"dispatch_at_intake_in_shift", "dispatch_ms_p99", "wall_total_s"}


def test_same_seed_same_outcome_and_a_used_database_is_refused(tmp_path: Path) -> None:
    small = ("--requests-per-day", "60", "--technicians", "12")
    first = _run(tmp_path / "a.json", *small, "--seed", "7", "--home", str(tmp_path / "a"))
    again = _run(tmp_path / "b.json", *small, "--seed", "7", "--home", str(tmp_path / "b"))
    other = _run(tmp_path / "c.json", *small, "--seed", "8", "--home", str(tmp_path / "c"))

    def outcome(report: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in report.items() if k not in ("wall", "acceptance", "options")}

    assert outcome(first) == outcome(again)
    assert outcome(first) != outcome(other)
    reused = runner.invoke(app, [*small, "--days", "1", "--home", str(tmp_path / "a")])
    assert isinstance(reused.exception, InputError) and "fresh database" in str(reused.exception)


@pytest.mark.parametrize(
    ("text", "shifts"),
    [
        ("08:00-20:00", (("08:00", "20:00"),)),
        ("08:00-20:00, 20:00-08:00", (("08:00", "20:00"), ("20:00", "08:00"))),
    ],
)
def test_shifts_parse(text: str, shifts: tuple[tuple[str, str], ...]) -> None:
    assert parse_shifts(text) == shifts


@pytest.mark.parametrize("text", ["", "8-20", "08:00-24:00", "08:00", "08:00-20:00-22:00"])
def test_bad_shifts_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_shifts(text)
