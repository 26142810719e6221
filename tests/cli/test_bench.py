"""`shouhou bench evidence` refuses bad input before any work starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shouhou.cli.app import app, exit_code_for
from shouhou.errors import InputError

runner = CliRunner()


def test_missing_data_folder_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["bench", "evidence", "--data", str(tmp_path / "nope"), "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, InputError)
    assert exit_code_for(result.exception) == 2
    assert "is not a folder" in str(result.exception)


def test_quick_run_cannot_install_thresholds(tmp_path: Path) -> None:
    args = [
        "bench",
        "evidence",
        "--data",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
        "--quick",
        "--install-thresholds",
    ]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError)
    assert "full run" in str(result.exception)


def test_folder_without_photos_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "evidence", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, InputError)
    assert "real/" in str(result.exception)


def test_line_progress_reports_each_stage_start_tenths_and_end() -> None:
    from shouhou.cli.bench import LineProgress

    lines: list[str] = []
    progress = LineProgress(lines.append)
    for done in range(0, 101):
        progress("calibration", done, 100)
    progress("reuse calibration", 0, 1)
    progress("reuse calibration", 1, 1)
    counts = [line.split(": ")[1].split(" ")[0] for line in lines]
    assert counts[:11] == [f"{k * 10}/100" for k in range(11)]
    assert [line.split(":")[0] for line in lines[11:]] == ["reuse calibration"] * 2
    assert counts[11:] == ["0/1", "1/1"]
    progress("calibration", 100, 100)  # a repeated end is not repeated
    assert len(lines) == 13
