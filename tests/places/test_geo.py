"""Haversine distances between counties, resolutions and coordinate pairs."""

from __future__ import annotations

import pytest

from shouhou.errors import ValidationFailed
from shouhou.places import county, distance_km, resolve


def test_beijing_to_shanghai_is_about_1070_km() -> None:
    beijing, shanghai = county("110101"), county("310101")
    assert beijing is not None and shanghai is not None
    d = distance_km(beijing, shanghai)
    assert 1000 < d < 1150
    assert distance_km(shanghai, beijing) == pytest.approx(d)
    assert distance_km(beijing, beijing) == 0.0


def test_known_distance_on_a_meridian() -> None:
    # One degree of latitude is 111.19 km on the mean-radius sphere.
    assert distance_km((116.0, 39.0), (116.0, 40.0)) == pytest.approx(111.19, abs=0.01)


def test_resolutions_and_pairs_mix() -> None:
    r = resolve("东莞市万江街道")
    assert distance_km(r, (r.lng, r.lat)) == 0.0  # type: ignore[arg-type]
    assert 20 < distance_km(r, resolve("广州市天河区")) < 100


def test_unresolved_or_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="no coordinates"):
        distance_km(resolve("garbage"), (116.0, 39.0))
    with pytest.raises(ValidationFailed, match="out of range"):
        distance_km((200.0, 39.0), (116.0, 39.0))
