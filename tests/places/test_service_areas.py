"""Acceptance: every place in the after-sales service-area lists (../shared/data/places) resolves."""

from __future__ import annotations

from pathlib import Path

import pytest

from shouhou.places import county, resolve

pytestmark = pytest.mark.shared

SPOT_CHECKS = {
    "上饶市广信区": "361104",
    "三明市沙县区": "350405",
    "三沙市南沙区": "460303",
    "广州市南沙区": "440115",
    "六盘水市水城区": "520204",
    "六盘水市盘州市": "520281",
    "内江市隆昌市": "511083",
    "宝鸡市凤翔区": "610305",
    "大兴安岭地区漠河市": "232701",
    "大兴安岭地区加格达奇区": "232761",
    "杭州市下城区": "330105",  # merged into 拱墅区 in 2021
    "四平市公主岭市": "220184",  # moved to 长春市 in 2020
    "济源市市辖区": "419001",
    "直辖县天门市": "429006",
    "海南共和县": "632521",  # 海南藏族自治州, Qinghai, not Hainan
    "临夏东乡族自治县": "622926",
    "上海市崇明区": "310151",
    "汕尾市城区": "441502",
    "东莞市万江街道": "441900005",
    "中山市南朗镇": "442000008",  # 南朗街道 since 2021
    "五指山市南圣": "469001101",
}


@pytest.fixture(scope="module")
def service_areas(shared_data: Path) -> list[str]:
    path = shared_data / "places" / "service-areas.txt"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_list_is_the_expected_one(service_areas: list[str]) -> None:
    assert len(service_areas) == 979


def test_every_place_resolves_to_a_county_or_a_countyless_city_town(service_areas: list[str]) -> None:
    unresolved: list[tuple[str, object, object]] = []
    for name in service_areas:
        r = resolve(name)
        if r.candidates:
            unresolved.append((name, "ambiguous", [c.adcode for c in r.candidates]))
        elif r.county is not None:
            if county(r.county.code) is None:
                unresolved.append((name, "not a county", r.county.code))
        elif r.city is not None and r.town is not None:
            found = county(r.city.code)
            if found is None or found.kind != "countyless_city":
                unresolved.append((name, "town under a city with counties", r.adcode))
        else:
            unresolved.append((name, r.level, r.adcode))
    assert unresolved == [], f"{len(unresolved)} of {len(service_areas)} not resolved"


@pytest.mark.parametrize(("name", "code"), sorted(SPOT_CHECKS.items()))
def test_spot_checked_codes(service_areas: list[str], name: str, code: str) -> None:
    assert name in service_areas
    r = resolve(name)
    assert (r.adcode, r.candidates) == (code, [])
    assert r.lng is not None and r.lat is not None
