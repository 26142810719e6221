"""Classical local-edit detectors as pure functions on numpy arrays, each returning a map in [0, 1].

The forensics signal fuses these maps; nothing here reads files or knows about signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

FloatMap = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

# JPEG zig-zag order as (row, col) of the 8x8 block; the low-frequency AC terms carry the DQ trace.
ZIGZAG: Final[tuple[tuple[int, int], ...]] = tuple(
    sorted(((r, c) for r in range(8) for c in range(8)),
           key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]))
)


def _dct_matrix() -> npt.NDArray[np.float64]:
    # Orthonormal DCT-II; for 8x8 blocks it equals the JPEG FDCT scaling (1/4 C(u) C(v)).
    n = np.arange(8)
    d = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16) * math.sqrt(2 / 8)
    d[0] /= math.sqrt(2)
    return d


_DCT: Final = _dct_matrix()


def block_dct(y: U8, freqs: tuple[tuple[int, int], ...]) -> npt.NDArray[np.float32]:
    """DCT coefficients at `freqs` of every grid-aligned 8x8 block of `y - 128`: (rows, cols, len(freqs))."""
    nby, nbx = y.shape[0] // 8, y.shape[1] // 8
    blocks = y[: nby * 8, : nbx * 8].astype(np.float32).reshape(nby, 8, nbx, 8).transpose(0, 2, 1, 3)
    basis = np.stack([np.outer(_DCT[u], _DCT[v]).ravel() for u, v in freqs], axis=1).astype(np.float32)
    coef = (blocks.reshape(-1, 64) - 128.0) @ basis
    return np.asarray(coef.reshape(nby, nbx, len(freqs)), dtype=np.float32)


def _reachable(q1: int, q2: int, max_k: int, tol: float = 0.25) -> npt.NDArray[np.bool_]:
    """Bins k in [-max_k, max_k] that a value first quantised with step q1, then q2, can land on.

    `tol` widens each landing point for the decoder's pixel rounding: a point m*q1/q2 near a half
    (q1/q2 = 3.5 puts every other one exactly on it) lands on either neighbour.
    """
    m = np.arange(-(max_k * q2) // q1 - 2, (max_k * q2) // q1 + 3)
    x = m * q1 / q2
    out = np.zeros(2 * max_k + 1, dtype=bool)
    for k in (np.ceil(x - 0.5 - tol).astype(int), np.floor(x + 0.5 + tol).astype(int)):
        k = k[np.abs(k) <= max_k]
        out[k + max_k] = True
    return out


def estimate_primary_step(hist: npt.NDArray[np.float64], q2: int, max_k: int) -> tuple[int, float]:
    """The first-compression step q1 > q2 that best explains empty bins in the histogram, and its gain.

    Gain = share of the non-zero mass on reachable bins minus the share a smooth histogram would put
    there; 0 when no candidate beats smoothness (a single-compressed image). Steps q1 <= q2 leave no
    empty bins and cannot be told from this histogram.
    """
    nz = hist.copy()
    nz[max_k] = 0.0
    total = nz.sum()
    if total <= 0:
        return 0, 0.0
    best_q1, best_gain = 0, 0.0
    for q1 in range(q2 + 1, min(8 * q2, 64) + 1):
        reach = _reachable(q1, q2, max_k)
        reach[max_k] = False
        width = 2 * math.ceil(q1 / q2) + 1
        smooth = np.convolve(nz, np.ones(width) / width, mode="same")
        smooth[max_k] = 0.0
        expected = smooth[reach].sum() / max(smooth.sum(), 1e-9)
        gain = nz[reach].sum() / total - expected
        if gain > best_gain + 1e-9:
            best_q1, best_gain = q1, float(gain)
    return best_q1, best_gain


@dataclass(frozen=True)
class DQResult:
    """Aligned double-quantisation evidence per 8x8 block (0 = none or consistent, 1 = strongly off-grid)."""

    map: FloatMap
    detected_freqs: int  # frequencies whose histogram shows a first compression
    mean_gain: float
    primary_steps: tuple[int, ...] = field(default=())


def double_quantisation_map(
    y: U8, qtable: tuple[int, ...], *, n_freqs: int = 14, max_k: int = 40, min_gain: float = 0.2,
    min_count: int = 300, llr_cap: float = 3.0, pseudo_count: float = 3.0, min_nonzero: int = 4,
    exclude: npt.NDArray[np.bool_] | None = None, smooth_blocks: int = 5, llr_scale: float = 2.0,
) -> DQResult:
    """Where the blocks break the image's aligned double-JPEG pattern (after Lin et al. 2009).

    An image saved as JPEG twice on one grid puts its quantised DCT values only on the bins reachable
    from the first step; a pasted patch (other quality, shifted grid) or a resampled edit does not. Each
    block's coefficients vote with a self-calibrated log-likelihood ratio: the histogram itself says how
    rare an off-grid value is in this image. `qtable` is the file's luma table in natural (row-major) order;
    `exclude` marks blocks (e.g. with a clipped colour channel) whose coefficients cannot be trusted.
    """
    freqs = ZIGZAG[1 : 1 + n_freqs]
    coef = block_dct(y, freqs)
    nby, nbx = coef.shape[:2]
    evidence = np.zeros((nby, nbx), dtype=np.float32)
    nonzero = np.zeros((nby, nbx), dtype=np.int32)
    detected, gains, steps = 0, [], []
    for i, (u, v) in enumerate(freqs):
        q2 = int(qtable[u * 8 + v])
        k = np.rint(coef[..., i] / q2).astype(np.int64)
        inside = np.abs(k) <= max_k
        nonzero += k != 0
        hist = np.bincount((k[inside] + max_k).ravel(), minlength=2 * max_k + 1).astype(np.float64)
        if hist.sum() - hist[max_k] < min_count:
            continue
        q1, gain = estimate_primary_step(hist, q2, max_k)
        if q1 == 0 or gain < min_gain:
            continue
        detected += 1
        gains.append(gain)
        steps.append(q1)
        width = 2 * math.ceil(q1 / q2) + 1
        smooth = np.convolve(hist, np.ones(width) / width, mode="same")
        # Log-ratio of "a smooth, never-double-compressed block" to "a block of this image's DQ pattern";
        # pseudo-counts keep sparse tail bins from voting, and only unreachable bins may vote "tampered".
        llr = np.log((smooth + pseudo_count) / (hist + pseudo_count))
        reach = _reachable(q1, q2, max_k)
        llr = np.where(reach, np.minimum(llr, 0.0), np.maximum(llr, 0.0))
        llr = np.clip(llr, -llr_cap, llr_cap)
        llr[max_k] = 0.0  # zeros are reachable under both hypotheses
        table = llr.astype(np.float32)
        evidence += np.where(inside, table[np.clip(k + max_k, 0, 2 * max_k)], 0.0).astype(np.float32)
    if detected == 0:
        return DQResult(np.zeros((nby, nbx), np.float32), 0, 0.0)
    # Clipped pixels distort every coefficient of their block, honest or not: they give no evidence.
    ycrop = y[: nby * 8, : nbx * 8].reshape(nby, 8, nbx, 8)
    clipped = (ycrop.max(axis=(1, 3)) >= 254) | (ycrop.min(axis=(1, 3)) <= 1)
    evidence[clipped] = 0.0
    if exclude is not None:
        evidence[exclude[:nby, :nbx]] = 0.0
    # Smooth blocks (a ramp, a gradient) round their pixels coherently, which moves their few non-zero
    # coefficients off the grid in honest images; only textured blocks vote.
    evidence[nonzero < min_nonzero] = 0.0
    local = cv2.boxFilter(evidence, -1, (smooth_blocks, smooth_blocks), borderType=cv2.BORDER_REFLECT)
    out = np.clip(local / llr_scale, 0.0, 1.0)
    return DQResult(out.astype(np.float32), detected, float(np.mean(gains)), tuple(steps))


def noise_inconsistency_map(
    gray: U8, *, block: int = 32, z0: float = 2.0, z_span: float = 2.0, dark: int = 16, bright: int = 240,
    max_clipped: float = 0.1, min_spread: float = 0.2, sigma_floor: float = 0.5,
) -> FloatMap:
    """Blocks whose noise level departs from the image's noise-versus-brightness relation.

    Noise sigma per block comes from the finest-scale diagonal Haar coefficients (as in Donoho's
    estimator), using only their smaller half, which sparse edges and texture hardly reach. Each block
    is compared with the median sigma of blocks of similar brightness, so a sensor's signal-dependent
    noise is not itself an anomaly. Output (rows, cols) per block, 1 = robust |z| >= z0 + z_span.
    """
    nby, nbx = gray.shape[0] // block, gray.shape[1] // block
    if nby < 2 or nbx < 2:
        return np.zeros((max(nby, 1), max(nbx, 1)), np.float32)
    g = gray[: nby * block, : nbx * block].astype(np.float32)
    hh = np.abs(g[0::2, 0::2] - g[0::2, 1::2] - g[1::2, 0::2] + g[1::2, 1::2]) / 2.0
    half = block // 2
    cells = hh.reshape(nby, half, nbx, half).transpose(0, 2, 1, 3).reshape(nby, nbx, half * half)
    n = cells.shape[2] // 2
    # Mean of the lower half of |HH|: as robust to edges as the median, without its 0.5-step quantisation.
    # For Gaussian noise that mean is 0.3246 sigma.
    sigma = np.partition(cells, n, axis=2)[:, :, :n].mean(axis=2) / 0.3246
    blocks = g.reshape(nby, block, nbx, block)
    level = blocks.mean(axis=(1, 3))
    clipped = ((blocks <= 2) | (blocks >= 253)).mean(axis=(1, 3))
    valid = (level > dark) & (level < bright) & (clipped <= max_clipped)
    out = np.zeros((nby, nbx), np.float32)
    if valid.sum() < 8:
        return out
    # Below the floor, sigma is JPEG-flattened or rounding noise: differences there mean nothing.
    log_sigma = np.log(np.maximum(sigma, sigma_floor))
    bins = np.clip((level / 32).astype(int), 0, 7)
    expected = np.full_like(log_sigma, np.median(log_sigma[valid]))
    for b in range(8):
        sel = valid & (bins == b)
        if sel.sum() >= 6:
            expected[bins == b] = np.median(log_sigma[sel])
    dev = log_sigma - expected
    centre = float(np.median(dev[valid]))
    spread = 1.4826 * float(np.median(np.abs(dev[valid] - centre)))
    # The floor is the estimator's own scatter (a median of ~256 quantised values): uniform noise must
    # not look inconsistent just because every block agrees closely.
    z = np.abs(dev - centre) / max(spread, min_spread)
    out[valid] = np.clip((z[valid] - z0) / z_span, 0.0, 1.0)
    return out


@dataclass(frozen=True)
class CopyMoveCluster:
    """One verified copy: source and target boxes (x, y, w, h) in the analysed image's pixels."""

    source: tuple[int, int, int, int]
    target: tuple[int, int, int, int]
    inliers: int
    correlation: float  # high-pass correlation of the two regions after alignment (1 = identical texture)


def _box(points: npt.NDArray[np.float32], pad: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0 = np.maximum(points.min(axis=0) - pad, 0)
    x1 = min(float(points[:, 0].max() + pad), shape[1] - 1.0)
    y1 = min(float(points[:, 1].max() + pad), shape[0] - 1.0)
    return int(x0), int(y0), max(int(x1 - x0), 1), max(int(y1 - y0), 1)


def _highpass(g: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(g - cv2.GaussianBlur(g, (0, 0), 1.5), dtype=np.float32)


def _aligned_correlation(gray: U8, affine: npt.NDArray[np.float64], target: tuple[int, int, int, int],
                         ) -> float:
    """Correlation of the target box's fine texture with the source warped onto it."""
    g = gray.astype(np.float32)
    warped = cv2.warpAffine(g, affine, (g.shape[1], g.shape[0]), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    x, y, w, h = target
    a = _highpass(g)[y : y + h, x : x + w].ravel()
    valid = warped[y : y + h, x : x + w].ravel() >= 0
    b = _highpass(np.maximum(warped, 0))[y : y + h, x : x + w].ravel()
    a, b = a[valid], b[valid]
    if a.size < 64 or a.std() < 1e-3 or b.std() < 1e-3:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def find_copy_move(
    gray: U8, *, n_features: int = 3000, ratio: float = 0.6, min_offset: float = 0.04,
    min_inliers: int = 10, ransac_px: float = 3.0, min_correlation: float = 0.5, max_clusters: int = 3,
    max_flat_fraction: float = 0.5,
) -> list[CopyMoveCluster]:
    """Regions the image contains twice: ORB self-matching, g2NN ratio test, RANSAC similarity clusters.

    Each cluster is verified by correlating the fine texture of the two regions after alignment: an
    honest repeated structure (windows, tiles) matches keypoints but not its noise and JPEG detail.
    Clusters lying mostly on perfectly flat pixels are rendered graphics (repeated icons and buttons of
    a screenshot's interface), which a camera never produces, so they are not reported as copy-move.
    """
    orb = cv2.ORB.create(nfeatures=n_features, scaleFactor=1.2, nlevels=8, fastThreshold=10)
    keypoints, desc = orb.detectAndCompute(gray, None)
    if desc is None or len(keypoints) < 2 * min_inliers:
        return []
    pts = np.array([k.pt for k in keypoints], dtype=np.float32)
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    knn = matcher.knnMatch(desc, desc, k=4)
    min_d = min_offset * max(gray.shape)
    src, dst = [], []
    seen: set[tuple[int, int]] = set()
    for row in knn:
        others = [m for m in row if m.trainIdx != m.queryIdx]
        if len(others) < 2:
            continue
        best, second = others[0], others[1]
        if best.distance > ratio * max(second.distance, 1.0):
            continue
        i, j = best.queryIdx, best.trainIdx
        p, q = pts[i], pts[j]
        if float(np.hypot(*(q - p))) < min_d:
            continue
        # One direction per pair, so a cluster's displacements share a sign.
        if (q[0] - p[0], q[1] - p[1]) < (0.0, 0.0):
            i, j, p, q = j, i, q, p
        if (i, j) in seen:
            continue
        seen.add((i, j))
        src.append(p)
        dst.append(q)
    clusters: list[CopyMoveCluster] = []
    s_all = np.array(src, np.float32).reshape(-1, 2)
    d_all = np.array(dst, np.float32).reshape(-1, 2)
    while len(s_all) >= min_inliers and len(clusters) < max_clusters:
        cv2.setRNGSeed(12345)
        affine, mask = cv2.estimateAffinePartial2D(s_all, d_all, method=cv2.RANSAC,
                                                   ransacReprojThreshold=ransac_px, maxIters=2000,
                                                   confidence=0.99)
        if affine is None or mask is None:
            break
        inl = mask.ravel().astype(bool)
        if inl.sum() < min_inliers:
            break
        s_in, d_in = s_all[inl], d_all[inl]
        pad = 0.02 * max(gray.shape)
        source, target = _box(s_in, pad, gray.shape[:2]), _box(d_in, pad, gray.shape[:2])
        corr = _aligned_correlation(gray, np.asarray(affine, np.float64), target)
        rendered = min(_flat_fraction(gray, source), _flat_fraction(gray, target)) > max_flat_fraction
        if corr >= min_correlation and not rendered:
            clusters.append(CopyMoveCluster(source, target, int(inl.sum()), round(corr, 4)))
        s_all, d_all = s_all[~inl], d_all[~inl]
    return clusters


def _flat_fraction(gray: U8, box: tuple[int, int, int, int]) -> float:
    """Share of pixels in a box whose 3×3 neighbourhood is exactly constant (sensor noise never is)."""
    x, y, w, h = box
    patch = gray[y : y + h, x : x + w]
    if patch.size == 0:
        return 0.0
    lap = cv2.Laplacian(patch, cv2.CV_16S, ksize=1)
    spread = cv2.dilate(np.minimum(np.abs(lap), 255).astype(np.uint8), np.ones((3, 3), np.uint8))
    return float(np.count_nonzero(spread == 0)) / float(patch.size)


def clipped_blocks(rgb: U8, *, lo: int = 2, hi: int = 253, block: int = 8) -> npt.NDArray[np.bool_]:
    """Blocks with any channel at the ends of the range: clipping in an earlier decode moved their values."""
    inside = cv2.inRange(rgb, (lo, lo, lo), (hi, hi, hi))
    nby, nbx = rgb.shape[0] // block, rgb.shape[1] // block
    cells = inside[: nby * block, : nbx * block].reshape(nby, block, nbx, block)
    return np.asarray(cells.min(axis=(1, 3)) == 0)


def unorient(a: U8, orientation: int) -> U8:
    """Undo an EXIF orientation: oriented pixels back into the file's stored order (a view)."""
    ops = {
        2: lambda x: x[:, ::-1], 3: lambda x: x[::-1, ::-1], 4: lambda x: x[::-1, :],
        5: lambda x: x.swapaxes(0, 1), 6: lambda x: np.rot90(x, 1),
        7: lambda x: np.rot90(x, 2).swapaxes(0, 1), 8: lambda x: np.rot90(x, -1),
    }
    op = ops.get(orientation)
    return a if op is None else np.ascontiguousarray(op(a))


def orient_map(m: FloatMap, orientation: int) -> FloatMap:
    """Apply an EXIF orientation (1-8) to a map computed in the file's stored pixel order."""
    ops = {
        2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1, :],
        5: lambda a: a.T, 6: lambda a: np.rot90(a, -1), 7: lambda a: np.rot90(a, 2).T,
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return m if op is None else np.ascontiguousarray(op(m))
