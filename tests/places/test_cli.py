"""`shouhou places resolve` through Typer's runner: arguments, standard input, JSON lines."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shouhou.cli.places import app

runner = CliRunner()
FIELDS = {"input", "province", "city", "county", "town", "adcode", "lng", "lat", "candidates"}


def _lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_names_as_arguments_print_one_json_object_each() -> None:
    result = runner.invoke(app, ["resolve", "襄樊市樊城区", "鼓楼区", "不是地名"])
    assert result.exit_code == 0, result.output
    first, second, third = _lines(result.stdout)
    assert set(first) >= FIELDS and set(first) >= {"level", "approximate"}
    assert first["input"] == "襄樊市樊城区" and first["adcode"] == "420606"
    assert first["county"] == {"code": "420606", "name": "樊城区"}
    assert first["city"] == {"code": "420600", "name": "襄阳市"}
    assert second["adcode"] is None and len(second["candidates"]) >= 4  # type: ignore[arg-type]
    assert third["level"] is None and third["candidates"] == []


def test_names_on_stdin_one_per_line_blank_lines_skipped() -> None:
    result = runner.invoke(app, ["resolve"], input="东莞市万江街道\n\n  五指山市南圣  \n")
    assert result.exit_code == 0, result.output
    dongguan, wuzhishan = _lines(result.stdout)
    assert dongguan["adcode"] == "441900005" and dongguan["county"] is None
    assert dongguan["town"] == {"code": "441900005", "name": "万江街道"}
    assert wuzhishan["input"] == "五指山市南圣" and wuzhishan["adcode"] == "469001101"


def test_output_keeps_chinese_readable() -> None:
    result = runner.invoke(app, ["resolve", "北京市朝阳区"])
    assert "朝阳区" in result.stdout and "\\u" not in result.stdout


def test_info_states_the_code_year() -> None:
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0
    (info,) = _lines(result.stdout)
    assert int(info["code_year"]) >= 2023  # type: ignore[call-overload]
