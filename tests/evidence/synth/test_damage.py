"""Damage and post-processing makers: seeded, honest masks, and transforms that carry masks correctly."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from shouhou.evidence.synth import damage, postprocess
from shouhou.evidence.synth.postprocess import Processed
from tests.conftest import sample

MAKERS: dict[str, Callable[..., damage.Damaged]] = {
    **damage.DAMAGES,
    "splice": lambda rgb, **kw: damage.splice(rgb, sample("chelsea"), **kw),
}


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return sample("coffee")


@pytest.mark.parametrize("name", list(MAKERS))
def test_maker_changes_only_inside_its_mask(photo: np.ndarray, name: str) -> None:
    out = MAKERS[name](photo, seed=4, strength=0.8)
    assert out.image.shape == photo.shape
    assert out.image.dtype == np.uint8
    assert out.mask.dtype == np.bool_
    assert out.mask.shape == photo.shape[:2]
    assert 0.0005 < out.mask.mean() < 0.3
    change = np.abs(out.image.astype(int) - photo.astype(int)).max(axis=2)
    outside = ~cv2.dilate(out.mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert change[outside].max() <= 12, "the edit leaks outside its mask"
    assert change[out.mask].mean() > 8, "the mask claims pixels the edit left unchanged"


@pytest.mark.parametrize("name", list(MAKERS))
def test_maker_is_seeded(photo: np.ndarray, name: str) -> None:
    a = MAKERS[name](photo, seed=1)
    b = MAKERS[name](photo, seed=1)
    c = MAKERS[name](photo, seed=2)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.mask, b.mask)
    assert not np.array_equal(a.mask, c.mask)


@pytest.mark.parametrize("name", ["crack", "stain", "scratches"])
def test_strength_scales_the_edit(photo: np.ndarray, name: str) -> None:
    box = (100, 80, 150, 120)
    weak = MAKERS[name](photo, seed=3, strength=0.1, where=box)
    strong = MAKERS[name](photo, seed=3, strength=1.0, where=box)
    energy = [np.abs(d.image.astype(int) - photo.astype(int)).sum() for d in (weak, strong)]
    assert energy[1] > 1.5 * energy[0]


def test_bad_strength_is_refused(photo: np.ndarray) -> None:
    with pytest.raises(ValueError, match="strength"):
        damage.add_crack(photo, strength=1.5)


def test_mask_box() -> None:
    m = np.zeros((20, 30), bool)
    m[5:9, 10:20] = True
    assert damage.mask_box(m) == (10, 5, 10, 4)


def _dot_image() -> tuple[np.ndarray, tuple[int, int]]:
    img = np.full((240, 320, 3), 128, np.uint8)
    xy = (200, 90)
    cv2.circle(img, xy, 4, (255, 255, 255), -1)
    return img, xy


STEPS: dict[str, Callable[[np.ndarray], Processed]] = {
    "resize": lambda x: postprocess.resize(x, 0.6),
    "upsize": lambda x: postprocess.resize(x, 1.7),
    "crop": lambda x: postprocess.crop(x, 0.2, seed=3),
    "rotate": lambda x: postprocess.rotate(x, 7.0),
    "perspective": lambda x: postprocess.perspective(x, 0.1, seed=1),
    "screenshot": lambda x: postprocess.screenshot(x, seed=2),
    "recapture": lambda x: postprocess.recapture(x, seed=2, glare=0.0),
    "reshoot": lambda x: postprocess.reshoot(x, seed=2, lighting=0.0),
    "jpeg": lambda x: postprocess.jpeg(x, 60),
    "colour": lambda x: postprocess.colour_filter(x),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_transform_follows_the_pixels(name: str) -> None:
    img, (x, y) = _dot_image()
    out = STEPS[name](img)
    gray = out.image.astype(np.float32).mean(axis=2)
    p = out.transform @ np.array([x, y, 1.0])
    px, py = p[0] / p[2], p[1] / p[2]
    assert 0 <= px < gray.shape[1]
    assert 0 <= py < gray.shape[0]
    yy, xx = np.nonzero(gray >= np.quantile(gray, 0.999))
    near = np.hypot(xx - px, yy - py).min()
    assert near <= 3.0, f"the dot is not where the transform puts it ({px:.1f}, {py:.1f})"


def test_chain_and_map_mask() -> None:
    img, _ = _dot_image()
    mask = np.zeros(img.shape[:2], bool)
    mask[60:120, 150:250] = True
    first = postprocess.rotate(img, 5.0)
    both = postprocess.then(first, postprocess.resize(first.image, 0.5))
    moved = postprocess.map_mask(mask, both.transform, both.image.shape)
    assert abs(moved.sum() - mask.sum() * 0.25) < 0.1 * mask.sum() * 0.25


def test_colour_filter_and_jpeg_keep_geometry() -> None:
    img = sample("astronaut")
    for step in (postprocess.colour_filter(img), postprocess.jpeg(img, 50)):
        assert step.image.shape == img.shape
        assert np.array_equal(step.transform, np.eye(3))
