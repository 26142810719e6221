"""Post-processing makers a forger applies after editing: recompression, resizing, cropping, rotation,
perspective, colour filters, a phone-screenshot frame and a photo-of-a-screen recapture.

Each returns the new image and the 3x3 homography taking source pixel coordinates to output ones, so a
ground-truth mask follows the image through any chain (`map_mask`).
"""

from __future__ import annotations

import io
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

RGB = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]


class Processed(NamedTuple):
    """The processed image and the source → output pixel homography (identity for photometric steps)."""

    image: RGB
    transform: Matrix


def _eye() -> Matrix:
    return np.eye(3, dtype=np.float64)


def _warp(rgb: RGB, H: Matrix, size: tuple[int, int], fill: int = 0) -> RGB:
    out = cv2.warpPerspective(
        np.ascontiguousarray(rgb),
        H,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(fill, fill, fill),
    )
    return np.asarray(out, np.uint8)


def map_mask(mask: npt.NDArray[np.bool_], transform: Matrix, shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """Carry a source mask into an output image of `shape` through `transform`."""
    warped = cv2.warpPerspective(
        mask.astype(np.uint8) * 255, transform, (shape[1], shape[0]), flags=cv2.INTER_LINEAR
    )
    return np.asarray(warped) > 127


def then(first: Processed, second: Processed) -> Processed:
    """Compose two steps: `second` was applied to `first.image`."""
    return Processed(second.image, second.transform @ first.transform)


def jpeg(rgb: RGB, quality: int = 70) -> Processed:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return Processed(np.asarray(im.convert("RGB"), np.uint8), _eye())


def resize(rgb: RGB, factor: float = 0.5) -> Processed:
    h, w = rgb.shape[:2]
    nw, nh = max(1, round(w * factor)), max(1, round(h * factor))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    out = np.asarray(cv2.resize(np.ascontiguousarray(rgb), (nw, nh), interpolation=interp), np.uint8)
    # Pixel centres: x_out + 0.5 = (x_in + 0.5) * nw / w.
    sx, sy = nw / w, nh / h
    T = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]], np.float64)
    return Processed(out, T)


def crop(rgb: RGB, fraction: float = 0.15, *, seed: int = 0) -> Processed:
    """Cut `fraction` of the width and of the height away, split at random between the two sides."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    cw, ch = int(w * fraction), int(h * fraction)
    left, top = int(rng.integers(0, cw + 1)), int(rng.integers(0, ch + 1))
    out = np.ascontiguousarray(rgb[top : h - (ch - top), left : w - (cw - left)])
    T = np.array([[1, 0, -left], [0, 1, -top], [0, 0, 1]], np.float64)
    return Processed(out, T)


def rotate(rgb: RGB, degrees: float = 3.0, *, fill: int = 255) -> Processed:
    """Rotate about the centre onto a canvas large enough to hold the whole photo (filled white)."""
    h, w = rgb.shape[:2]
    A = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), degrees, 1.0)
    cos, sin = abs(A[0, 0]), abs(A[0, 1])
    nw, nh = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    A[0, 2] += (nw - w) / 2
    A[1, 2] += (nh - h) / 2
    H = np.vstack([A, [0, 0, 1]]).astype(np.float64)
    return Processed(_warp(rgb, H, (nw, nh), fill), H)


def perspective(rgb: RGB, strength: float = 0.08, *, seed: int = 0) -> Processed:
    """Move each corner inwards at random by up to `strength` of the side (a keystone-like warp)."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    jitter = rng.uniform(0, strength, (4, 2)) * np.array([w, h], np.float32)
    dst = src + jitter * np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float32)
    H = cv2.getPerspectiveTransform(src, dst.astype(np.float32)).astype(np.float64)
    return Processed(_warp(rgb, H, (w, h)), H)


def colour_filter(
    rgb: RGB,
    *,
    brightness: float = 12.0,
    contrast: float = 1.12,
    saturation: float = 1.25,
    warmth: float = 0.06,
    gamma: float = 0.9,
) -> Processed:
    """A global "filter": gamma, contrast about mid-grey, brightness, saturation and a warm white balance."""
    x = (rgb.astype(np.float32) / 255.0) ** gamma * 255.0
    x = (x - 128.0) * contrast + 128.0 + brightness
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * saturation
    x = x * np.array([1 + warmth, 1.0, 1 - warmth], np.float32)
    return Processed(np.clip(x + 0.5, 0, 255).astype(np.uint8), _eye())


def _rounded(mask_shape: tuple[int, int], radius: int) -> npt.NDArray[np.uint8]:
    h, w = mask_shape
    m = np.zeros((h, w), np.uint8)
    cv2.rectangle(m, (radius, 0), (w - 1 - radius, h - 1), 255, -1)
    cv2.rectangle(m, (0, radius), (w - 1, h - 1 - radius), 255, -1)
    for cx, cy in (
        (radius, radius),
        (w - 1 - radius, radius),
        (radius, h - 1 - radius),
        (w - 1 - radius, h - 1 - radius),
    ):
        cv2.circle(m, (cx, cy), radius, 255, -1)
    return m


def screenshot(
    rgb: RGB, *, seed: int = 0, size: tuple[int, int] = (1170, 2532), dark: bool = False
) -> Processed:
    """A phone screenshot of a chat or gallery app showing the photo: status bar, header, rounded corners,
    toolbar. `size` is (width, height) of the screen."""
    rng = np.random.default_rng(seed)
    W, Hs = size
    bg, fg = (18, 18, 18) if dark else (245, 245, 245), (230, 230, 230) if dark else (30, 30, 30)
    out = np.full((Hs, W, 3), bg, np.uint8)
    bar = int(Hs * 0.045)
    cv2.putText(
        out,
        f"{int(rng.integers(8, 23))}:{int(rng.integers(0, 60)):02d}",
        (int(W * 0.07), int(bar * 0.75)),
        cv2.FONT_HERSHEY_SIMPLEX,
        bar / 45,
        fg,
        2,
        cv2.LINE_AA,
    )
    cv2.rectangle(out, (int(W * 0.85), int(bar * 0.3)), (int(W * 0.93), int(bar * 0.75)), fg, 2)
    cv2.rectangle(out, (int(W * 0.85) + 3, int(bar * 0.3) + 3), (int(W * 0.90), int(bar * 0.75) - 3), fg, -1)
    header = (bar, bar + int(Hs * 0.06))
    cv2.rectangle(out, (0, header[0]), (W, header[1]), (250, 250, 250) if not dark else (30, 30, 30), -1)
    cv2.putText(
        out,
        "< Photo",
        (int(W * 0.04), header[1] - int(Hs * 0.02)),
        cv2.FONT_HERSHEY_SIMPLEX,
        bar / 40,
        (0, 122, 255),
        2,
        cv2.LINE_AA,
    )
    margin = int(W * 0.04)
    pw = W - 2 * margin
    ph = round(rgb.shape[0] * pw / rgb.shape[1])
    free = Hs - header[1] - int(Hs * 0.1)
    if ph > free:
        ph = free
        pw = round(rgb.shape[1] * ph / rgb.shape[0])
    px, py = (W - pw) // 2, header[1] + (free - ph) // 2 + int(Hs * 0.01)
    photo = resize(rgb, pw / rgb.shape[1])
    photo_img = photo.image[:ph, :pw]
    alpha = (_rounded(photo_img.shape[:2], max(4, int(W * 0.03))) > 0)[..., None]
    region = out[py : py + photo_img.shape[0], px : px + photo_img.shape[1]]
    out[py : py + photo_img.shape[0], px : px + photo_img.shape[1]] = np.where(alpha, photo_img, region)
    tool_y = Hs - int(Hs * 0.07)
    for i in range(4):
        cx = int(W * (0.15 + 0.23 * i))
        cv2.circle(out, (cx, tool_y), int(W * 0.025), (0, 122, 255), 3, cv2.LINE_AA)
    T = np.array([[1, 0, px], [0, 1, py], [0, 0, 1]], np.float64) @ photo.transform
    return Processed(out, T)


def recapture(
    rgb: RGB,
    *,
    seed: int = 0,
    pitch: float = 3.0,
    zoom: float = 0.41,
    tilt: float = 0.05,
    glare: float = 0.3,
    noise: float = 3.0,
    blur: float = 0.8,
    quality: int = 90,
) -> Processed:
    """Photograph the photo off a screen: RGB sub-pixel grid (`pitch` screen pixels per photo pixel),
    dark bezel, camera perspective (`tilt`), sampling at `zoom` output pixels per screen pixel (the
    beat between grid and sensor gives moiré), glare, lens blur, sensor noise and JPEG."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    k = round(pitch)
    screen = np.repeat(np.repeat(rgb.astype(np.float32), k, axis=0), k, axis=1)
    sub = np.full((k, k, 3), 0.5, np.float32)
    for c in range(3):
        sub[:, (c * k) // 3 : ((c + 1) * k) // 3 or 1, c] = 1.0
    sub[-1, :, :] *= 0.6  # the dark gap between pixel rows
    screen *= np.tile(sub, (h, w, 1)) * (1.0 / float(sub.mean()))
    bezel = int(max(h, w) * k * 0.06)
    body = np.full((h * k + 2 * bezel, w * k + 2 * bezel, 3), 12.0, np.float32)
    body[bezel:-bezel, bezel:-bezel] = screen
    # Desk around the device: a smooth grey-brown gradient.
    pad = bezel
    H0, W0 = body.shape[0] + 2 * pad, body.shape[1] + 2 * pad
    desk = np.linspace(90, 140, W0, dtype=np.float32)[None, :, None] * np.array([1.0, 0.9, 0.8], np.float32)
    scene = np.broadcast_to(desk, (H0, W0, 3)).copy()
    scene[pad:-pad, pad:-pad] = body
    Ho, Wo = int(H0 * zoom), int(W0 * zoom)
    src = np.array([[0, 0], [W0, 0], [W0, H0], [0, H0]], np.float32)
    dst = np.array([[0, 0], [Wo, 0], [Wo, Ho], [0, Ho]], np.float32)
    dst += (rng.uniform(-tilt, tilt, (4, 2)) * np.array([Wo, Ho])).astype(np.float32)
    Hc = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    shot = cv2.warpPerspective(
        np.clip(scene, 0, 255), Hc, (Wo, Ho), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    yy, xx = np.mgrid[0:Ho, 0:Wo].astype(np.float32)
    gx, gy = rng.uniform(0.2, 0.8) * Wo, rng.uniform(0.2, 0.6) * Ho
    spot = np.exp(-(((xx - gx) / (0.25 * Wo)) ** 2 + ((yy - gy) / (0.2 * Ho)) ** 2))
    shot = shot * (0.9 + 0.1 * spot[..., None]) + 255.0 * glare * 0.5 * spot[..., None]
    if blur > 0:
        shot = cv2.GaussianBlur(shot, (0, 0), blur)
    shot = shot + rng.normal(0.0, noise, shot.shape).astype(np.float32) * np.sqrt(
        np.clip(shot, 1, 255) / 128.0
    )
    out = jpeg(np.clip(shot + 0.5, 0, 255).astype(np.uint8), quality).image
    # Photo pixel centre (x + 0.5) * k lands on screen pixel coordinates, shifted by bezel and desk padding.
    S = np.array(
        [[k, 0, 0.5 * k - 0.5 + bezel + pad], [0, k, 0.5 * k - 0.5 + bezel + pad], [0, 0, 1]], np.float64
    )
    return Processed(out, Hc @ S)


def reshoot(
    surface: RGB,
    *,
    seed: int = 0,
    size: tuple[int, int] | None = None,
    tilt: float = 0.08,
    lighting: float = 0.25,
    noise: float = 3.0,
    blur: float = 1.0,
    quality: int = 90,
    oversample: int = 2,
) -> Processed:
    """A new camera capture of a flat printed object (a box face, poster) whose print is `surface`:
    a random viewpoint (`tilt`), optics blur, area sampling by the sensor, a lighting gradient, sensor
    noise and JPEG. Two calls with different seeds give an honest re-shot pair, not a copy."""
    rng = np.random.default_rng(seed)
    h, w = surface.shape[:2]
    W, H = size or (w, h)
    k = oversample
    margin = 0.08
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array(
        [
            [margin * W, margin * H],
            [(1 - margin) * W, margin * H],
            [(1 - margin) * W, (1 - margin) * H],
            [margin * W, (1 - margin) * H],
        ],
        np.float32,
    )
    dst += (rng.uniform(-tilt, tilt, (4, 2)) * np.array([W, H])).astype(np.float32)
    Hc = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    up = np.diag([k, k, 1.0]) @ Hc
    table = np.array([170, 160, 150], np.float32)  # what lies around the object
    big = cv2.warpPerspective(
        np.ascontiguousarray(surface).astype(np.float32),
        up,
        (W * k, H * k),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=table.tolist(),
    )
    big = cv2.GaussianBlur(big, (0, 0), blur * k)
    img = cv2.resize(big, (W, H), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(ang) * (xx / W - 0.5) + np.sin(ang) * (yy / H - 0.5)) * 2 * lighting
    img = img * (1.0 + ramp)[..., None] * rng.uniform(0.9, 1.1)
    img = img + rng.normal(0.0, noise, img.shape).astype(np.float32) * np.sqrt(np.clip(img, 1, 255) / 128.0)
    out = jpeg(np.clip(img + 0.5, 0, 255).astype(np.uint8), quality).image
    S = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], np.float64)  # pixel centres to edges and back
    return Processed(out, np.linalg.inv(S) @ Hc @ S)
