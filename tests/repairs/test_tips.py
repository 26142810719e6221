"""Maintenance tips: parsed from the package data, shipped in the wheel, loaded once (SQLite and PostgreSQL)
and found by word and by category."""

from __future__ import annotations

import fnmatch
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from shouhou.accounts import service as accounts
from shouhou.errors import Forbidden, ValidationFailed
from shouhou.repairs import catalogue
from shouhou.repairs.tips import bundled_tips, load_tips, parse_tip
from tests.repairs.conftest import RepairWorld

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = {"washing_machine", "air_conditioner", "water_heater", "safe"}


def test_bundled_tips_cover_the_four_appliances_in_chinese_with_english() -> None:
    tips = bundled_tips()
    assert 6 <= len(tips) <= 10
    assert {t.category for t in tips} == CATEGORIES
    assert len({(t.category, t.title) for t in tips}) == len(tips)
    for t in tips:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in t.title), t.name
        assert "\nEnglish: " in t.body_md, t.name
        assert t.tags and len(", ".join(t.tags)) <= 300, t.name
        assert t.category_name != t.category, t.name


def test_tips_are_package_data() -> None:
    """Every tip file matches a package-data glob, so a wheel ships it (not only an editable install)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["shouhou"]
    folder = resources.files("shouhou.repairs").joinpath("data", "tips")
    names = [f.name for f in folder.iterdir() if f.name.endswith(".md")]
    assert names
    for name in names:
        assert any(fnmatch.fnmatch(f"repairs/data/tips/{name}", g) for g in globs), name


def test_parse_tip_reads_the_front_matter_and_refuses_a_broken_one() -> None:
    doc = parse_tip(
        "---\ntitle: 清洗滤网\ncategory: air_conditioner\ntags: 滤网, filter ,\n---\n\n"
        "正文。\nEnglish: body.\n",
        name="x.md",
    )
    assert (doc.title, doc.category, doc.category_name, doc.tags) == (
        "清洗滤网",
        "air_conditioner",
        "air_conditioner",
        ("滤网", "filter"),
    )
    assert doc.body_md == "正文。\nEnglish: body.\n"
    for broken in (
        "title: no fence\n",
        "---\ntitle: 无结尾\ncategory: safe\n正文",
        "---\ntitle: 缺分类\n---\n正文",
        "---\ntitle: 空正文\ncategory: safe\n---\n\n",
        "---\ntitle: 多余字段\ncategory: safe\nauthor: me\n---\n正文",
    ):
        with pytest.raises(ValidationFailed, match=r"tip bad\.md"):
            parse_tip(broken, name="bad.md")


def test_load_once_then_search_by_word_and_category(repair_world: RepairWorld) -> None:
    w = repair_world
    admin = accounts.authenticate(w.rt, w.tokens["admin"])
    with pytest.raises(Forbidden):
        load_tips(w.rt, actor=accounts.authenticate(w.rt, w.tokens["agent"]))
    tips = bundled_tips()
    assert load_tips(w.rt, actor=admin) == len(tips)
    assert load_tips(w.rt, actor=admin) == 0  # idempotent by title and category
    with w.rt.uow(write=False) as uow:
        # The world had washing machines and safes; the tips brought the other two categories.
        assert {c.code for c in uow.categories.all()} == CATEGORIES
        assert uow.categories.by_code(code="water_heater").name == "热水器"  # type: ignore[union-attr]

    def titles(category: str | None, query: str) -> set[str]:
        return {t.title for t in catalogue.search_tips(w.rt, category=category, query=query)}

    assert len(titles(None, "")) == len(tips)
    assert titles(None, "过滤网") == {"空调过滤网每两周清洗一次", "空调不制冷？报修前先做这五项检查"}
    assert titles("washing_machine", "不脱水") == {
        "排水慢、不脱水时先清理排水泵过滤器",
        "脱水时剧烈晃动或停止脱水：先检查衣物是否偏在一边",
    }
    assert titles("safe", "battery") == {"电子密码保险柜：低电量提示时马上换电池"}  # an English tag
    assert titles("water_heater", "燃气 防冻") == {"燃气热水器：闻到燃气味怎么办，冬季如何防冻"}  # every word
    assert titles("safe", "不脱水") == set()
    assert {t.title for t in tips if t.category == "safe"} == titles("safe", "")
    with pytest.raises(ValidationFailed):
        titles("toaster", "")
