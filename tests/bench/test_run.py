"""Benchmark runner: reference features cached by content within a run, without changing any result."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from shouhou.bench.cases import CaseSpec
from shouhou.bench.run import RunConfig, run_cases
from tests.conftest import sample

TIMINGS = {"seconds", "reference_features_seconds", "signals", "peak_rss_mb"}


def test_a_shared_reference_is_extracted_once_and_results_do_not_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    photo = tmp_path / "coffee.jpg"
    Image.fromarray(sample("coffee")).save(photo, quality=92)
    spec = CaseSpec("rep-forged-00001", "report", "forged", "stain", str(photo), str(photo), 7, strength=0.9)
    first, second = list(run_cases([spec, spec], RunConfig(None, baselines=False), workers=1))
    assert "error" not in first and "error" not in second
    assert isinstance(first["reference_features_seconds"], float)
    assert second["reference_features_seconds"] is None  # served from the per-run cache
    assert {k: v for k, v in first.items() if k not in TIMINGS} == {
        k: v for k, v in second.items() if k not in TIMINGS
    }
    strip = {"seconds"}
    assert [{k: v for k, v in s.items() if k not in strip} for s in first["signals"].values()] == [
        {k: v for k, v in s.items() if k not in strip} for s in second["signals"].values()
    ]
    assert first["signals"]["reference"]["relation"] == "derived"
