"""Baselines behave like the textbook methods: copies match, unrelated photos do not, ELA finds a paste."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from shouhou.bench.baselines import (
    BaselineResult,
    ela,
    inlier_count,
    phash_bits,
    phash_distance,
    phash_match,
)
from shouhou.bench.metrics import box_union_iou
from shouhou.errors import InputError


def _jpeg(rgb: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _decode(raw: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(raw)) as im:
        return np.asarray(im.convert("RGB"))


def _resized_recompressed(rgb: np.ndarray, scale: float = 0.6, quality: int = 70) -> np.ndarray:
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return _decode(_jpeg(small, quality))


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(skdata.astronaut())


@pytest.fixture(scope="module")
def unrelated() -> list[np.ndarray]:
    return [np.ascontiguousarray(skdata.coffee()), np.ascontiguousarray(skdata.chelsea())]


BAD_ARRAYS = [
    np.zeros((8, 8), np.uint8),  # greyscale
    np.zeros((8, 8, 4), np.uint8),  # RGBA
    np.zeros((8, 8, 3), np.float32),  # not uint8
    np.zeros((0, 8, 3), np.uint8),  # empty
]


# --- perceptual hash ------------------------------------------------------------------------------


def test_phash_copy_scores_above_unrelated(astronaut: np.ndarray, unrelated: list[np.ndarray]) -> None:
    copy = phash_match(_resized_recompressed(astronaut), [astronaut]).score
    assert copy >= 58 / 64  # a resized JPEG copy keeps nearly every bit
    for other in unrelated:
        assert phash_match(other, [astronaut]).score < copy
        assert phash_match(other, [astronaut]).score < 0.8


def test_phash_takes_the_closest_reference(astronaut: np.ndarray, unrelated: list[np.ndarray]) -> None:
    claim = _resized_recompressed(astronaut)
    assert phash_match(claim, [*unrelated, astronaut]) == phash_match(claim, [astronaut])


def test_phash_bits_and_distance(astronaut: np.ndarray, unrelated: list[np.ndarray]) -> None:
    bits = phash_bits(astronaut)
    assert bits.shape == (64,)
    assert bits.dtype == np.bool_
    assert phash_distance(bits, bits) == 0
    assert phash_distance(bits, ~bits) == 64
    other = phash_bits(unrelated[0])
    assert phash_match(unrelated[0], [astronaut]).score == 1 - phash_distance(bits, other) / 64
    np.testing.assert_array_equal(phash_bits(astronaut), bits)


@pytest.mark.parametrize("bad", BAD_ARRAYS)
def test_phash_rejects_bad_shapes(bad: np.ndarray, astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        phash_match(bad, [astronaut])
    with pytest.raises(ValueError, match="RGB uint8"):
        phash_match(astronaut, [bad])


def test_phash_distance_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match="64 bools"):
        phash_distance(np.zeros(63, bool), np.zeros(64, bool))


def test_baselines_need_a_reference(astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="reference"):
        phash_match(astronaut, [])
    with pytest.raises(ValueError, match="reference"):
        inlier_count(astronaut, [])


# --- ORB inliers ----------------------------------------------------------------------------------


def test_inlier_copy_scores_above_unrelated(astronaut: np.ndarray, unrelated: list[np.ndarray]) -> None:
    copy = inlier_count(_resized_recompressed(astronaut), [astronaut]).score
    assert copy > 0.5  # more than 50 RANSAC inliers
    for other in unrelated:
        assert inlier_count(other, [astronaut]).score < 0.3
    assert inlier_count(_resized_recompressed(astronaut), [*unrelated, astronaut]).score == copy


def test_inlier_count_downscales_large_photos(astronaut: np.ndarray) -> None:
    big = cv2.resize(astronaut, (1400, 1400), interpolation=cv2.INTER_CUBIC)  # longest side over 1024
    assert inlier_count(big, [astronaut]).score > 0.5


def test_inlier_count_is_zero_without_features(astronaut: np.ndarray) -> None:
    flat = np.full((200, 200, 3), 128, np.uint8)  # ORB finds no corners on a flat frame
    assert inlier_count(flat, [astronaut]) == BaselineResult(score=0.0)


def test_inlier_count_is_deterministic(astronaut: np.ndarray) -> None:
    claim = _resized_recompressed(astronaut, 0.8, 80)
    assert inlier_count(claim, [astronaut]) == inlier_count(claim, [astronaut])


@pytest.mark.parametrize("bad", BAD_ARRAYS)
def test_inlier_count_rejects_bad_shapes(bad: np.ndarray, astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        inlier_count(bad, [astronaut])


# --- ELA ------------------------------------------------------------------------------------------


def _pasted(base_rgb: np.ndarray, donor: np.ndarray) -> tuple[bytes, bytes, tuple[int, int, int, int]]:
    """(clean, forged) JPEGs: a photo saved at q75, then an uncompressed patch pasted, both saved at q95."""
    base = _decode(_jpeg(base_rgb, 75))
    h, w = base.shape[:2]
    box = (w // 2, h // 3, w // 5, h // 5)
    x, y, bw, bh = box
    forged = base.copy()
    forged[y : y + bh, x : x + bw] = donor[50 : 50 + bh, 50 : 50 + bw]
    return _jpeg(base, 95), _jpeg(forged, 95), box


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_ela_finds_a_pasted_patch(name: str, unrelated: list[np.ndarray]) -> None:
    clean, forged, box = _pasted(np.ascontiguousarray(getattr(skdata, name)()), unrelated[0])
    found = ela(forged)
    assert found.regions, "no ELA region on a pasted patch"
    assert 1 <= len(found.regions) <= 5
    assert box_union_iou([found.regions[0].as_list()], [box], (10_000, 10_000)) > 0.5
    assert found.score > ela(clean).score
    assert all(0.0 <= r.score <= 1.0 and r.label == "ela" for r in found.regions)
    areas = [r.w * r.h for r in found.regions]
    assert areas[0] == max(areas)


def test_ela_is_deterministic_and_in_range(astronaut: np.ndarray, unrelated: list[np.ndarray]) -> None:
    _, forged, _ = _pasted(astronaut, unrelated[0])
    first = ela(forged)
    assert first == ela(forged)
    assert 0.0 <= first.score < 1.0


def test_ela_ignores_tiny_areas() -> None:
    # A flat grey JPEG re-saves almost exactly; one 3x3 speck (< 0.1% of the image) is not a region.
    flat = np.full((256, 256, 3), 120, np.uint8)
    flat[100:103, 100:103] = 255
    assert ela(_jpeg(flat, 95)).regions == ()


def test_ela_reads_png_claims(astronaut: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(astronaut).save(buf, "PNG")
    result = ela(buf.getvalue())
    assert 0.0 <= result.score < 1.0


def test_ela_rejects_non_images_and_bad_quality(astronaut: np.ndarray) -> None:
    with pytest.raises(InputError):
        ela(b"definitely not an image")
    with pytest.raises(ValueError, match="quality"):
        ela(_jpeg(astronaut, 90), quality=0)
