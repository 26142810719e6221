"""PDQ hashes of a photo for the reuse index: the whole frame and a lattice of sub-crop windows (25 rows
stored; 40 on query: 8 dihedral variants of the whole frame, 16 windows upright and mirrored), so that some
stored/query pair lines up within ~2% per edge for any crop removing up to 20% of the area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from shouhou.errors import UnreadableImage

HashArray = npt.NDArray[np.uint8]  # shape (n, 32): packed PDQ bits, most significant first
HASH_BYTES: Final = 32
HASH_BITS: Final = 256
# Stored hashes only compare with query hashes of the same windows and resampling: the index records this
# and refuses to open under another (bump it whenever windows, resampling or bit layout change).
HASH_SCHEME: Final = "pdq64-lattice-2"
# PDQ hashes a 64x64 luma grid. Each window is area-averaged straight from the (<= 512 px) preview onto
# that grid with sub-pixel edges: cutting windows out of a 128-px copy instead rounds each edge by up to
# 0.4% and cost ~20 bits between a stored window and the same crop arriving as a claim photo (~3 now).
WORK_SIDE: Final = 64
_SOURCE_SIDE: Final = 512
# Below PDQ quality 50 the hash is dominated by noise (flat or featureless frames) and the PDQ authors
# advise not matching it. Quality here is measured on the area-averaged 64x64 grid, which reads ~0.91x
# what pdqhash reports on the full-resolution photo (median over low-texture generated scenes; 0.87-0.95),
# so 45 here is PDQ's 50.
MIN_QUALITY: Final = 45

# (left, right, top, bottom) fractions cut off the frame.
Window = tuple[float, float, float, float]

# PDQ is crop-sensitive: every 1% an edge is off costs ~9 bits (a shift ~14 bits per 1%, a scale ~5), so
# matching needs a stored and a query window whose edges agree within about 1-2%. Crops are axis-aligned, so
# the lattice is separable: per axis a (near, far) cut from each list; a crop (l, r) is matched by the
# stored cut s and query cut q with s ~ l + q * (1 - l - r). These four x four pairs were chosen (on
# generated scenes and calibration photos) so that every per-axis crop with l + r <= 0.11, or one side up
# to 0.15, is within ~20 bits of predicted cost on that axis; the product covers both axes at once.
_STORED_AXIS: Final = ((0.045, 0.14), (0.055, 0.075), (0.075, 0.055), (0.14, 0.045))
_QUERY_AXIS: Final = ((0.0, 0.04), (0.04, 0.0), (0.04, 0.055), (0.055, 0.04))
# Single-side crops of 15-20% (a strip cut off one side) leave three edges in place: the lattice's
# two-sided cuts are far from those, so they get stored windows of their own.
_SIDE_CUTS: Final = (0.16, 0.20)
FLIPPED: Final = "flipped-horizontally"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}".rstrip("0").rstrip(".")


def window_name(window: Window) -> str:
    """'whole', or the cuts in percent: (0.045, 0.14, 0, 0) is 'cut-l4.5-r14'."""
    parts = [f"{side}{_pct(c)}" for side, c in zip("lrtb", window, strict=True) if c]
    return "cut-" + "-".join(parts) if parts else "whole"


def _lattice(axis: tuple[tuple[float, float], ...]) -> dict[str, Window]:
    windows = [(x[0], x[1], y[0], y[1]) for x in axis for y in axis]
    return {window_name(w): w for w in windows}


def _sides(cuts: tuple[float, ...]) -> dict[str, Window]:
    windows: list[Window] = []
    for c in cuts:
        windows += [(c, 0, 0, 0), (0, c, 0, 0), (0, 0, c, 0), (0, 0, 0, c)]
    return {window_name(w): w for w in windows}


INDEX_WINDOWS: Final[dict[str, Window]] = {
    "whole": (0, 0, 0, 0),
    **_lattice(_STORED_AXIS),
    **_sides(_SIDE_CUTS),
}
QUERY_WINDOWS: Final[dict[str, Window]] = {"whole": (0, 0, 0, 0), **_lattice(_QUERY_AXIS)}
# In pdqhash.compute_dihedral's order; each name says what the claim photo is, relative to the stored
# photo, when that variant matches (checked in tests/index/test_hashing.py).
DIHEDRAL: Final[tuple[str, ...]] = (
    "whole",
    "rotated-cw90",
    "rotated-180",
    "rotated-ccw90",
    "flipped-vertically",
    FLIPPED,
    "transposed",
    "anti-transposed",
)

# PDQ's DCT: rows are frequencies 1..16 (no DC term) over 64 samples.
_DCT: Final = np.sqrt(2 / 64) * np.cos(np.pi / 128 * np.outer(np.arange(1, 17), 2 * np.arange(64) + 1))
# Mirroring a grid negates its odd-frequency coefficients (k = 1, 3, ...) along that axis, so every
# dihedral variant is a sign change and/or transpose of one 16x16 block (as PDQ's own dihedral code does).
_MIRROR: Final = (-1.0) ** np.arange(1, 17)
_GRID: Final = np.arange(WORK_SIDE + 1) / WORK_SIDE


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


def _integral_luma(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Summed-area table of PDQ's luma (0.299 R + 0.587 G + 0.114 B) of a copy at most 512 px long."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise UnreadableImage(f"expected an RGB image, got an array of shape {rgb.shape}")
    h, w = rgb.shape[:2]
    scale = _SOURCE_SIDE / max(h, w)
    if scale < 1.0:  # previews are already this size; other inputs are brought to it so results agree
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
    luma = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.integral(luma, sdepth=cv2.CV_64F), np.float64)


def _resample(integral: npt.NDArray[np.float64], windows: list[Window]) -> npt.NDArray[np.float64]:
    """(n, 64, 64) mean luma of each window's 64x64 cells, cell edges at sub-pixel positions.

    The summed-area table of a piecewise-constant image is bilinear inside each pixel, so interpolating
    it bilinearly gives exact box sums over fractional rectangles.
    """
    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    cuts = np.asarray(windows, np.float64).reshape(-1, 4)
    # windows share few distinct (left, right) cuts: interpolate along x once per distinct pair
    x_cuts, x_of = np.unique(cuts[:, :2], axis=0, return_inverse=True)
    x0, x1 = x_cuts[:, 0] * w, (1 - x_cuts[:, 1]) * w
    y0, y1 = cuts[:, 2] * h, (1 - cuts[:, 3]) * h
    xs = x0[:, None] + (x1 - x0)[:, None] * _GRID
    ys = y0[:, None] + (y1 - y0)[:, None] * _GRID
    ix = np.clip(np.floor(xs).astype(np.intp), 0, w - 1)
    iy = np.clip(np.floor(ys).astype(np.intp), 0, h - 1)
    fx, fy = xs - ix, ys - iy
    # rows of the transposed table are contiguous: (distinct x cuts, 65 x, h + 1)
    columns = np.ascontiguousarray(integral.T)
    along_x = columns[ix] * (1 - fx)[..., None] + columns[ix + 1] * fx[..., None]
    pick = (x_of.reshape(-1)[:, None, None], np.arange(WORK_SIDE + 1)[None, :, None])
    lo, hi = along_x[(*pick, iy[:, None, :])], along_x[(*pick, iy[:, None, :] + 1)]
    table = (lo * (1 - fy)[:, None, :] + hi * fy[:, None, :]).transpose(0, 2, 1)  # (n, 65 y, 65 x)
    sums = table[:, 1:, 1:] - table[:, :-1, 1:] - table[:, 1:, :-1] + table[:, :-1, :-1]
    cell = ((x1 - x0)[x_of.reshape(-1)] * (y1 - y0) / WORK_SIDE**2)[:, None, None]
    return np.asarray(sums / cell, np.float64)


def _quality(grids: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """PDQ's quality metric: the sum of truncated neighbour differences (in % of 255), / 90, capped at 100."""
    g = grids.astype(np.float32)
    down = np.trunc((g[:, :-1, :] - g[:, 1:, :]) * 100 / 255)
    across = np.trunc((g[:, :, :-1] - g[:, :, 1:]) * 100 / 255)
    total = np.abs(down).sum(axis=(1, 2)) + np.abs(across).sum(axis=(1, 2))
    return np.asarray(np.minimum(100, total // 90), np.int64)


def _coefficients(grids: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(_DCT @ grids @ _DCT.T, np.float64)


def _bits(coefficients: npt.NDArray[np.float64]) -> HashArray:
    """PDQ bits (coefficient above the median), in pdqhash's order (last coefficient first)."""
    flat = coefficients.reshape(len(coefficients), 256)[:, ::-1]
    return np.packbits(flat > np.median(flat, axis=1, keepdims=True), axis=1)


def _dihedral(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x, y = _MIRROR[None, :], _MIRROR[:, None]
    t = block.T
    return np.stack([block, t * y, block * x * y, t * x, block * y, block * x, t, t * x * y])


def pdq(rgb: npt.NDArray[np.uint8]) -> tuple[HashArray, int]:
    """The PDQ hash (32 packed bytes) and quality of the whole frame, resampled as the windows are."""
    grid = _resample(_integral_luma(rgb), [(0, 0, 0, 0)])
    return _bits(_coefficients(grid))[0], int(_quality(grid)[0])


def _empty(quality: int) -> PhotoHashes:
    return PhotoHashes(np.zeros((0, HASH_BYTES), np.uint8), (), quality)


def _windows(rgb: npt.NDArray[np.uint8], windows: dict[str, Window]) -> tuple[npt.NDArray[np.float64], int]:
    """DCT blocks of every window (the whole frame first) and the whole frame's quality.

    The whole frame alone decides whether a photo is hashed: every window keeps at least 2/3 of it, and
    gating windows one by one dropped, in low-texture photos, windows just under the bar on the stored
    side whose query counterparts were just over it.
    """
    grids = _resample(_integral_luma(rgb), list(windows.values()))
    return _coefficients(grids), int(_quality(grids[:1])[0])


def index_hashes(rgb: npt.NDArray[np.uint8], *, min_quality: int = MIN_QUALITY) -> PhotoHashes:
    """Hashes stored for a photo: the whole frame and the INDEX_WINDOWS sub-crops (upright only)."""
    blocks, quality = _windows(rgb, INDEX_WINDOWS)
    if quality < min_quality:
        return _empty(quality)
    return PhotoHashes(_bits(blocks), tuple(INDEX_WINDOWS), quality)


def query_hashes(rgb: npt.NDArray[np.uint8], *, min_quality: int = MIN_QUALITY) -> PhotoHashes:
    """Hashes a photo is looked up with: the 8 dihedral variants of the whole frame, the QUERY_WINDOWS
    sub-crops, then the same sub-crops mirrored (a flipped and cropped copy)."""
    blocks, quality = _windows(rgb, QUERY_WINDOWS)
    if quality < min_quality:
        return _empty(quality)
    crops = [n for n in QUERY_WINDOWS if n != "whole"]
    rows = [_bits(_dihedral(blocks[0])), _bits(blocks[1:]), _bits(blocks[1:] * _MIRROR[None, None, :])]
    names = (*DIHEDRAL, *crops, *[f"{FLIPPED}+{n}" for n in crops])
    return PhotoHashes(np.concatenate(rows), names, quality)


_POPCOUNT: Final = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def min_distance(query: PhotoHashes, stored: PhotoHashes) -> int:
    """Smallest Hamming distance over every (query row, stored row) pair; 257 when either has no rows."""
    if not len(query) or not len(stored):
        return HASH_BITS + 1
    xor = np.bitwise_xor(query.hashes[:, None, :], stored.hashes[None, :, :])
    return int(_POPCOUNT[xor].sum(axis=2, dtype=np.int64).min())


def to_hex(hash_row: HashArray) -> str:
    return bytes(hash_row).hex()


def from_hex(text: str) -> HashArray:
    raw = bytes.fromhex(text)
    if len(raw) != HASH_BYTES:
        raise ValueError(f"a PDQ hash is {HASH_BYTES * 2} hex digits, got {len(text)}")
    return np.frombuffer(raw, dtype=np.uint8).copy()
