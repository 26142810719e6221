"""Pixels for the console, with no database: display copies of photos (orientation applied, at most
`DISPLAY_SIDE` px, metadata stripped), the matched reference aligned to a claim photo, and a transparent
overlay of the same size with the difference heat map and the edited regions outlined."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from shouhou.config import ImageLimits
from shouhou.errors import TruncatedImage, UnreadableImage
from shouhou.evidence.image import Opened, read_checked
from shouhou.evidence.item import Evidence
from shouhou.evidence.pipeline import Screening

DISPLAY_SIDE: Final = 1280
DISPLAY_QUALITY: Final = 85
# One colour per flagged signal, in the order the findings come (distinct for common colour blindness).
_PALETTE: Final = ((230, 25, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (60, 180, 75))
# Below this a heat value is the copy's noise floor: left fully transparent so the photo stays readable.
_HEAT_FLOOR: Final = 0.12

RGB = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Made:
    """One picture made for the console: `kind` is display | reference | overlay."""

    kind: str
    title: str
    data: bytes
    media_type: str
    width: int
    height: int


def display_size(width: int, height: int, side: int = DISPLAY_SIDE) -> tuple[int, int]:
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(rgb: npt.NDArray[np.generic], size: tuple[int, int]) -> RGB:
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0, 1) * 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    arr = np.ascontiguousarray(arr[..., :3])
    if (arr.shape[1], arr.shape[0]) == size:
        return arr
    shrinking = size[0] < arr.shape[1]
    out = cv2.resize(arr, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return np.ascontiguousarray(out, dtype=np.uint8)


def jpeg_bytes(rgb: RGB, quality: int = DISPLAY_QUALITY) -> bytes:
    """JPEG with no EXIF, XMP or ICC segment: a display copy carries pixels only."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buf, "JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def png_bytes(rgba: npt.NDArray[np.uint8]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def display_copy(data: bytes, *, limits: ImageLimits, side: int = DISPLAY_SIDE) -> Made:
    """A display JPEG of any stored photo, decoded at reduced size where the format allows (JPEG draft)."""
    raw, name, fmt = read_checked(data, "photo", limits)
    with Opened(raw, name, limits) as im:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                if fmt == "JPEG":
                    im.draft("RGB", (side, side))
                im.load()
                oriented = ImageOps.exif_transpose(im) or im
                rgb = _flatten(oriented)
        except OSError as exc:
            if "truncated" in str(exc):
                raise TruncatedImage(f"stored photo: the image data is truncated ({exc})") from exc
            raise UnreadableImage(f"stored photo: {exc}") from exc
        except (ValueError, SyntaxError, EOFError) as exc:
            raise UnreadableImage(f"stored photo: {exc}") from exc
    rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=DISPLAY_QUALITY)
    return Made("display", "Display copy", buf.getvalue(), "image/jpeg", rgb.width, rgb.height)


def _flatten(im: Image.Image) -> Image.Image:
    """8-bit RGB; transparency composited on white (as the engine does)."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode.startswith("I;16") or im.mode == "I":
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        g = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(np.stack([g, g, g], axis=-1), "RGB")
    return im.convert("RGB")


def _heat_for(item: Evidence, screening: Screening) -> npt.NDArray[np.float32] | None:
    """The difference from the aligned reference when the reference signal flagged; else the local-edit
    anomaly map when forensics flagged; an unflagged signal's map is noise for the reader."""
    flagged = {f.signal for f in screening.findings if f.status == "ok" and f.flagged}
    for key in ("reference.diff", "forensics.anomaly"):
        heat = item.artifacts.get(key)
        if heat is not None and key.split(".")[0] in flagged:
            hm = np.asarray(heat, dtype=np.float32)
            return hm / 255.0 if hm.max() > 1.0 else hm
    return None


def overlay_rgba(
    size: tuple[int, int],
    full_size: tuple[int, int],
    screening: Screening,
    heat: npt.NDArray[np.float32] | None,
) -> npt.NDArray[np.uint8] | None:
    """RGBA of `size`: the heat map coloured (alpha rising with the heat) and every flagged finding's
    regions outlined in its colour; None when there is nothing to draw."""
    w, h = size
    regions = [(f.signal, r) for f in screening.findings if f.status == "ok" and f.flagged for r in f.regions]
    if heat is None and not regions:
        return None
    if heat is None:
        out = np.zeros((h, w, 4), np.uint8)
    else:
        hm = np.asarray(cv2.resize(np.clip(heat, 0, 1), (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
        alpha = (np.clip((hm - _HEAT_FLOOR) / (1 - _HEAT_FLOOR), 0, 1) * (0.7 * 255)).astype(np.uint8)
        coloured = cv2.applyColorMap((hm * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)
        # Colour under full transparency is invisible but costs PNG bytes (10x): cleared.
        coloured = cv2.bitwise_and(coloured, coloured, mask=(alpha > 0).astype(np.uint8))
        r, g, b = cv2.split(coloured)[::-1]
        out = np.ascontiguousarray(cv2.merge([r, g, b, alpha]), dtype=np.uint8)
    scale = w / max(full_size[0], 1)
    thickness = max(2, round(max(w, h) / 320))
    colours: dict[str, tuple[int, int, int]] = {}
    for signal, (x, y, rw, rh) in regions:
        colour = colours.setdefault(signal, _PALETTE[len(colours) % len(_PALETTE)])
        p1 = (round(x * scale), round(y * scale))
        p2 = (round((x + rw) * scale), round((y + rh) * scale))
        # A dark halo under the coloured line keeps it visible on light and dark photos alike.
        cv2.rectangle(out, p1, p2, (0, 0, 0, 200), thickness + 2, cv2.LINE_AA)
        cv2.rectangle(out, p1, p2, (*colour, 255), thickness, cv2.LINE_AA)
        cv2.putText(
            out,
            signal,
            (p1[0] + 2, max(14, p1[1] - 5)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45 + thickness * 0.08,
            (*colour, 255),
            max(1, thickness // 2),
            cv2.LINE_AA,
        )
    return out


def explain(item: Evidence, screening: Screening) -> list[Made]:
    """The display copy of a screened photo, the aligned reference at the same size, and the overlay."""
    rgb = item.image.pixels
    full = (rgb.shape[1], rgb.shape[0])
    size = display_size(*full)
    out = [
        Made("display", "Claim photo (display copy)", jpeg_bytes(_resize(rgb, size)), "image/jpeg", *size),
    ]
    aligned = item.artifacts.get("reference.aligned")
    if aligned is not None:
        title = f"Reference {screening.matched_reference or ''} aligned to the claim photo".replace("  ", " ")
        out.append(Made("reference", title, jpeg_bytes(_resize(aligned, size), 88), "image/jpeg", *size))
    overlay = overlay_rgba(size, full, screening, _heat_for(item, screening))
    if overlay is not None:
        out.append(
            Made(
                "overlay",
                "Difference heat map, edited regions outlined",
                png_bytes(overlay),
                "image/png",
                *size,
            )
        )
    return out
