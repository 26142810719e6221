"""Text rules for division names: input clean-up, name stems and the informal forms people write."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Tokens that name a kind of grouping rather than a place; tables and forms insert them between levels
# (湖北省直辖县天门市, 济源市市辖区), so they carry no information for matching.
_NOISE = re.compile(
    r"(?:省|自治区)?直辖县级行政(?:区划|单位)|县级行政区划|省直辖县|直辖县|市辖区|市辖县|县级市"
)
_LEADING_COUNTRY = re.compile(r"^(?:中华人民共和国|中国)")
# Older statistical tables put the municipalities' counties under a "县" pseudo-city (重庆市县巫山县).
_MUNICIPAL_COUNTIES = re.compile(r"^((?:北京|天津|上海|重庆)市?)县(?=.)")
_DROP = re.compile(r"[\s\u3000,，.。、;；:：·•\-—–_/\\|'\"“”‘’()（）\[\]【】<>《》!！?？#*]+")

_CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "矿区", "新区", "区", "县", "市", "旗")
_TOWN_SUFFIXES = ("民族苏木", "民族乡", "街道办事处", "街道", "区公所", "办事处", "苏木", "镇", "乡")
TOWN_KINDS = ("镇", "乡", "街道")


def normalize(text: str) -> str:
    """Full-width to half-width, punctuation and whitespace out, grouping words out."""
    cleaned = unicodedata.normalize("NFKC", text)
    cleaned = _DROP.sub("", cleaned)
    cleaned = _LEADING_COUNTRY.sub("", cleaned)
    cleaned = _NOISE.sub("", cleaned)
    return _MUNICIPAL_COUNTIES.sub(r"\1", cleaned)


@cache
def _longest_first(ethnic: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(ethnic, key=len, reverse=True))


def _strip_ethnic(name: str, ethnic: tuple[str, ...]) -> str:
    if "族" not in name:
        return name
    groups = _longest_first(ethnic)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if name.endswith(group) and len(name) - len(group) >= 2:
                name = name[: -len(group)]
                changed = True
                break
    return name


def stem(name: str, level: int, ethnic: tuple[str, ...]) -> str:
    """The name without its kind suffix and ethnic groups: 恩施土家族苗族自治州 → 恩施, 南朗街道 → 南朗."""
    suffixes = {1: (), 2: _CITY_SUFFIXES, 3: _COUNTY_SUFFIXES}.get(level, _TOWN_SUFFIXES)
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return _strip_ethnic(name[: -len(suffix)], ethnic)
    return name


def informal_forms(name: str, level: int, ethnic: tuple[str, ...]) -> set[str]:
    """Forms in everyday use that are not prefixes of the full name.

    Autonomous prefectures go by stem + 州 (恩施州, 湘西州), autonomous counties and banners by stem + 县/旗
    (峨边县); towns keep their stem when 镇, 乡 and 街道 are swapped (a town made a 街道 keeps being called
    by its old 镇 name: 南朗镇 for 南朗街道).
    """
    base = stem(name, level, ethnic)
    if len(base) < 2 or base == name:
        return set()
    forms: set[str] = set()
    if level == 2 and name.endswith("自治州"):
        forms.add(base + "州")
    elif level == 3 and name.endswith("自治县"):
        forms.add(base + "县")
    elif level == 3 and name.endswith("自治旗"):
        forms.add(base + "旗")
    elif level == 4:
        forms.update(base + kind for kind in TOWN_KINDS)
    forms.discard(name)
    return {form for form in forms if not name.startswith(form)}
