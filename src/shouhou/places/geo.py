"""Great-circle distance between places."""

from __future__ import annotations

import math
from typing import Protocol

from shouhou.errors import ValidationFailed

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


class Located(Protocol):
    @property
    def lng(self) -> float | None: ...

    @property
    def lat(self) -> float | None: ...


def _point(place: Located | tuple[float, float]) -> tuple[float, float]:
    if isinstance(place, tuple):
        lng, lat = place
    else:
        if place.lng is None or place.lat is None:
            raise ValidationFailed(f"{place!r} has no coordinates (it did not resolve to a place)")
        lng, lat = place.lng, place.lat
    if not (-180.0 <= lng <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValidationFailed(f"coordinates out of range: lng={lng}, lat={lat}")
    return lng, lat


def distance_km(a: Located | tuple[float, float], b: Located | tuple[float, float]) -> float:
    """Haversine distance; `a` and `b` are Counties, Resolutions or (lng, lat) pairs in degrees."""
    (lng1, lat1), (lng2, lat2) = _point(a), _point(b)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
