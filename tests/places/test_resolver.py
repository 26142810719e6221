"""`resolve` on hand-picked names: new districts, county-less cities, ambiguity, old names, noise, garbage."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhou.places import Resolution, resolve


def _codes(r: Resolution) -> set[str]:
    return {c.adcode for c in r.candidates}


@pytest.mark.parametrize(
    ("text", "province", "city", "county", "code"),
    [
        ("广信区", "江西省", "上饶市", "广信区", "361104"),
        ("水城区", "贵州省", "六盘水市", "水城区", "520204"),
        ("盘州市", "贵州省", "六盘水市", "盘州市", "520281"),
        ("隆昌市", "四川省", "内江市", "隆昌市", "511083"),
        ("凤翔区", "陕西省", "宝鸡市", "凤翔区", "610305"),
        ("漠河市", "黑龙江省", "大兴安岭地区", "漠河市", "232701"),
        ("三明市沙县区", "福建省", "三明市", "沙县区", "350405"),
        ("两江新区", "重庆市", None, "两江新区", "500157"),
    ],
)
def test_new_and_renamed_districts_resolve_to_current_codes(
    text: str, province: str, city: str | None, county: str, code: str
) -> None:
    r = resolve(text)
    assert r.level == "county" and r.adcode == code and not r.candidates
    assert r.province is not None and r.province.name == province
    assert (r.city.name if r.city else None) == city
    assert r.county is not None and (r.county.code, r.county.name) == (code, county)
    assert r.lng is not None and r.lat is not None


def test_a_district_without_coordinates_borrows_its_citys_and_says_so() -> None:
    district, city = resolve("上饶市广信区"), resolve("上饶市")
    assert district.approximate is True
    assert (district.lng, district.lat) == (city.lng, city.lat)
    assert city.approximate is False
    assert resolve("上饶市信州区").approximate is False


@pytest.mark.parametrize(
    ("text", "city_code", "town", "town_code"),
    [
        ("东莞市万江街道", "441900", "万江街道", "441900005"),
        ("中山市小榄镇", "442000", "小榄镇", "442000118"),
        ("儋州市那大镇", "460400", "那大镇", "460400100"),
        ("嘉峪关市峪泉镇", "620200", "峪泉镇", "620200100"),
        ("嘉峪关新城镇", "620200", "新城镇", "620200101"),
    ],
)
def test_countyless_cities_resolve_to_city_and_town(
    text: str, city_code: str, town: str, town_code: str
) -> None:
    r = resolve(text)
    assert r.level == "town" and r.adcode == town_code
    assert r.city is not None and r.city.code == city_code
    assert r.county is None
    assert r.town is not None and (r.town.code, r.town.name) == (town_code, town)
    assert r.lng is not None and not r.approximate


def test_countyless_city_alone_resolves_to_the_city() -> None:
    r = resolve("东莞")
    assert (r.level, r.adcode, r.county, r.town) == ("city", "441900", None, None)


def test_ambiguous_district_returns_candidates_not_a_guess() -> None:
    r = resolve("朝阳区")
    assert r.level is None and r.adcode is None and r.county is None and r.lng is None
    assert _codes(r) == {"110105", "220104"}
    assert {c.province.name for c in r.candidates if c.province} == {"北京市", "吉林省"}


def test_gulou_has_several_candidates_and_context_picks_one() -> None:
    assert _codes(resolve("鼓楼区")) >= {"320106", "320302", "350102", "410204"}
    for text, code in (("南京市鼓楼区", "320106"), ("福州鼓楼区", "350102"), ("开封市鼓楼区", "410204")):
        r = resolve(text)
        assert (r.adcode, r.candidates) == (code, []), text


def test_ambiguity_keeps_what_all_readings_share() -> None:
    r = resolve("吉林")
    assert r.level == "province" and r.adcode == "220000"
    assert _codes(r) == {"220000", "220200"}
    nansha = resolve("南沙区")
    assert _codes(nansha) == {"440115", "460303"}
    assert resolve("三沙市南沙区").adcode == "460303"


@pytest.mark.parametrize(
    ("text", "code", "city"),
    [
        ("襄樊", "420600", "襄阳市"),
        ("襄樊市樊城区", "420606", "襄阳市"),
        ("思茅地区", "530800", "普洱市"),
        ("上饶县", "361104", "上饶市"),
        ("盘县", "520281", "六盘水市"),
        ("凤翔县", "610305", "宝鸡市"),
        ("杭州市下城区", "330105", "杭州市"),
        ("四平市公主岭市", "220184", "长春市"),
        ("莱芜市", "370116", "济南市"),
        ("巢湖市", "340181", "合肥市"),
        ("巢湖市含山县", "340522", "马鞍山市"),
    ],
)
def test_old_names_map_to_current_divisions(text: str, code: str, city: str) -> None:
    r = resolve(text)
    assert r.adcode == code, (text, r.adcode, [c.adcode for c in r.candidates])
    assert r.city is not None and r.city.name == city


def test_simao_resolves_inside_puer() -> None:
    r = resolve("思茅")
    assert r.city is not None and r.city.code == "530800"


def test_a_split_prefecture_lists_its_heirs() -> None:
    r = resolve("巢湖地区")
    assert r.province is not None and r.province.code == "340000" and r.city is None
    assert _codes(r) == {"340100", "340200", "340500"}


def test_a_district_split_between_two_lists_both() -> None:
    r = resolve("石家庄市桥东区")
    assert r.city is not None and r.city.code == "130100" and r.county is None
    assert _codes(r) == {"130102", "130104"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("济源市市辖区", "419001"),
        ("直辖县天门市", "429006"),
        ("湖北省省直辖县级行政区划潜江市", "429005"),
        ("北京市市辖区东城区", "110101"),
        ("重庆市县巫山县", "500237"),
        ("中国 广东省，深圳市 南山区", "440305"),
    ],
)
def test_grouping_words_and_punctuation_are_ignored(text: str, code: str) -> None:
    r = resolve(text)
    assert (r.adcode, r.candidates) == (code, [])


def test_governed_by_province_counties_have_no_city() -> None:
    r = resolve("天门市")
    assert r.province is not None and r.province.code == "420000"
    assert r.city is None and r.county is not None and r.county.code == "429006"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("内蒙古赤峰市松山区", "150404"),
        ("海西蒙古族都兰县", "632822"),
        ("恩施州咸丰县", "422826"),
        ("临夏东乡族自治县", "622926"),
        ("海南共和县", "632521"),
        ("广东深圳南山", "440305"),
        ("大兴安岭地区加格达奇区", "232761"),
    ],
)
def test_short_and_partial_names(text: str, code: str) -> None:
    r = resolve(text)
    assert (r.adcode, r.candidates) == (code, [])


def test_truncated_town_at_the_end_resolves() -> None:
    r = resolve("五指山市南圣")
    assert r.level == "town" and r.adcode == "469001101"
    assert r.county is not None and r.county.code == "469001"
    assert r.town is not None and r.town.name == "南圣镇"


def test_a_town_made_a_subdistrict_is_found_by_its_old_name() -> None:
    r = resolve("中山市南朗镇")
    assert r.town is not None and r.town.name == "南朗街道" and r.adcode == "442000008"


def test_street_address_resolves_to_its_town_or_county() -> None:
    assert resolve("浙江省杭州市西湖区文三路90号").adcode == "330106"
    r = resolve("深圳市南山区粤海街道科技园")
    assert r.town is not None and r.town.code == "440305007" and r.county is not None


def test_codes_are_accepted_as_input() -> None:
    assert resolve("110105").county is not None
    r = resolve("441900003000")
    assert r.town is not None and r.town.code == "441900003"
    assert not resolve("999999").resolved


GARBAGE = ["", "   ", "hello world", "！！！", "123", "市辖区", "直辖县", "兵团", "x" * 5000]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_not_resolved_and_never_raises(text: str) -> None:
    r = resolve(text)
    assert not r.resolved
    assert (r.province, r.adcode, r.lng, r.candidates) == (None, None, None, [])
    assert r.input == text


NAME_CHARS = "省市区县镇乡街道北京南朝阳鼓楼海西东莞中山直辖自治州 12"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(NAME_CHARS)), max_size=24))
def test_any_text_gives_a_consistent_resolution(text: str) -> None:
    r = resolve(text)
    if r.adcode is None:
        assert r.level is None and r.lng is None
        return
    parts = [p for p in (r.province, r.city, r.county, r.town) if p is not None]
    assert parts and parts[-1].code == r.adcode
    for above, below in itertools.pairwise(parts):
        assert below.code.startswith(above.code.rstrip("0")[:2])
    assert r.lng is not None and r.lat is not None
    assert len(r.candidates) != 1
