"""Register a claim photo to a reference photo and measure how the aligned pair agrees.

Local features (RootSIFT) with a ratio test and a MAGSAC++ homography register the pair; the measures
(fine-band correlation, lighting flatness, screen traits) tell a pixel copy from a new capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

FEATURE_VERSION: Final = "rootsift-2000-1"


@dataclass(frozen=True)
class Features:
    """Keypoints and RootSIFT descriptors of one photo at its working resolution."""

    points: F32  # (N, 2) x, y in working-resolution pixels
    descriptors: F32  # (N, 128), unit L2 norm
    scale: float  # working pixels per full-resolution pixel
    width: int  # full resolution, after EXIF orientation
    height: int


def working_scale(width: int, height: int, max_side: int) -> float:
    return min(1.0, max_side / max(width, height))


def extract_features(gray: U8, *, max_side: int = 1024, max_features: int = 2500) -> Features:
    """SIFT at a reduced working resolution, converted to RootSIFT (Hellinger kernel, better matching)."""
    h, w = gray.shape[:2]
    s = working_scale(w, h, max_side)
    small = (
        gray
        if s == 1.0
        else cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    )
    sift = cv2.SIFT_create(nfeatures=max_features)  # type: ignore[attr-defined]  # missing from cv2 stubs
    kps, desc = sift.detectAndCompute(np.ascontiguousarray(small), None)
    if desc is None or len(kps) == 0:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32), s, w, h)
    d = desc.astype(np.float32)
    d /= d.sum(axis=1, keepdims=True) + 1e-7
    d = np.sqrt(d)
    pts = np.array([k.pt for k in kps], np.float32).reshape(-1, 2)
    return Features(pts, np.ascontiguousarray(d), s, w, h)


def match(claim: Features, ref: Features, ratio: float) -> tuple[F32, F32]:
    """Lowe-ratio matches claim → reference, also requiring the reverse nearest neighbour to agree.

    Returns matched points (claim, reference) in working-resolution pixels."""
    if len(claim.descriptors) < 2 or len(ref.descriptors) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    # Unit-norm descriptors: squared distance = 2 - 2 * dot, so one matrix product does all pairs.
    sim = claim.descriptors @ ref.descriptors.T
    rows = np.arange(sim.shape[0])
    best = np.argmax(sim, axis=1)
    s0 = sim[rows, best]
    column_best = sim.max(axis=0)
    sim[rows, best] = -np.inf
    s1 = sim.max(axis=1)
    d_best = np.sqrt(np.maximum(0.0, 2 - 2 * s0))
    d_second = np.sqrt(np.maximum(0.0, 2 - 2 * s1))
    # Mutual check: the claim point is also the reference point's nearest neighbour.
    keep = (d_best < ratio * d_second) & (s0 >= column_best[best])
    return claim.points[keep], ref.points[best[keep]]


@dataclass(frozen=True)
class Registration:
    """A reference → claim homography (full resolution) and its support."""

    H: F64  # maps reference full-res pixels to claim full-res pixels
    matches: int
    inliers: int
    reproj_error: float  # median inlier reprojection error, claim working pixels
    fundamental_inliers: int  # support of a two-view (non-planar) model, for re-shot scenes


def register(
    claim: Features, ref: Features, *, ratio: float, ransac_px: float, min_inliers: int = 15
) -> Registration | None:
    pc, pr = match(claim, ref, ratio)
    n = len(pc)
    if n < 8:
        return None
    try:
        Hw, mask = cv2.findHomography(pr, pc, cv2.USAC_MAGSAC, ransac_px, maxIters=5000, confidence=0.999)
    except cv2.error:  # USAC asserts on degenerate samples (all points collinear or coincident)
        Hw, mask = None, None
    inl = mask.ravel().astype(bool) if Hw is not None and mask is not None else np.zeros(n, bool)
    f_inl = int(inl.sum())
    # A scene that is not flat (a re-shot product) supports a two-view model but no homography.
    if f_inl < max(min_inliers, 0.5 * n):
        try:
            F, fmask = cv2.findFundamentalMat(pr, pc, cv2.USAC_MAGSAC, ransac_px / 2, 0.999, 5000)
        except cv2.error:  # as above: a degenerate sample set has no two-view model
            F, fmask = None, None
        if F is not None and fmask is not None:
            f_inl = max(f_inl, int(fmask.ravel().sum()))
    if Hw is None or mask is None:
        return Registration(np.eye(3), n, 0, float("inf"), f_inl)
    proj = cv2.perspectiveTransform(pr[inl].reshape(-1, 1, 2), Hw).reshape(-1, 2)
    err = float(np.median(np.linalg.norm(proj - pc[inl], axis=1))) if inl.any() else float("inf")
    Sc = np.diag([claim.scale, claim.scale, 1.0])
    Sr = np.diag([ref.scale, ref.scale, 1.0])
    H = np.linalg.inv(Sc) @ Hw @ Sr
    return Registration(H / H[2, 2], n, int(inl.sum()), err, f_inl)


def local_scale(H: F64, x: float, y: float) -> float:
    """Linear magnification of H at (x, y): output pixels per input pixel."""
    p = np.array([x, y, 1.0])
    q = H @ p
    J = (H[:2, :2] * q[2] - np.outer(q[:2], H[2, :2])) / q[2] ** 2
    return float(np.sqrt(abs(np.linalg.det(J))))


def warp_reference(ref_rgb: U8, H: F64, size: tuple[int, int]) -> tuple[U8, U8]:
    """Reference warped by H into an output of `size` (w, h), pre-shrunk with area averaging when H
    shrinks it (bilinear warping alone would alias and break the fine-band comparison), and its
    footprint mask (255 inside)."""
    h, w = ref_rgb.shape[:2]
    s = local_scale(H, w / 2, h / 2)
    src = ref_rgb
    if s < 0.8:
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        src = np.asarray(cv2.resize(ref_rgb, (nw, nh), interpolation=cv2.INTER_AREA), np.uint8)
        sx, sy = nw / w, nh / h
        back = np.array([[1 / sx, 0, 0.5 / sx - 0.5], [0, 1 / sy, 0.5 / sy - 0.5], [0, 0, 1]])
        H = H @ back
    warped = cv2.warpPerspective(src, H, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ones = np.full(src.shape[:2], 255, np.uint8)
    foot = cv2.warpPerspective(ones, H, size, flags=cv2.INTER_NEAREST, borderValue=0)
    return np.asarray(warped, np.uint8), np.asarray(foot, np.uint8)


def fit_colour(ref: U8, claim: U8, valid: npt.NDArray[np.bool_], *, samples: int = 30000) -> F32:
    """Map the warped reference's colours onto the claim's with one global quadratic model per channel
    (robust to the edit: the worst-fitting 20% are dropped and the model refitted)."""
    ys, xs = np.nonzero(valid)
    if xs.size < 50:
        return ref.astype(np.float32)
    step = max(1, xs.size // samples)
    r = ref[ys[::step], xs[::step]].astype(np.float32) / 255.0
    c = claim[ys[::step], xs[::step]].astype(np.float32)

    def design(x: F32) -> F32:
        return np.concatenate([x, x**2, x**3, np.ones((len(x), 1), np.float32)], axis=1)

    A = design(r)
    keep = np.ones(len(A), bool)
    coef = np.zeros((A.shape[1], 3), np.float32)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(A[keep], c[keep], rcond=None)
        res = np.abs(A @ coef - c).sum(axis=1)
        keep = res <= np.quantile(res, 0.8)
    # The model is a sum of per-input-channel curves, so it applies as nine 256-entry lookup tables.
    levels = np.arange(256, dtype=np.float32)[:, None] / 255.0
    out = np.empty(ref.shape, np.float32)
    for o in range(3):
        acc = np.full(ref.shape[:2], coef[-1, o], np.float32)
        for i in range(3):
            lut = (coef[i, o] * levels + coef[3 + i, o] * levels**2 + coef[6 + i, o] * levels**3).ravel()
            acc += lut.astype(np.float32)[ref[..., i]]
        out[..., o] = acc
    return np.asarray(np.clip(out, 0, 255), np.float32)


def to_gray(rgb: F32 | U8) -> F32:
    x = rgb.astype(np.float32)
    return np.asarray(x[..., 0] * 0.299 + x[..., 1] * 0.587 + x[..., 2] * 0.114, np.float32)


@dataclass(frozen=True)
class _Tiles:
    """Zero-mean high-pass residuals of two aligned gray images cut into tiles, and their energies."""

    a: F32  # (ny, nx, tile * tile)
    b: F32
    inside: npt.NDArray[np.bool_]  # (ny, nx): tile wholly inside the valid area
    std_a: F32  # (ny, nx)
    std_b: F32

    def correlation(self, keep: npt.NDArray[np.bool_]) -> F32:
        return np.asarray(
            (self.a * self.b).mean(axis=2)[keep] / (self.std_a[keep] * self.std_b[keep]), np.float32
        )


def _tiles(a: F32, b: F32, valid: npt.NDArray[np.bool_], *, sigma: float, tile: int) -> _Tiles | None:
    H, W = a.shape
    ny, nx = H // tile, W // tile
    if ny == 0 or nx == 0:
        return None

    def cut(x: F32) -> F32:
        grid = x[: ny * tile, : nx * tile].reshape(ny, tile, nx, tile).transpose(0, 2, 1, 3)
        return np.asarray(grid.reshape(ny, nx, -1), np.float32)

    ta = cut(a - cv2.GaussianBlur(a, (0, 0), sigma))
    tb = cut(b - cv2.GaussianBlur(b, (0, 0), sigma))
    ta = ta - ta.mean(axis=2, keepdims=True)
    tb = tb - tb.mean(axis=2, keepdims=True)
    inside = cut(valid.astype(np.float32)).min(axis=2) > 0
    return _Tiles(ta, tb, inside, np.sqrt((ta**2).mean(axis=2)), np.sqrt((tb**2).mean(axis=2)))


def fine_band_correlation(
    a: F32, b: F32, valid: npt.NDArray[np.bool_], *, sigma: float, tile: int, min_std: float, quantile: float
) -> float:
    """Tile-wise correlation of the high-pass residuals of two aligned gray images.

    A pixel copy shares the reference's noise and finest texture (resampled); a new capture does not,
    and its sub-pixel misregistration decorrelates the finest band. The quantile over tiles (not the
    mean) keeps an edited area from pulling a copy's score down."""
    t = _tiles(a, b, valid, sigma=sigma, tile=tile)
    if t is None:
        return 0.0
    ok = t.inside & (t.std_a > min_std) & (t.std_b > min_std)
    if ok.sum() < 4:
        return 0.0
    return float(np.quantile(t.correlation(ok), quantile))


def flat_band_correlation(
    a: F32,
    b: F32,
    valid: npt.NDArray[np.bool_],
    *,
    sigma: float,
    tile: int = 16,
    min_std: float = 0.3,
    share: float = 0.3,
) -> float:
    """Median fine-band correlation over the flattest `share` of tiles (least high-pass energy in `b`)
    among those whose energy in `b` exceeds `min_std`.

    There the finest band is mostly sensor noise: a pixel copy carries the reference's noise, a second
    capture brings its own, independent noise, however much of the scene's fine texture it shares (an
    honest re-shot of a flat printed object shares a lot of it). Tiles below `min_std` hold no noise
    worth the name, only JPEG residue, which every recompression replaces: they would make a copy of a
    clean photo look like a new capture."""
    t = _tiles(a, b, valid, sigma=sigma, tile=tile)
    if t is None:
        return 0.0
    ok = t.inside & (t.std_b > min_std) & (t.std_a > 1e-3)
    if ok.sum() < 8:
        return 0.0
    flat = ok & (t.std_b <= np.quantile(t.std_b[ok], share))
    corr = t.correlation(flat)
    return float(np.median(corr)) if corr.size else 0.0


def lighting_spread(
    a: F32, b: F32, valid: npt.NDArray[np.bool_], *, grid: int = 24, smooth: int = 1
) -> float:
    """Robust spread (1.4826·MAD) of the log ratio of low-passed brightness over a coarse grid.

    After the global colour fit a copy's ratio map is flat; a new capture under other light is not. With
    `smooth` > 1 the ratio map is first median-filtered over `smooth` × `smooth` cells: light varies
    smoothly across a scene (a median filter keeps a gradient or a falloff as it is), while what is left
    of a copy's ratio after the fit follows the picture cell by cell (an edited region, colours a filter
    clipped or saturated beyond the global colour model) and is mostly filtered out."""
    H, W = a.shape
    cell = max(4, min(H, W) // grid)
    ny, nx = H // cell, W // cell
    if ny < 2 or nx < 2:
        return 0.0

    def blocks(x: F32) -> F32:
        return np.asarray(
            x[: ny * cell, : nx * cell].reshape(ny, cell, nx, cell).mean(axis=(1, 3)), np.float32
        )

    v = blocks(valid.astype(np.float32)) > 0.999
    if v.sum() < 6:
        return 0.0
    ratio = np.log(blocks(a) + 10.0) - np.log(blocks(b) + 10.0)
    if smooth > 1:
        # Cells outside the overlap take their nearest valid cell's value, so the border does not pull
        # the filtered values towards anything the two photos do not show.
        nearest = ndimage.distance_transform_edt(~v, return_distances=False, return_indices=True)
        ratio = ndimage.median_filter(ratio[tuple(nearest)], size=smooth, mode="nearest")
    r = ratio[v]
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def moire_score(residual: F32, valid: npt.NDArray[np.bool_], *, size: int = 256) -> float:
    """Prominence of isolated peaks in the spectrum of the claim-minus-reference residual.

    A screen's pixel grid beating against the sensor leaves strong periodic peaks; sensor noise and
    misregistration do not. Peaks on the 8-pixel JPEG block grid are ignored."""
    H, W = residual.shape
    ys, xs = np.nonzero(valid)
    if xs.size == 0:
        return 0.0
    cy, cx = int(np.median(ys)), int(np.median(xs))
    half = size // 2
    y0, x0 = max(0, min(H - size, cy - half)), max(0, min(W - size, cx - half))
    patch = residual[y0 : y0 + size, x0 : x0 + size]
    vpatch = valid[y0 : y0 + size, x0 : x0 + size]
    if patch.shape != (size, size) or vpatch.mean() < 0.9:
        return 0.0
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    power = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2((patch - patch.mean()) * win))) ** 2).astype(
        np.float32
    )
    # A peak spreads over ~3 bins under the window; the background is the smooth spectral envelope.
    prom = cv2.blur(power, (3, 3)) - cv2.GaussianBlur(power, (0, 0), 8)
    fy, fx = np.mgrid[-half:half, -half:half]
    radius = np.hypot(fy, fx)
    m = size // 8
    grid = (np.minimum(fx % m, -fx % m) <= 1) | (np.minimum(fy % m, -fy % m) <= 1)
    band = (radius > size * 0.06) & ~grid
    return float(np.exp(prom[band].max())) if band.any() else 0.0


def flatten_lighting(
    claim: F32, mapped: F32, valid: npt.NDArray[np.bool_], *, grid: int = 16, keep: float = 0.7
) -> F32:
    """`mapped` relit to the claim's smooth lighting (a glare spot, a vignette, a screen's falloff).

    A quadratic surface is fitted to the log brightness ratio over a coarse grid, dropping the worst-fitting
    cells twice (an added stain or crack covers few cells, so it does not bend the surface)."""
    H, W = valid.shape
    cell = max(4, min(H, W) // grid)
    ny, nx = H // cell, W // cell
    if ny < 3 or nx < 3:
        return mapped

    def blocks(x: F32) -> F32:
        cut = x[: ny * cell, : nx * cell]
        return np.asarray(cut.reshape(ny, cell, nx, cell).mean(axis=(1, 3)), np.float32)

    a, b = to_gray(claim), to_gray(mapped)
    v = blocks(valid.astype(np.float32)) > 0.999
    if v.sum() < 12:
        return mapped
    ratio = (np.log(blocks(a) + 10.0) - np.log(blocks(b) + 10.0))[v]
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    yc, xc = (yy[v] + 0.5) / ny - 0.5, (xx[v] + 0.5) / nx - 0.5
    A = np.stack([np.ones_like(xc), xc, yc, xc * xc, xc * yc, yc * yc], axis=1)
    use = np.ones(len(A), bool)
    coef = np.zeros(6)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(A[use], ratio[use], rcond=None)
        res = np.abs(A @ coef - ratio)
        use = res <= np.quantile(res, keep)
    fy, fx = np.mgrid[0:H, 0:W].astype(np.float32)
    fx = (fx + 0.5) / (nx * cell) - 0.5
    fy = (fy + 0.5) / (ny * cell) - 0.5
    c = coef.astype(np.float32)
    gain = np.exp(c[0] + c[1] * fx + c[2] * fy + c[3] * fx * fx + c[4] * fx * fy + c[5] * fy * fy)
    # The ratio was fitted on (value + 10); applying it as a pure gain is exact enough away from black.
    return np.asarray(np.clip((mapped + 10.0) * gain[..., None] - 10.0, 0, 255), np.float32)
