"""Alignment measures that tell a pixel copy from a new capture of the same flat print."""

from __future__ import annotations

import cv2
import numpy as np

from shouhou.evidence.align import flat_band_correlation, flatten_lighting, lighting_spread
from tests.conftest import sample


def _gray(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float32)


def test_a_copy_shares_the_noise_of_flat_areas_and_a_reshoot_does_not() -> None:
    rng = np.random.default_rng(0)
    print_ = cv2.GaussianBlur(sample("coffee")[..., 1].astype(np.float32), (0, 0), 3.0)  # smooth "print"
    reference = print_ + rng.normal(0, 3.0, print_.shape).astype(np.float32)  # first capture's noise
    copy = np.round(reference * 1.05 + 4.0)  # the reference's own pixels, re-levelled and quantised
    reshoot = print_ + rng.normal(0, 3.0, print_.shape).astype(np.float32)  # same print, its own noise
    valid = np.ones(print_.shape, bool)
    shared = flat_band_correlation(_gray(copy), _gray(reference), valid, sigma=1.2)
    independent = flat_band_correlation(_gray(reshoot), _gray(reference), valid, sigma=1.2)
    assert shared > 0.8
    assert abs(independent) < 0.2


def _jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(
        ".jpg", np.clip(gray + 0.5, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), np.float32)


def test_flat_tiles_with_only_jpeg_residue_do_not_make_a_recompressed_copy_look_new() -> None:
    from shouhou.evidence.signals.reference import ReferenceParams

    rng = np.random.default_rng(0)
    print_ = cv2.GaussianBlur(sample("coffee")[..., 1].astype(np.float32), (0, 0), 3.0)
    h, w = print_.shape
    # A phone's denoised photo: noise survives in part of the frame only; the rest is as clean as JPEG
    # leaves it.
    reference = print_.copy()
    reference[:, : w // 3] += rng.normal(0, 2.0, (h, w // 3)).astype(np.float32)
    reference = _jpeg(reference, 92)
    copy = _jpeg(reference * 1.03 + 3.0, 85)  # re-levelled and recompressed
    reshoot = _jpeg(print_ + rng.normal(0, 3.0, print_.shape).astype(np.float32), 92)
    valid = np.ones(print_.shape, bool)
    floor = ReferenceParams().noise_min_std
    assert flat_band_correlation(copy, reference, valid, sigma=1.2, min_std=floor) > 0.75
    assert flat_band_correlation(reshoot, reference, valid, sigma=1.2, min_std=floor) < 0.3
    # Without the floor, the clean tiles' recompression residue decides, and the copy looks half new.
    assert flat_band_correlation(copy, reference, valid, sigma=1.2, min_std=0.3) < 0.6


def test_flatten_lighting_removes_glare_but_keeps_a_local_stain() -> None:
    ref = sample("astronaut").astype(np.float32)
    h, w = ref.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    glare = 1.0 + 0.3 * np.exp(-(((xx - 0.3 * w) / (0.3 * w)) ** 2 + ((yy - 0.4 * h) / (0.3 * h)) ** 2))
    claim = np.clip(ref * glare[..., None], 0, 255)
    claim[200:240, 300:340] *= 0.4  # the added stain
    relit = flatten_lighting(claim, ref, np.ones((h, w), bool))
    before = np.abs(claim - ref).max(axis=2)
    after = np.abs(claim - relit).max(axis=2)
    outside = np.ones((h, w), bool)
    outside[190:250, 290:350] = False
    assert np.median(after[outside]) < 0.5 * np.median(before[outside])
    assert after[200:240, 300:340].mean() > 40  # the stain still stands out


def _textured(seed: int, size: int = 480) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.uniform(60, 200, (size // 8, size // 8)).astype(np.float32)
    return np.asarray(cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC), np.float32)


def test_smoothed_lighting_spread_keeps_a_light_gradient() -> None:
    a = _textured(1)
    h, w = a.shape
    ramp = 1.0 + 0.3 * (np.mgrid[0:h, 0:w][1] / w - 0.5)  # a re-shot lit from one side
    b = np.asarray(a * ramp, np.float32)
    valid = np.ones(a.shape, bool)
    plain = lighting_spread(b, a, valid)
    smoothed = lighting_spread(b, a, valid, smooth=7)
    assert plain > 0.05
    assert abs(smoothed - plain) < 0.1 * plain


def test_smoothed_lighting_spread_ignores_cell_scale_differences_of_a_copy() -> None:
    # What a filter clips or saturates beyond the global colour model follows the picture, cell by cell.
    a = _textured(2)
    h, w = a.shape
    cell = h // 24
    rng = np.random.default_rng(3)
    gains = rng.normal(1.0, 0.06, (24, 24)).astype(np.float32)
    b = np.asarray(a * np.kron(gains, np.ones((cell, cell), np.float32))[:h, :w], np.float32)
    valid = np.ones(a.shape, bool)
    plain = lighting_spread(b, a, valid)
    smoothed = lighting_spread(b, a, valid, smooth=7)
    assert plain > 0.04
    assert smoothed < plain / 3
    # The median filter's support lies in the overlap: a border outside it does not enter the spread.
    part = valid.copy()
    part[:, : w // 3] = False
    assert lighting_spread(b, a, part, smooth=7) < plain / 3
