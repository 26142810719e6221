"""`shouhou inspect` through Typer's runner: JSON contract, folders, reports and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from shouhou.cli.app import app, exit_code_for
from shouhou.errors import DependencyUnavailable, TruncatedImage
from shouhou.evidence.image import encode_image
from tests.conftest import sample

runner = CliRunner()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SHOUHOU_HOME", str(home))
    return home


def _write(path: Path, rgb: np.ndarray, quality: int = 90) -> Path:
    path.write_bytes(encode_image(rgb, "PNG" if path.suffix == ".png" else "JPEG", quality=quality))
    return path


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_one_photo_json_is_exactly_one_object(tmp_path: Path) -> None:
    photo = _write(tmp_path / "claim.jpg", sample("chelsea"))
    result = runner.invoke(app, ["inspect", str(photo), "--json", "--no-record"])
    assert result.exit_code == 0, result.output
    (obj,) = _lines(result.stdout)
    for key in ("risk", "score", "matched_reference", "findings"):
        assert key in obj
    assert obj["risk"] in {"none", "low", "medium", "high"}
    assert 0.0 <= float(obj["score"]) <= 1.0  # type: ignore[arg-type]
    findings = obj["findings"]
    assert isinstance(findings, list) and findings
    for f in findings:
        assert set(f) >= {"signal", "version", "status", "score", "summary", "regions"}
        assert f["status"] in {"ok", "failed", "skipped"}
    assert {f["signal"] for f in findings} >= {"provenance", "reference", "reuse", "forensics", "capture"}


def test_derived_and_edited_claim_names_its_reference(tmp_path: Path) -> None:
    from shouhou.evidence.synth.damage import DAMAGES

    ref_rgb = sample("coffee")
    ref = _write(tmp_path / "listing.jpg", ref_rgb, quality=95)
    other = _write(tmp_path / "other.jpg", sample("rocket"))
    edited = DAMAGES["crack"](ref_rgb, seed=3, strength=0.8).image
    claim = _write(tmp_path / "claim.jpg", edited, quality=88)
    result = runner.invoke(
        app, ["inspect", str(claim), "-r", str(other), "-r", str(ref), "--json", "--no-record"]
    )
    assert result.exit_code == 0, result.output
    (obj,) = _lines(result.stdout)
    assert obj["matched_reference"] == str(ref)
    assert obj["risk"] == "high"
    reference = next(f for f in obj["findings"] if f["signal"] == "reference")  # type: ignore[union-attr]
    assert reference["regions"]


def test_folder_screens_the_good_and_reports_the_bad(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.jpg", sample("chelsea"))
    _write(folder / "b.png", sample("coffee"))
    good = encode_image(sample("astronaut"), "JPEG")
    (folder / "c-truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "d-notes.jpg").write_bytes(b"this is not a photo at all")
    result = runner.invoke(app, ["inspect", str(folder), "--json", "--no-record"])
    assert result.exit_code == 2
    rows = _lines(result.stdout)
    assert len(rows) == 4
    by_name = {Path(str(r["source"])).name: r for r in rows}
    assert by_name["a.jpg"]["risk"] in {"none", "low"}
    assert by_name["c-truncated.jpg"]["status"] == "bad_input"
    assert "truncated" in str(by_name["c-truncated.jpg"]["error"])
    assert by_name["d-notes.jpg"]["status"] == "bad_input"
    assert "screening summary" in result.stderr


def test_report_writes_html_and_pictures(tmp_path: Path) -> None:
    photo = _write(tmp_path / "claim.jpg", sample("chelsea"))
    out = tmp_path / "report"
    result = runner.invoke(app, ["inspect", str(photo), "--report", str(out), "--no-record"])
    assert result.exit_code == 0, result.output
    page = (out / "index.html").read_text("utf-8")
    assert "claim.jpg" in page and "data:image/png;base64," in page
    assert list(out.glob("*-claim.png"))


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", "/no/such/photo.jpg"],
        ["inspect", "{photo}", "--delivered-at", "yesterday"],
        ["inspect", "{photo}", "--delivered-at", "2026-01-01T10:00:00"],
        ["inspect", "{photo}", "--tier", "turbo"],
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    photo = _write(tmp_path / "p.jpg", sample("chelsea"))
    result = runner.invoke(app, [a.replace("{photo}", str(photo)) for a in args])
    assert result.exit_code == 2, result.output


def test_reuse_is_found_across_runs_through_the_persistent_index(tmp_path: Path) -> None:
    first = _write(tmp_path / "first.jpg", sample("astronaut"), quality=92)
    again = _write(tmp_path / "again.jpg", sample("astronaut")[20:, 10:], quality=70)
    assert runner.invoke(app, ["inspect", str(first), "--json", "--claim-id", "c1"]).exit_code == 0
    result = runner.invoke(app, ["inspect", str(again), "--json", "--claim-id", "c2"])
    (obj,) = _lines(result.stdout)
    reuse = next(f for f in obj["findings"] if f["signal"] == "reuse")  # type: ignore[union-attr]
    assert reuse["status"] == "ok" and reuse["flagged"] is True, reuse
    assert obj["risk"] in {"medium", "high"}


def test_exit_codes_map_errors() -> None:
    assert exit_code_for(TruncatedImage("x")) == 2
    assert exit_code_for(DependencyUnavailable("x")) == 3
    assert exit_code_for(RuntimeError("x")) == 1


def test_report_of_a_forged_claim_shows_reference_and_difference(tmp_path: Path) -> None:
    from shouhou.evidence.synth.damage import DAMAGES

    ref_rgb = sample("coffee")
    ref = _write(tmp_path / "listing.jpg", ref_rgb, quality=95)
    claim = _write(tmp_path / "claim.jpg", DAMAGES["stain"](ref_rgb, seed=5, strength=0.9).image, quality=88)
    out = tmp_path / "report"
    result = runner.invoke(app, ["inspect", str(claim), "-r", str(ref), "--report", str(out), "--no-record"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.glob("*.png")}
    assert {"claim-claim.png", "claim-reference.png", "claim-reference-diff.png"} <= names
    page = (out / "index.html").read_text("utf-8")
    assert "high" in page and "listing.jpg" in page
