"""The forensic map detectors on synthetic traces: each finds its own trace and stays quiet without it."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from shouhou.evidence import forensic_maps as fm
from shouhou.evidence.image import encode_image
from tests.conftest import sample


def _decode_rgb(raw: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def _luma_and_table(raw: bytes) -> tuple[np.ndarray, tuple[int, ...]]:
    with Image.open(io.BytesIO(raw)) as im:
        table = tuple(int(x) for x in im.quantization[0])
        im.draft("L", im.size)
        return np.asarray(im.convert("L")), table


def test_block_dct_matches_opencv() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 256, (16, 24), dtype=np.uint8)
    freqs = fm.ZIGZAG[:10]
    ours = fm.block_dct(y, freqs)
    block = cv2.dct(y[8:16, 16:24].astype(np.float32) - 128.0)
    assert np.allclose(ours[1, 2], [block[u, v] for u, v in freqs], atol=1e-3)


def test_primary_step_recovered_from_a_double_quantised_histogram() -> None:
    rng = np.random.default_rng(1)
    values = rng.laplace(0, 20, 50_000)
    q1, q2, max_k = 7, 3, 40
    k = np.rint(np.rint(values / q1) * q1 / q2).astype(int)
    hist = np.bincount(k[np.abs(k) <= max_k] + max_k, minlength=2 * max_k + 1).astype(float)
    step, gain = fm.estimate_primary_step(hist, q2, max_k)
    assert step == q1
    assert gain > 0.2
    single = np.rint(values / q2).astype(int)
    hist1 = np.bincount(single[np.abs(single) <= max_k] + max_k, minlength=2 * max_k + 1).astype(float)
    assert fm.estimate_primary_step(hist1, q2, max_k)[1] < 0.05


def test_dq_map_lights_a_pasted_patch_and_not_the_background() -> None:
    background = _decode_rgb(encode_image(sample("astronaut"), quality=70))
    patch = _decode_rgb(encode_image(sample("coffee"), quality=90))[100:260, 200:360]
    edited = background.copy()
    edited[203:363, 251:411] = patch
    y, table = _luma_and_table(encode_image(edited, quality=92))
    res = fm.double_quantisation_map(y, table)
    assert res.detected_freqs >= 6
    inside = res.map[203 // 8 + 2 : 363 // 8 - 2, 251 // 8 + 2 : 411 // 8 - 2].mean()
    outside = np.concatenate([res.map[:20].ravel(), res.map[50:].ravel()]).mean()
    assert inside > 0.8
    assert outside < 0.1


def test_dq_map_finds_nothing_in_a_single_compression() -> None:
    y, table = _luma_and_table(encode_image(sample("astronaut"), quality=85))
    res = fm.double_quantisation_map(y, table)
    assert res.detected_freqs < 6
    assert float((res.map >= 0.5).mean()) < 0.05


def test_noise_map_lights_a_noisier_patch() -> None:
    rng = np.random.default_rng(2)
    base = np.full((512, 512), 120.0) + rng.normal(0, 2.0, (512, 512))
    base[192:320, 192:320] += rng.normal(0, 8.0, (128, 128))
    gray = np.clip(base, 0, 255).astype(np.uint8)
    m = fm.noise_inconsistency_map(gray, block=32)
    assert m[7:9, 7:9].min() > 0.9
    assert m[:4].max() == 0.0


def test_noise_map_is_quiet_on_uniform_noise() -> None:
    rng = np.random.default_rng(3)
    gray = np.clip(rng.normal(120, 3.0, (512, 512)), 0, 255).astype(np.uint8)
    assert fm.noise_inconsistency_map(gray).max() < 0.5


def test_copy_move_finds_both_regions_and_ignores_the_original() -> None:
    img = sample("astronaut")
    edited = img.copy()
    edited[330:430, 330:450] = img[250:350, 150:270]
    gray = cv2.cvtColor(_decode_rgb(encode_image(edited, quality=92)), cv2.COLOR_RGB2GRAY)
    clusters = fm.find_copy_move(gray)
    assert len(clusters) == 1
    c = clusters[0]
    sx, sy, _, _ = c.source
    tx, ty, _, _ = c.target
    assert abs((tx - sx) - 180) < 12
    assert abs((ty - sy) - 80) < 12
    assert c.correlation > 0.8
    clean = cv2.cvtColor(_decode_rgb(encode_image(img, quality=92)), cv2.COLOR_RGB2GRAY)
    assert fm.find_copy_move(clean) == []


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_map_matches_pillow_exif_transpose(orientation: int) -> None:
    stored = np.arange(12, dtype=np.float32).reshape(3, 4)
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
              7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}.get(orientation)
    im = Image.fromarray(stored.astype(np.uint8))
    expected = np.asarray(im.transpose(method) if method is not None else im).astype(np.float32)
    assert np.array_equal(fm.orient_map(stored, orientation), expected)
