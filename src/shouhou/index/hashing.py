"""PDQ hashes of a photo for the reuse index: a few fixed sub-crop windows, plus dihedral variants on query.

PDQ (256-bit) tolerates resizing and recompression but not crops: a 3% strip already costs ~40 bits.
So a stored photo gets hashes of 18 windows (whole, 10%/20% side strips cut, 5%/10% corners cut, 5%
border cut) and a query gets 14 windows (whole, 5% sides, 2.5%/5% corners, 3% border cut) with the 8
dihedral hashes of the whole frame; some stored/query window pair then lines up within ~2% per edge
for most crops removing up to 20% of the area (measured in benchmarks/reuse_index_speed.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import pdqhash

from shouhou.errors import UnreadableImage

HashArray = npt.NDArray[np.uint8]  # shape (n, 32): packed PDQ bits, most significant first
HASH_BYTES: Final = 32
HASH_BITS: Final = 256
# PDQ box-filters to 64x64 anyway; hashing a 128-px copy is 10-20x cheaper than the 512-px preview
# and moves natural photos by 2-20 bits (stationary textures more).
WORK_SIDE: Final = 128
# Below this PDQ's own quality score the hash is dominated by noise (flat or featureless frames);
# the PDQ authors advise not matching such hashes.
MIN_QUALITY: Final = 50

# (left, right, top, bottom) fractions cut off the frame.
Window = tuple[float, float, float, float]


def _sides(c: float, tag: str) -> dict[str, Window]:
    return {
        f"cut-l{tag}": (c, 0, 0, 0),
        f"cut-r{tag}": (0, c, 0, 0),
        f"cut-t{tag}": (0, 0, c, 0),
        f"cut-b{tag}": (0, 0, 0, c),
    }


def _corners(c: float, tag: str) -> dict[str, Window]:
    return {
        f"cut-tl{tag}": (c, 0, c, 0),
        f"cut-tr{tag}": (0, c, c, 0),
        f"cut-bl{tag}": (c, 0, 0, c),
        f"cut-br{tag}": (0, c, 0, c),
    }


INDEX_WINDOWS: Final[dict[str, Window]] = {
    "whole": (0, 0, 0, 0),
    **_sides(0.10, "10"),
    **_sides(0.20, "20"),
    **_corners(0.05, "5"),
    **_corners(0.10, "10"),
    "border5": (0.05, 0.05, 0.05, 0.05),
}
QUERY_WINDOWS: Final[dict[str, Window]] = {
    "whole": (0, 0, 0, 0),
    **_sides(0.05, "5"),
    **_corners(0.025, "2.5"),
    **_corners(0.05, "5"),
    "border3": (0.03, 0.03, 0.03, 0.03),
}
# In pdqhash.compute_dihedral's order; each name says what the claim photo is, relative to the stored
# photo, when that variant matches (checked in tests/index/test_hashing.py).
DIHEDRAL: Final[tuple[str, ...]] = (
    "whole",
    "rotated-cw90",
    "rotated-180",
    "rotated-ccw90",
    "flipped-vertically",
    "flipped-horizontally",
    "transposed",
    "anti-transposed",
)


@dataclass(frozen=True)
class PhotoHashes:
    """The PDQ hashes of one photo, one row per named window or transform."""

    hashes: HashArray
    names: tuple[str, ...]
    quality: int  # PDQ quality (0-100) of the whole frame

    def __post_init__(self) -> None:
        if self.hashes.dtype != np.uint8 or self.hashes.ndim != 2 or self.hashes.shape[1] != HASH_BYTES:
            raise ValueError(f"hashes must be uint8 of shape (n, {HASH_BYTES}), got {self.hashes.shape}")
        if len(self.names) != len(self.hashes):
            raise ValueError("one name per hash is required")

    @property
    def reliable(self) -> bool:
        """False when the photo was too flat to hash (no rows were produced)."""
        return len(self.hashes) > 0

    def __len__(self) -> int:
        return len(self.hashes)


def working_copy(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The photo shrunk (area average) so its long side is at most WORK_SIDE."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise UnreadableImage(f"expected an RGB image, got an array of shape {rgb.shape}")
    h, w = rgb.shape[:2]
    scale = WORK_SIDE / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb, dtype=np.uint8)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _cut(rgb: npt.NDArray[np.uint8], window: Window) -> npt.NDArray[np.uint8]:
    left, right, top, bottom = window
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(
        rgb[round(top * h) : h - round(bottom * h), round(left * w) : w - round(right * w)]
    )


def _pack(bits: npt.NDArray[np.integer]) -> HashArray:
    return np.packbits(np.asarray(bits, dtype=np.uint8))


def pdq(rgb: npt.NDArray[np.uint8]) -> tuple[HashArray, int]:
    """One PDQ hash (32 packed bytes) and its quality."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    return _pack(bits), int(quality)


def _windows(
    work: npt.NDArray[np.uint8], windows: dict[str, Window], min_quality: int
) -> tuple[list[HashArray], list[str]]:
    rows: list[HashArray] = []
    names: list[str] = []
    for name, window in windows.items():
        if name == "whole":
            continue
        h, q = pdq(_cut(work, window))
        if q >= min_quality:  # a flat strip of an otherwise fine photo says nothing either
            rows.append(h)
            names.append(name)
    return rows, names


def index_hashes(rgb: npt.NDArray[np.uint8], *, min_quality: int = MIN_QUALITY) -> PhotoHashes:
    """Hashes stored for a photo: the whole frame and its canonical sub-crops (upright only)."""
    work = working_copy(rgb)
    whole, quality = pdq(work)
    if quality < min_quality:
        return PhotoHashes(np.zeros((0, HASH_BYTES), np.uint8), (), quality)
    rows, names = _windows(work, INDEX_WINDOWS, min_quality)
    return PhotoHashes(np.stack([whole, *rows]), ("whole", *names), quality)


def query_hashes(rgb: npt.NDArray[np.uint8], *, min_quality: int = MIN_QUALITY) -> PhotoHashes:
    """Hashes a photo is looked up with: 8 dihedral variants of the whole frame, then sub-crops."""
    work = working_copy(rgb)
    variants, quality = pdqhash.compute_dihedral(work)
    if quality < min_quality:
        return PhotoHashes(np.zeros((0, HASH_BYTES), np.uint8), (), int(quality))
    rows, names = _windows(work, QUERY_WINDOWS, min_quality)
    stacked = np.stack([_pack(v) for v in variants] + rows)
    return PhotoHashes(stacked, (*DIHEDRAL, *names), int(quality))


def to_hex(hash_row: HashArray) -> str:
    return bytes(hash_row).hex()


def from_hex(text: str) -> HashArray:
    raw = bytes.fromhex(text)
    if len(raw) != HASH_BYTES:
        raise ValueError(f"a PDQ hash is {HASH_BYTES * 2} hex digits, got {len(text)}")
    return np.frombuffer(raw, dtype=np.uint8).copy()
