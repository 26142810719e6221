"""Calibration: cuts that trade misses for false flags, and a thresholds file the engine loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shouhou.bench.calibrate import FALSE_FLAG_COST, fit, fit_cut, thresholds_toml, write
from shouhou.evidence.signals.forensics import ForensicsSignal
from shouhou.evidence.signals.reference import ReferenceMatchSignal, ReferenceParams, derived_score
from shouhou.evidence.thresholds import load_thresholds


def test_cut_separates_separable_scores_in_the_middle_of_the_gap() -> None:
    assert fit_cut([0.8, 0.9, 0.95], [0.1, 0.2, 0.3], lo=0.0, hi=1.0) == pytest.approx(0.55, abs=0.01)


def test_cut_prefers_a_miss_to_a_false_flag() -> None:
    # One honest photo scores like a copy: flagging it would cost FALSE_FLAG_COST misses' worth.
    pos = [0.6, 0.9, 0.95, 0.97]
    neg = [0.1, 0.2, 0.7]
    cut = fit_cut(pos, neg, lo=0.0, hi=1.0)
    assert FALSE_FLAG_COST > 1
    assert 0.7 < cut <= 0.9  # misses 0.6, flags no honest photo


def _rec(kind: str, fine: float | None, light: float = 0.9, forensics: float = 0.0) -> dict[str, Any]:
    ref: dict[str, Any] = {"status": "ok"}
    if fine is not None:
        ref.update(fine_correlation=fine, lighting_match=light, reproj_error=0.2)
    return {"kind": kind, "signals": {"reference": ref, "forensics": {"score": forensics}}}


def test_fit_learns_a_lighting_ramp_that_clears_flat_reshoots() -> None:
    copies = [_rec("forged", 0.95, 0.95) for _ in range(20)] + [_rec("forged", None)]
    # Honest re-shots of a flat print: fine texture agrees, lighting differs somewhat.
    honest = [_rec("genuine", 0.9, 0.75) for _ in range(10)] + [_rec("genuine", 0.3, 0.2) for _ in range(10)]
    fitted = fit(copies + honest, reuse_max_distance=40)
    ref = fitted["signals"]["reference"]
    p = ReferenceParams(**ref)
    assert all(derived_score(0.9, 0.75, 0.2, p) < ref["derived_threshold"] for _ in range(1))
    assert derived_score(0.95, 0.95, 0.2, p) >= ref["derived_threshold"]
    assert fitted["evidence"]["reference"]["false_flags"] == 0
    assert fitted["signals"]["reuse"] == {"max_distance": 40}


def test_thresholds_file_round_trips_through_the_engine_loader(tmp_path: Path) -> None:
    fitted = {
        "signals": {
            "reference": {"derived_threshold": 0.61, "light_lo": 0.5},
            "forensics": {"min_flag_score": 0.42},
        }
    }
    text = thresholds_toml(fitted, source='bench "calibration" split', verdict={"band_low": 0.1})
    path = tmp_path / "thresholds.toml"
    write(path, text)
    t = load_thresholds(path)
    assert t.calibrated is True and "calibration" in t.source and t.date
    ref = t.params_for(ReferenceMatchSignal)
    assert isinstance(ref, ReferenceParams) and ref.derived_threshold == 0.61 and ref.light_lo == 0.5
    assert t.params_for(ForensicsSignal).min_flag_score == 0.42  # type: ignore[attr-defined]


def test_shipped_thresholds_are_the_committed_benchmark_fit() -> None:
    # The engine's defaults must be the thresholds the committed scorecard was measured with.
    root = Path(__file__).resolve().parents[2]
    shipped = (root / "src" / "shouhou" / "evidence" / "data" / "thresholds.toml").read_text("utf-8")
    committed = (root / "benchmarks" / "evidence" / "thresholds.toml").read_text("utf-8")
    assert shipped == committed
    assert load_thresholds().calibrated
