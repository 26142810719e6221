"""The places domain's public models: divisions, counties, resolutions and data provenance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Level = Literal["province", "city", "county", "town"]
CountyKind = Literal["county", "countyless_city", "statistical"]


class Place(BaseModel):
    """One administrative division: its Ministry of Civil Affairs code (9 digits for towns) and name."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str


class County(BaseModel):
    """A county-level unit with coordinates, for dispatch and simulations over real places.

    `kind` is "county" for the Ministry's county-level divisions, "countyless_city" for the prefecture
    cities without counties (东莞, 中山, 儋州, 嘉峪关: their towns hang off the city), and "statistical"
    for the few areas the statistical code tables list under a city but the Ministry does not
    (大兴安岭's 加格达奇区, 松岭区, 新林区, 呼中区; 苏州工业园区; 大柴旦行政区). `approximate` is true
    when the coordinates are the parent's, because the data has none for this unit.
    """

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    kind: CountyKind
    province: Place
    city: Place | None
    lng: float
    lat: float
    approximate: bool


class Candidate(BaseModel):
    """One reading of an ambiguous name."""

    model_config = ConfigDict(frozen=True)

    province: Place | None
    city: Place | None
    county: Place | None
    town: Place | None
    adcode: str
    level: Level


class Resolution(BaseModel):
    """What a free-text name resolved to; the fields hold only what is certain.

    An ambiguous name fills the fields with what all readings share (often nothing) and lists the readings
    in `candidates`. `city` is None under a municipality (北京, 上海, 天津, 重庆) and for county-level units
    governed directly by a province (济源, 天门, 五指山…), as in the Ministry's tables. `lng`/`lat` are the
    county's (or, above county level, the division's own); `approximate` says they were borrowed from the
    parent because the data has none of its own.
    """

    model_config = ConfigDict(frozen=True)

    input: str
    province: Place | None = None
    city: Place | None = None
    county: Place | None = None
    town: Place | None = None
    adcode: str | None = None
    level: Level | None = None
    lng: float | None = None
    lat: float | None = None
    approximate: bool = False
    candidates: list[Candidate] = []

    @property
    def resolved(self) -> bool:
        return self.level is not None


class DataInfo(BaseModel):
    """Where the division data comes from and how current it is."""

    model_config = ConfigDict(frozen=True)

    code_year: int
    data_as_of: str
    divisions_source: str
    coordinates_source: str
    history_source: str
