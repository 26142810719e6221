"""Damage makers: add a crack, chip, stain, scratches, an inpainted, copy-moved or spliced patch to a photo.

Each maker is seeded, takes a `strength` in [0, 1] and returns the edited photo with the true edit mask,
so tests, the demo and `shouhou bench evidence` can score localisation against ground truth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

import cv2
import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
Box = tuple[int, int, int, int]  # x, y, w, h


class Damaged(NamedTuple):
    """An edited photo and the pixels the edit changed (bool, same height and width)."""

    image: RGB
    mask: Mask


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _check(rgb: RGB, strength: float) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("expected an RGB uint8 image")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength {strength} is outside [0, 1]")


def pick_box(shape: tuple[int, ...], rng: np.random.Generator, fraction: float = 0.25) -> Box:
    """A box about `fraction` of the shorter side, kept off the outer 15% so crops do not cut it away."""
    h, w = shape[:2]
    side = max(8, int(min(h, w) * fraction))
    bw = min(w - 2, int(side * rng.uniform(0.8, 1.3)))
    bh = min(h - 2, int(side * rng.uniform(0.8, 1.3)))
    x0, x1 = int(w * 0.15), max(int(w * 0.15) + 1, int(w * 0.85) - bw)
    y0, y1 = int(h * 0.15), max(int(h * 0.15) + 1, int(h * 0.85) - bh)
    return int(rng.integers(x0, x1)), int(rng.integers(y0, y1)), bw, bh


def _walk(box: Box, rng: np.random.Generator, steps: int) -> npt.NDArray[np.int32]:
    """A wandering polyline crossing the box, the skeleton of a crack."""
    x, y, w, h = box
    start = np.array([x + rng.uniform(0, 0.2) * w, y + rng.uniform(0.2, 0.8) * h])
    end = np.array([x + rng.uniform(0.8, 1.0) * w, y + rng.uniform(0.2, 0.8) * h])
    t = np.linspace(0.0, 1.0, steps)[:, None]
    line = start + (end - start) * t
    normal = np.array([-(end - start)[1], (end - start)[0]]) / (np.linalg.norm(end - start) + 1e-9)
    wiggle = np.cumsum(rng.normal(0.0, 0.06 * h / np.sqrt(steps), steps))
    wiggle -= np.linspace(wiggle[0], wiggle[-1], steps)
    pts = line + normal * wiggle[:, None]
    return np.asarray(np.round(pts), np.int32)


def add_crack(rgb: RGB, *, seed: int = 0, strength: float = 0.7, where: Box | None = None) -> Damaged:
    """Thin dark branching strokes with a light rim on one side (the shading of a raised edge)."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng)
    scale = max(rgb.shape[:2]) / 1000.0
    width = max(1, round((1.0 + 3.0 * strength) * scale))
    dark = np.zeros(rgb.shape[:2], np.uint8)
    main = _walk(box, rng, 24)
    cv2.polylines(dark, [main], False, 255, width, cv2.LINE_AA)
    for _ in range(int(1 + 3 * strength)):
        i = int(rng.integers(4, len(main) - 4))
        bx, by = int(main[i][0]), int(main[i][1])
        sub = (bx, by - box[3] // 4, max(4, box[2] // 3), max(4, box[3] // 2))
        cv2.polylines(dark, [_walk(sub, rng, 10)], False, 255, max(1, width - 1), cv2.LINE_AA)
    shift = max(1, width)
    rim = np.roll(dark, (shift, shift), axis=(0, 1))
    rim = np.where(dark > 0, 0, rim)
    alpha_dark = (dark.astype(np.float32) / 255.0 * (0.55 + 0.4 * strength))[..., None]
    alpha_rim = (rim.astype(np.float32) / 255.0 * 0.35 * strength)[..., None]
    out = rgb.astype(np.float32)
    out = out * (1 - alpha_dark) + 25.0 * alpha_dark
    out = out * (1 - alpha_rim) + 235.0 * alpha_rim
    edited = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return Damaged(edited, (dark > 10) | (rim > 10))


def add_chip(rgb: RGB, *, seed: int = 0, strength: float = 0.7, where: Box | None = None) -> Damaged:
    """A broken-off piece: an irregular polygon showing a dark, shaded fracture surface and a bright rim."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng, 0.12 + 0.15 * strength)
    x, y, w, h = box
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radii = rng.uniform(0.55, 1.0, 9)
    cx, cy = x + w / 2, y + h / 2
    poly = np.stack([cx + np.cos(angles) * radii * w / 2, cy + np.sin(angles) * radii * h / 2], axis=1)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 255)
    yy, xx = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]].astype(np.float32)
    shade = 40.0 + 50.0 * ((xx - x) / max(w, 1) + (yy - y) / max(h, 1)) / 2.0
    grain = rng.normal(0.0, 10.0, rgb.shape[:2]).astype(np.float32)
    surface = np.clip(shade + grain, 0, 255)[..., None] * np.array([1.0, 0.95, 0.9], np.float32)
    rim = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    out = rgb.astype(np.float32)
    m = mask > 0
    out[m] = out[m] * (1 - strength) * 0.3 + surface[m] * (1 - (1 - strength) * 0.3)
    out[rim > 0] = 230.0
    return Damaged(np.clip(out + 0.5, 0, 255).astype(np.uint8), m | (rim > 0))


def _blob(shape: tuple[int, ...], box: Box, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """A soft irregular blob in [0, 1] filling roughly the box."""
    x, y, w, h = box
    field = np.zeros(shape[:2], np.float32)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    for _ in range(6):
        cx, cy = x + rng.uniform(0.25, 0.75) * w, y + rng.uniform(0.25, 0.75) * h
        sx, sy = rng.uniform(0.12, 0.3) * w, rng.uniform(0.12, 0.3) * h
        field += np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2) / 2)
    return np.asarray(np.clip((field - 0.5) * 3.0, 0.0, 1.0), np.float32)


_STAIN_COLOURS: Final = {"coffee": (110, 70, 35), "mould": (70, 95, 55), "water": (150, 150, 160)}


def add_stain(
    rgb: RGB,
    *,
    seed: int = 0,
    strength: float = 0.7,
    where: Box | None = None,
    kind: str = "coffee",
) -> Damaged:
    """A liquid, coffee or mould blob blended over the surface (mould adds speckle texture)."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng, 0.15 + 0.2 * strength)
    alpha = _blob(rgb.shape, box, rng) * (0.35 + 0.55 * strength)
    if kind == "mould":
        alpha *= np.clip(rng.normal(1.0, 0.35, alpha.shape), 0.2, 1.5).astype(np.float32)
    colour = np.array(_STAIN_COLOURS[kind], np.float32)
    # A darker tide line at the blob's edge, as dried liquid leaves.
    edge = cv2.morphologyEx((alpha > 0.15).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    out = rgb.astype(np.float32) * (1 - alpha[..., None]) + colour * alpha[..., None]
    out[edge > 0] *= 0.8
    return Damaged(np.clip(out + 0.5, 0, 255).astype(np.uint8), (alpha > 0.04) | (edge > 0))


def add_scratches(rgb: RGB, *, seed: int = 0, strength: float = 0.7, where: Box | None = None) -> Damaged:
    """Several thin light strokes, as on a scuffed surface."""
    _check(rgb, strength)
    rng = _rng(seed)
    x, y, w, h = where or pick_box(rgb.shape, rng)
    canvas = np.zeros(rgb.shape[:2], np.uint8)
    width = max(1, round(max(rgb.shape[:2]) / 800))
    for _ in range(int(3 + 6 * strength)):
        p0 = (int(x + rng.uniform(0, w)), int(y + rng.uniform(0, h)))
        ang = rng.uniform(-0.5, 0.5) + np.pi / 5
        length = rng.uniform(0.3, 0.8) * max(w, h)
        p1 = (
            int(np.clip(p0[0] + np.cos(ang) * length, x, x + w)),
            int(np.clip(p0[1] + np.sin(ang) * length, y, y + h)),
        )
        cv2.line(canvas, p0, p1, 255, width, cv2.LINE_AA)
    alpha = (canvas.astype(np.float32) / 255.0 * (0.5 + 0.45 * strength))[..., None]
    out = rgb.astype(np.float32) * (1 - alpha) + 245.0 * alpha
    return Damaged(np.clip(out + 0.5, 0, 255).astype(np.uint8), canvas > 10)


def _ellipse_mask(shape: tuple[int, ...], box: Box) -> npt.NDArray[np.uint8]:
    x, y, w, h = box
    mask = np.zeros(shape[:2], np.uint8)
    cv2.ellipse(mask, (x + w // 2, y + h // 2), (max(1, w // 2), max(1, h // 2)), 0, 0, 360, 255, -1)
    return mask


def inpaint_region(rgb: RGB, *, seed: int = 0, strength: float = 0.7, where: Box | None = None) -> Damaged:
    """Remove an object by OpenCV inpainting (Telea): the region is filled from its surroundings."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng, 0.08 + 0.15 * strength)
    mask = _ellipse_mask(rgb.shape, box)
    filled = cv2.inpaint(np.ascontiguousarray(rgb), mask, 5, cv2.INPAINT_TELEA)
    return Damaged(np.asarray(filled, np.uint8), mask > 0)


def _paste(rgb: RGB, patch: RGB, box: Box, feather: int) -> Damaged:
    x, y, w, h = box
    alpha = np.zeros(rgb.shape[:2], np.float32)
    alpha[y : y + h, x : x + w] = 1.0
    if feather > 0:
        k = 2 * feather + 1
        alpha = np.asarray(cv2.GaussianBlur(alpha, (k, k), 0) * (alpha > 0), np.float32)
    canvas = rgb.astype(np.float32).copy()
    canvas[y : y + h, x : x + w] = patch.astype(np.float32)
    out = rgb.astype(np.float32) * (1 - alpha[..., None]) + canvas * alpha[..., None]
    return Damaged(np.clip(out + 0.5, 0, 255).astype(np.uint8), alpha > 0.1)


def copy_move(rgb: RGB, *, seed: int = 0, strength: float = 0.7, where: Box | None = None) -> Damaged:
    """Copy a patch of the same photo over another place (hides or duplicates a feature)."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng, 0.1 + 0.15 * strength)
    x, y, w, h = box
    H, W = rgb.shape[:2]
    for _ in range(20):
        sx, sy = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
        if abs(sx - x) > w or abs(sy - y) > h:
            break
    patch = rgb[sy : sy + h, sx : sx + w]
    return _paste(rgb, patch, box, feather=max(1, min(w, h) // 20))


def splice(
    rgb: RGB,
    donor: RGB,
    *,
    seed: int = 0,
    strength: float = 0.7,
    where: Box | None = None,
) -> Damaged:
    """Paste a patch taken from another photo (`donor`), resized to the target box."""
    _check(rgb, strength)
    rng = _rng(seed)
    box = where or pick_box(rgb.shape, rng, 0.1 + 0.15 * strength)
    _x, _y, w, h = box
    dh, dw = donor.shape[:2]
    pw, ph = min(dw, max(w, dw // 3)), min(dh, max(h, dh // 3))
    sx, sy = int(rng.integers(0, dw - pw + 1)), int(rng.integers(0, dh - ph + 1))
    patch = cv2.resize(
        np.ascontiguousarray(donor[sy : sy + ph, sx : sx + pw]), (w, h), interpolation=cv2.INTER_AREA
    )
    return _paste(rgb, np.asarray(patch, np.uint8), box, feather=max(1, min(w, h) // 25))


Maker = Callable[..., Damaged]
# Makers that need nothing but the photo; `splice` also needs a donor photo.
DAMAGES: Final[dict[str, Maker]] = {
    "crack": add_crack,
    "chip": add_chip,
    "stain": add_stain,
    "scratches": add_scratches,
    "inpaint": inpaint_region,
    "copy_move": copy_move,
}


def mask_box(mask: Mask) -> Box:
    """The bounding box of a mask's true pixels (raises ValueError on an empty mask)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        raise ValueError("empty mask")
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
