"""Every division the data holds can be found again from the ways people write it."""

from __future__ import annotations

from shouhou.places import counties, resolve
from shouhou.places.data import TOWN, gazetteer
from shouhou.places.names import stem


def test_every_county_resolves_from_its_full_path_and_from_city_plus_name() -> None:
    ethnic = gazetteer().ethnic_groups
    failures = []
    for c in counties():
        texts = [c.province.name + (c.city.name if c.city and c.city.code != c.code else "") + c.name]
        if c.city is not None and c.city.code != c.code:
            texts += [c.city.name + c.name, stem(c.city.name, 2, ethnic) + c.name]
        for text in texts:
            r = resolve(text)
            if (r.adcode, r.candidates) != (c.code, []):
                failures.append((text, r.adcode))
    assert failures == []


def test_a_county_name_alone_is_found_or_listed_among_candidates() -> None:
    misses = []
    for c in counties():
        r = resolve(c.name)
        if r.adcode != c.code and c.code not in {x.adcode for x in r.candidates}:
            misses.append((c.name, c.code, r.adcode))
    assert misses == []


def test_towns_resolve_from_their_full_path() -> None:
    places = gazetteer()
    towns = sorted(code for code, node in places.nodes.items() if node.level == TOWN)
    assert len(towns) > 38000
    failures = []
    for code in towns[::25]:
        text = "".join(node.name for node in places.path(code))
        r = resolve(text)
        if (r.adcode, r.level) != (code, "town"):
            failures.append((text, r.adcode))
    assert failures == []
