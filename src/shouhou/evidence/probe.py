"""A cheap check of an uploaded image without decoding its pixels: the same size, signature, extension,
pixel-count and metadata limits as a full load, plus a structural check that the data is complete.

Accepting a claim must be fast; the full decode happens when the photo is screened, and a photo that only a
full decode finds broken is recorded as unscreened there (the claim then goes to a human, never fast-track).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from shouhou.config import ImageLimits
from shouhou.errors import TruncatedImage
from shouhou.evidence.image import Opened, checked_metadata, read_checked

_PNG_IEND = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class ImageProbe:
    name: str
    format: str
    width: int  # as stored, before EXIF orientation
    height: int


def probe_image(
    source: Path | bytes, *, name: str | None = None, limits: ImageLimits | None = None
) -> ImageProbe:
    """Validate an upload by its structure; raises the same `InputError` subclasses as `load_image`."""
    limits = limits or ImageLimits()
    raw, name, fmt = read_checked(source, name, limits)
    with Opened(raw, name, limits) as im:
        checked_metadata(im, raw, fmt, name, limits)
        width, height = im.size
    _check_complete(raw, name, fmt)
    return ImageProbe(name=name, format=fmt, width=width, height=height)


def _check_complete(raw: bytes, name: str, fmt: str) -> None:
    if fmt == "JPEG" and not _jpeg_has_end(raw):
        raise TruncatedImage(f"{name}: the JPEG data ends before its end-of-image marker (cut short)")
    if fmt == "PNG" and _PNG_IEND not in raw:
        raise TruncatedImage(f"{name}: the PNG has no IEND chunk (the file is cut short)")
    if fmt == "WEBP" and len(raw) >= 12:
        declared = struct.unpack("<I", raw[4:8])[0] + 8
        if declared > len(raw):
            raise TruncatedImage(f"{name}: the WebP declares {declared} bytes but has {len(raw)}")


def _jpeg_has_end(raw: bytes) -> bool:
    """True when an end-of-image marker follows the first scan.

    Segments are walked by their lengths up to the first start-of-scan, so an EXIF thumbnail's own markers
    inside APP1 are skipped; inside entropy-coded data a 0xFF byte is always stuffed or a restart marker, so
    the first FFD9 after the scan starts is the real end. Data after it (phones append motion-photo videos
    and maker trailers) is allowed.
    """
    pos = 2
    n = len(raw)
    while pos + 4 <= n:
        if raw[pos] != 0xFF:
            return False
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return True
        if marker == 0xDA:
            return raw.find(b"\xff\xd9", pos + 2) != -1
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = struct.unpack(">H", raw[pos + 2 : pos + 4])[0]
        pos += 2 + length
    return False
