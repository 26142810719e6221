"""PDQ windows and dihedral variants of shouhou.index.hashing."""

from __future__ import annotations

import numpy as np
import pytest

from shouhou.errors import UnreadableImage
from shouhou.index.hashing import (
    DIHEDRAL,
    HASH_BYTES,
    INDEX_WINDOWS,
    QUERY_WINDOWS,
    PhotoHashes,
    from_hex,
    index_hashes,
    query_hashes,
    to_hex,
    working_copy,
)
from tests.conftest import sample

_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _POP[np.bitwise_xor(a, b)].sum(axis=-1)


def test_index_and_query_hash_sets() -> None:
    photo = sample("chelsea")
    stored, query = index_hashes(photo), query_hashes(photo)
    assert stored.hashes.shape == (len(INDEX_WINDOWS), HASH_BYTES) and stored.hashes.dtype == np.uint8
    assert stored.names == tuple(INDEX_WINDOWS)
    assert query.names == (*DIHEDRAL, *[n for n in QUERY_WINDOWS if n != "whole"])
    assert stored.reliable and stored.quality >= 50
    # the upright query hash is the stored whole-frame hash: the same pixels give the same bits
    assert hamming(stored.hashes[0], query.hashes[0]) == 0


def test_deterministic() -> None:
    photo = sample("coffee")
    assert np.array_equal(index_hashes(photo).hashes, index_hashes(photo).hashes)


def test_flat_photo_is_not_hashed() -> None:
    flat = np.full((300, 400, 3), 128, np.uint8)
    for hashes in (index_hashes(flat), query_hashes(flat)):
        assert not hashes.reliable and len(hashes) == 0 and hashes.quality < 50


def test_working_copy_is_small_and_rejects_non_rgb() -> None:
    assert max(working_copy(sample("astronaut")).shape[:2]) == 128
    tiny = np.zeros((40, 30, 3), np.uint8)
    assert working_copy(tiny).shape == tiny.shape
    with pytest.raises(UnreadableImage):
        working_copy(np.zeros((10, 10), np.uint8))


@pytest.mark.parametrize(
    ("transform", "name"),
    [
        (lambda a: a[:, ::-1], "flipped-horizontally"),
        (lambda a: a[::-1], "flipped-vertically"),
        (lambda a: np.rot90(a, -1), "rotated-cw90"),
        (lambda a: np.rot90(a, 1), "rotated-ccw90"),
        (lambda a: np.rot90(a, 2), "rotated-180"),
        (lambda a: a.transpose(1, 0, 2), "transposed"),
        (lambda a: np.rot90(a, 2).transpose(1, 0, 2), "anti-transposed"),
    ],
)
def test_dihedral_variant_names_say_what_the_query_is(transform: object, name: str) -> None:
    photo = sample("chelsea")
    stored = index_hashes(photo).hashes[0]
    query = query_hashes(np.ascontiguousarray(transform(photo)))  # type: ignore[operator]
    distances = hamming(query.hashes[: len(DIHEDRAL)], stored)
    assert query.names[int(np.argmin(distances))] == name
    assert distances.min() <= 24 and np.sort(distances)[1] > 90


def test_hex_round_trip_and_validation() -> None:
    row = index_hashes(sample("rocket")).hashes[0]
    assert np.array_equal(from_hex(to_hex(row)), row)
    with pytest.raises(ValueError, match="hex digits"):
        from_hex("abcd")
    with pytest.raises(ValueError, match="one name per hash"):
        PhotoHashes(np.zeros((2, HASH_BYTES), np.uint8), ("whole",), 90)
