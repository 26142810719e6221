"""Baselines a risk team would use instead of the engine: perceptual hash, error-level analysis, ORB inliers.

Each is the textbook method with its usual constants, not tuned on any benchmark data; higher score =
more suspicious (for phash_match and inlier_count: more likely copied from a reference photo).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import cv2
import imagehash
import numpy as np
import numpy.typing as npt
from PIL import Image

from shouhou.bench.metrics import mask_components
from shouhou.evidence.image import load_image
from shouhou.evidence.model import Region

RGB = npt.NDArray[np.uint8]

PHASH_SIZE: Final = 8  # imagehash's and imagededup's default: a 64-bit hash
PHASH_BITS: Final = PHASH_SIZE * PHASH_SIZE

# ELA: the map is smoothed over about one JPEG block (8 px) so block-grid texture does not dominate.
ELA_SIGMA_PX: Final = 4.0
ELA_TOP_PERCENTILE: Final = 99.5
# Iglewicz & Hoaglin's outlier rule: modified z-score 0.6745 * (x - median) / MAD above 3.5.
ELA_MODIFIED_Z: Final = 3.5
# Floor of the spread when MAD is ~0 (most of the photo survives re-saving unchanged): the standard deviation
# of rounding an integer-valued map, 1 / sqrt(12) grey levels, so the cut sits at least ~1 level up.
ELA_MIN_SPREAD: Final = 1.0 / math.sqrt(12.0)
ELA_MERGE_PX: Final = 8  # one JPEG block: outlier blobs a block apart are one area
ELA_MIN_AREA_SHARE: Final = 0.001
ELA_MAX_REGIONS: Final = 5

ORB_FEATURES: Final = 2000
ORB_MAX_SIDE: Final = 1024
LOWE_RATIO: Final = 0.75  # Lowe (2004)
RANSAC_REPROJ_PX: Final = 5.0
# score = inliers / (inliers + INLIER_HALF): a monotone map into [0, 1) that is 0.5 at 50 inliers.
INLIER_HALF: Final = 50.0
_MIN_MATCHES: Final = 4  # a homography needs four correspondences


@dataclass(frozen=True)
class BaselineResult:
    """A baseline's score in [0, 1] (higher = more suspicious) and, for ELA, where it looked suspicious."""

    score: float
    regions: tuple[Region, ...] = ()


def _check_rgb(rgb: npt.NDArray[np.generic], what: str) -> RGB:
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what} must be an RGB uint8 array (H, W, 3), got {arr.dtype} of shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _check_references(references_rgb: Sequence[npt.NDArray[np.generic]]) -> list[RGB]:
    if len(references_rgb) == 0:
        raise ValueError("at least one reference photo is required")
    return [_check_rgb(ref, f"references_rgb[{i}]") for i, ref in enumerate(references_rgb)]


# --- perceptual hash ------------------------------------------------------------------------------


def phash_bits(rgb: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """The 64 bits of imagehash.phash (32x32 greyscale DCT, low 8x8 block against its median)."""
    arr = _check_rgb(rgb, "rgb")
    digest = imagehash.phash(Image.fromarray(arr, "RGB"), hash_size=PHASH_SIZE)
    return np.asarray(digest.hash, dtype=bool).reshape(-1)


def phash_distance(a_bits: npt.NDArray[np.generic], b_bits: npt.NDArray[np.generic]) -> int:
    """Hamming distance between two `phash_bits` outputs (0..64)."""
    a, b = np.asarray(a_bits), np.asarray(b_bits)
    if a.shape != (PHASH_BITS,) or b.shape != (PHASH_BITS,) or a.dtype != np.bool_ or b.dtype != np.bool_:
        raise ValueError(f"phash bits are {PHASH_BITS} bools, got {a.dtype}{a.shape} and {b.dtype}{b.shape}")
    return int(np.count_nonzero(a != b))


def phash_match(
    claim_rgb: npt.NDArray[np.generic], references_rgb: Sequence[npt.NDArray[np.generic]]
) -> BaselineResult:
    """1 - (smallest Hamming distance from the claim's pHash to a reference's) / 64.

    Cannot tell *what* changed: a forged crack moves few of the 64 low-frequency bits, so a forgery and a
    plain recompressed copy of the reference score alike; crops and rotations break the match.
    """
    claim = phash_bits(claim_rgb)
    best = min(phash_distance(claim, phash_bits(ref)) for ref in _check_references(references_rgb))
    return BaselineResult(score=1.0 - best / PHASH_BITS)


# --- error-level analysis -------------------------------------------------------------------------


def _resave_jpeg(rgb: RGB, quality: int) -> RGB:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def ela_map(rgb: npt.NDArray[np.generic], *, quality: int = 90) -> npt.NDArray[np.float32]:
    """Per-pixel max over channels of |pixels - JPEG(pixels, quality)|, Gaussian-smoothed (sigma 4 px)."""
    arr = _check_rgb(rgb, "rgb")
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
    diff = cv2.absdiff(arr, _resave_jpeg(arr, quality)).max(axis=2).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(diff, (0, 0), ELA_SIGMA_PX), dtype=np.float32)


def ela(claim_bytes: bytes, *, quality: int = 90) -> BaselineResult:
    """Classic error-level analysis of a claim file: re-save as JPEG at `quality` and look at what changes.

    Score: r = (99.5th percentile of the smoothed ELA map) / (its median + 1), reported as r / (1 + r).
    A photo compressed uniformly has a tight map (r small); an area pasted or repainted after the last
    compression stands out as a bright tail (r large). The +1 keeps flat maps (median 0) finite.
    Regions: 8-connected areas (merged within one 8 px block) above median + 3.5 * MAD / 0.6745
    (Iglewicz-Hoaglin), at least 0.1% of the image, the 5 largest, in EXIF-oriented pixels.

    Cannot tell an edit from an edge: high-contrast texture and sharp edges also re-compress badly, so
    busy natural areas light up. A claim resized or recompressed after the edit erases most of the signal,
    and a non-JPEG claim has no compression history to compare against.
    """
    pixels = load_image(claim_bytes).pixels
    emap = ela_map(pixels, quality=quality)
    median = float(np.median(emap))
    top = float(np.percentile(emap, ELA_TOP_PERCENTILE))
    ratio = top / (median + 1.0)
    mad = float(np.median(np.abs(emap - median)))
    cut = median + ELA_MODIFIED_Z * max(mad / 0.6745, ELA_MIN_SPREAD)
    peak = float(emap.max())
    min_area = ELA_MIN_AREA_SHARE * emap.size
    high = emap > cut
    regions: list[Region] = []
    for area, (x, y, w, h) in mask_components(high, merge_px=ELA_MERGE_PX)[:ELA_MAX_REGIONS]:
        if area < min_area:
            break  # largest first: the rest are smaller still
        inside = emap[y : y + h, x : x + w][high[y : y + h, x : x + w]]
        level = min(1.0, float(inside.mean()) / peak) if peak > 0 else 0.0
        regions.append(Region(x=x, y=y, w=w, h=h, score=level, label="ela"))
    return BaselineResult(score=ratio / (1.0 + ratio), regions=tuple(regions))


# --- ORB + RANSAC ---------------------------------------------------------------------------------


def _orb_features(rgb: RGB) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8] | None]:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    side = max(grey.shape)
    if side > ORB_MAX_SIDE:
        scale = ORB_MAX_SIDE / side
        size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    orb = cv2.ORB.create(nfeatures=ORB_FEATURES)
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32).reshape(-1, 2)
    return points, None if descriptors is None else np.asarray(descriptors, dtype=np.uint8)


def _inliers(
    claim: tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8] | None],
    ref: tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8] | None],
) -> int:
    (c_pts, c_desc), (r_pts, r_desc) = claim, ref
    if c_desc is None or r_desc is None or len(r_desc) < 2:
        return 0
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    good = [
        pair[0] for pair in matcher.knnMatch(c_desc, r_desc, k=2)
        if len(pair) == 2 and pair[0].distance < LOWE_RATIO * pair[1].distance
    ]
    if len(good) < _MIN_MATCHES:
        return 0
    src = c_pts[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    dst = r_pts[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_REPROJ_PX)
    if homography is None or mask is None:
        return 0
    return int(np.count_nonzero(mask))


def inlier_count(
    claim_rgb: npt.NDArray[np.generic], references_rgb: Sequence[npt.NDArray[np.generic]]
) -> BaselineResult:
    """ORB (2000 features, greyscale, longest side <= 1024) + Lowe ratio 0.75 + RANSAC homography (5 px).

    Score = max over references of inliers / (inliers + 50); 0 below four ratio-test matches.
    Cannot tell a forgery from an honest second photo of the same flat, textured object (both fit a
    homography well), and says nothing about where the claim differs from the reference.
    """
    claim = _orb_features(_check_rgb(claim_rgb, "claim_rgb"))
    best = max(_inliers(claim, _orb_features(ref)) for ref in _check_references(references_rgb))
    return BaselineResult(score=best / (best + INLIER_HALF))
