"""PDQ windows, dihedral and mirrored variants, and the crop lattice of shouhou.index.hashing."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pdqhash
import pytest

from shouhou.errors import UnreadableImage
from shouhou.index.hashing import (
    DIHEDRAL,
    FLIPPED,
    HASH_BITS,
    HASH_BYTES,
    INDEX_WINDOWS,
    QUERY_WINDOWS,
    PhotoHashes,
    from_hex,
    index_hashes,
    min_distance,
    pdq,
    query_hashes,
    to_hex,
    window_name,
)
from tests.conftest import sample

_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _POP[np.bitwise_xor(a, b)].sum(axis=-1)


def _cut(rgb: np.ndarray, left: float, right: float, top: float, bottom: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    rows, cols = slice(round(top * h), h - round(bottom * h)), slice(round(left * w), w - round(right * w))
    return np.ascontiguousarray(rgb[rows, cols])


def test_index_and_query_hash_sets() -> None:
    photo = sample("chelsea")
    stored, query = index_hashes(photo), query_hashes(photo)
    assert stored.hashes.shape == (len(INDEX_WINDOWS), HASH_BYTES) and stored.hashes.dtype == np.uint8
    assert stored.names == tuple(INDEX_WINDOWS)
    crops = [n for n in QUERY_WINDOWS if n != "whole"]
    assert query.names == (*DIHEDRAL, *crops, *[f"{FLIPPED}+{n}" for n in crops])
    assert stored.reliable and stored.quality >= 50
    # the upright query hash is the stored whole-frame hash: the same pixels give the same bits
    assert hamming(stored.hashes[0], query.hashes[0]) == 0


def test_window_names() -> None:
    assert window_name((0, 0, 0, 0)) == "whole"
    assert window_name((0.045, 0.14, 0, 0)) == "cut-l4.5-r14"
    assert window_name((0, 0, 0, 0.2)) == "cut-b20"
    assert len(set(INDEX_WINDOWS)) == len(INDEX_WINDOWS) == 25 and len(QUERY_WINDOWS) == 17


def test_deterministic() -> None:
    photo = sample("coffee")
    assert np.array_equal(index_hashes(photo).hashes, index_hashes(photo).hashes)


def test_flat_photo_is_not_hashed() -> None:
    flat = np.full((300, 400, 3), 128, np.uint8)
    for hashes in (index_hashes(flat), query_hashes(flat)):
        assert not hashes.reliable and len(hashes) == 0 and hashes.quality < 50


def test_non_rgb_input_is_refused() -> None:
    for shape in ((10, 10), (10, 10, 4), (0, 10, 3)):
        bad = np.zeros(shape, np.uint8)
        with pytest.raises(UnreadableImage):
            index_hashes(bad)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "camera", "hubble_deep_field"])
def test_bits_and_quality_are_pdqs_own(name: str) -> None:
    """On a 64x64 frame (PDQ's grid, no resampling) every bit and the quality equal pdqhash's."""
    small = np.ascontiguousarray(cv2.resize(sample(name), (64, 64), interpolation=cv2.INTER_AREA))
    bits, quality = pdqhash.compute(small)
    mine, my_quality = pdq(small)
    assert np.array_equal(mine, np.packbits(bits.astype(np.uint8))) and my_quality == quality
    variants, _ = pdqhash.compute_dihedral(small)
    expected = np.stack([np.packbits(np.asarray(v, np.uint8)) for v in variants])
    assert np.array_equal(query_hashes(small).hashes[: len(DIHEDRAL)], expected)
    # a frame twice as large, made of 2x2 blocks, averages back to the same grid exactly
    big = np.ascontiguousarray(np.repeat(np.repeat(small, 2, axis=0), 2, axis=1))
    assert np.array_equal(pdq(big)[0], mine)


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


def _lattice_error(crop: tuple[float, float, float, float]) -> float:
    """Largest edge misalignment (fraction of the frame) of the best stored/query window pair."""
    stored = np.array(list(INDEX_WINDOWS.values()))
    query = np.array(list(QUERY_WINDOWS.values()))
    left, right, top, bottom = crop
    wx, wy = 1 - left - right, 1 - top - bottom
    seen = np.stack(
        [
            left + query[:, 0] * wx,
            right + query[:, 1] * wx,
            top + query[:, 2] * wy,
            bottom + query[:, 3] * wy,
        ],
        axis=1,
    )
    return float(np.abs(seen[:, None, :] - stored[None, :, :]).max(axis=2).min())


def test_lattice_lines_up_every_crop_of_up_to_20_percent() -> None:
    worst: dict[str, float] = {}
    for area in np.linspace(0.02, 0.2, 10):
        crops = {"side": [(area, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, area)]}
        c = (1 - math.sqrt(1 - area)) / 2
        crops["centre"] = [(c, c, c, c)]
        for f in np.linspace(0.3, 0.7, 5):
            cx, cy = 1 - (1 - area) ** f, 1 - (1 - area) ** (1 - f)
            crops.setdefault("corner", []).extend([(cx, 0, cy, 0), (0, cx, 0, cy)])
            splits = [(sx, sy) for sx in (0.1, 0.5, 0.8) for sy in (0.2, 0.6, 1)]
            crops.setdefault("mixed", []).extend(
                (cx * sx, cx * (1 - sx), cy * sy, cy * (1 - sy)) for sx, sy in splits
            )
        for kind, cuts in crops.items():
            worst[kind] = max(worst.get(kind, 0.0), *(_lattice_error(cut) for cut in cuts))
    # ~1% per edge costs ~9 PDQ bits; the grid's worst points are rarely hit by all four edges at once
    assert max(worst["side"], worst["centre"], worst["corner"]) <= 0.021, worst
    assert worst["mixed"] <= 0.032, worst
    assert _lattice_error((0.3, 0.0, 0.0, 0.0)) > 0.05  # far beyond the lattice: not claimed


@pytest.mark.parametrize(
    "crop", [(0.2, 0, 0, 0), (0, 0.07, 0, 0.07), (0.03, 0.02, 0.025, 0.03), (0.01, 0.09, 0.06, 0.02)]
)
def test_cropped_and_mirrored_cropped_copies_come_close(crop: tuple[float, float, float, float]) -> None:
    photo = sample("astronaut")
    stored = index_hashes(photo)
    cut = _cut(photo, *crop)
    assert min_distance(query_hashes(cut), stored) <= 40
    mirrored = query_hashes(np.ascontiguousarray(cut[:, ::-1]))
    assert min_distance(mirrored, stored) <= 40
    crops_only = [i for i, n in enumerate(mirrored.names) if n not in DIHEDRAL and not n.startswith(FLIPPED)]
    unmirrored = PhotoHashes(mirrored.hashes[crops_only], tuple(mirrored.names[i] for i in crops_only), 100)
    assert min_distance(unmirrored, stored) > 60  # it is the mirrored windows that find it


def test_min_distance() -> None:
    a, b = index_hashes(sample("astronaut")), query_hashes(sample("coffee"))
    brute = min(int(hamming(q, s)) for q in b.hashes for s in a.hashes)
    assert min_distance(b, a) == brute and min_distance(a, b) == brute and brute > 60
    assert min_distance(query_hashes(sample("astronaut")), a) == 0
    empty = PhotoHashes(np.zeros((0, HASH_BYTES), np.uint8), (), 10)
    assert min_distance(empty, a) == min_distance(a, empty) == HASH_BITS + 1


def test_hex_round_trip_and_validation() -> None:
    row = index_hashes(sample("rocket")).hashes[0]
    assert np.array_equal(from_hex(to_hex(row)), row)
    with pytest.raises(ValueError, match="hex digits"):
        from_hex("abcd")
    with pytest.raises(ValueError, match="one name per hash"):
        PhotoHashes(np.zeros((2, HASH_BYTES), np.uint8), ("whole",), 90)
