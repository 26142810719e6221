"""Acceptance on the real files in ../shared/data through `shouhou inspect --json` (fast tier: provenance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shouhou.cli.app import app

runner = CliRunner()
pytestmark = pytest.mark.shared


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHOU_HOME", str(tmp_path / "home"))


def _provenance_by_file(folder: Path) -> tuple[dict[str, dict[str, object]], int]:
    result = runner.invoke(app, ["inspect", str(folder), "--json", "--tier", "fast", "--no-record"])
    out: dict[str, dict[str, object]] = {}
    for line in result.stdout.splitlines():
        obj = json.loads(line)
        if obj.get("status") == "bad_input":
            out[Path(obj["source"]).name] = {"bad_input": obj["error"]}
            continue
        (prov,) = [f for f in obj["findings"] if f["signal"] == "provenance"]
        out[Path(obj["source"]).name] = prov
    return out, result.exit_code


def test_c2pa_fixtures(shared_data: Path) -> None:
    found, code = _provenance_by_file(shared_data / "provenance")
    assert code == 0
    assert found["c2pa-C.jpg"]["flagged"] is True
    assert "algorithmicMedia" in str(found["c2pa-C.jpg"]["output"])
    for tampered in ("c2pa-adobe-E-sig-CA.jpg", "c2pa-adobe-XCA.jpg"):
        assert found[tampered]["flagged"] is True, tampered
    for clean in ("c2pa-CA.jpg", "c2pa-adobe-CAI.jpg", "c2pa-no_manifest.jpg"):
        assert found[clean]["flagged"] is False, (clean, found[clean]["summary"])


@pytest.mark.slow
@pytest.mark.parametrize("sub", ["real/photos", "real/pairs", "real/variants", "ai"])
def test_no_provenance_finding_on_real_or_unlabelled_ai_photos(shared_data: Path, sub: str) -> None:
    found, code = _provenance_by_file(shared_data / sub)
    assert found
    screened = {k: v for k, v in found.items() if "bad_input" not in v}
    bad = set(found) - set(screened)
    assert bad <= {"ukbench09268_corrupt.jpg"}  # the deliberately corrupt file, refused with a clear error
    assert code == (2 if bad else 0)
    flagged = [k for k, v in screened.items() if v["flagged"]]
    assert flagged == []
