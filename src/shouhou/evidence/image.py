"""Safe image loading: format sniffing, hostile-file limits, EXIF orientation and colour normalisation."""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from shouhou.config import ImageLimits
from shouhou.errors import (
    DecompressionBomb,
    ExtensionMismatch,
    FileTooLarge,
    MetadataTooLarge,
    TruncatedImage,
    UnreadableImage,
    UnsupportedFormat,
)

RGB = npt.NDArray[np.uint8]

_HEIF_BRANDS: Final = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS: Final = {b"avif", b"avis"}
EXTENSIONS: Final[dict[str, str]] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".heic": "HEIF",
    ".heif": "HEIF",
    ".hif": "HEIF",
    ".avif": "AVIF",
}
_OTHER_IMAGE_EXTENSIONS: Final = {".gif", ".bmp", ".tif", ".tiff", ".dng", ".raw", ".cr2", ".nef", ".arw"}
PREVIEW_SIDE: Final = 512

_openers_registered = False
_PIL_LIMIT_LOCK = threading.Lock()


def _register_openers() -> None:
    global _openers_registered
    if _openers_registered:
        return
    import pillow_heif

    pillow_heif.register_heif_opener()
    _openers_registered = True


def sniff_format(head: bytes) -> str | None:
    """Name the container format from the first bytes, or None when it is not one shouhou screens."""
    if head[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


def _describe(head: bytes) -> str:
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "a GIF image"
    if head[:2] == b"BM":
        return "a BMP image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "a TIFF image"
    if head[:4] == b"%PDF":
        return "a PDF document"
    if head[:2] == b"PK":
        return "a ZIP archive"
    if head[4:8] == b"ftyp":
        return f"an ISO media file (brand {head[8:12].decode('latin-1')!r}, e.g. a video)"
    return "not an image"


@dataclass(frozen=True)
class PreparedImage:
    """One decoded, validated image and its metadata; full-resolution pixels are decoded on first use."""

    name: str
    raw: bytes
    format: str
    width: int  # after EXIF orientation
    height: int
    orientation: int
    exif: dict[str, Any]
    xmp: tuple[bytes, ...]
    text: dict[str, str]
    info_keys: tuple[str, ...]
    jpeg_quantization: dict[int, tuple[int, ...]] | None
    preview: RGB = field(repr=False)
    limits: ImageLimits = field(repr=False, default_factory=ImageLimits)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @cached_property
    def pixels(self) -> RGB:
        """Full-resolution RGB pixels, EXIF orientation applied."""
        with Opened(self.raw, self.name, self.limits) as im:
            return _to_rgb_array(_decode(im, self.name))

    @cached_property
    def gray(self) -> npt.NDArray[np.uint8]:
        import cv2

        return np.asarray(cv2.cvtColor(self.pixels, cv2.COLOR_RGB2GRAY), dtype=np.uint8)

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def load_image(
    source: Path | bytes, *, name: str | None = None, limits: ImageLimits | None = None
) -> PreparedImage:
    """Read, sniff and validate an image; raises an `InputError` subclass with a one-line reason."""
    limits = limits or ImageLimits()
    raw, name, fmt = read_checked(source, name, limits)
    with Opened(raw, name, limits) as im:
        exif, xmp, text = checked_metadata(im, raw, fmt, name, limits)
        orientation = int(exif.get("Orientation", 1) or 1)
        tables = getattr(im, "quantization", None) if fmt == "JPEG" else None
        quant = (
            {int(k): tuple(int(x) for x in v) for k, v in tables.items()} if tables else None
        )
        info_keys = tuple(sorted(str(k) for k in im.info))
        if fmt == "JPEG":
            im.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))
        preview_im = _decode(im, name)
    preview_im.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BILINEAR)
    width, height = _oriented_size(raw, name, limits, orientation)
    return PreparedImage(
        name=name,
        raw=raw,
        format=fmt,
        width=width,
        height=height,
        orientation=orientation,
        exif=exif,
        xmp=xmp,
        text=text,
        info_keys=info_keys,
        jpeg_quantization=quant,
        preview=_to_rgb_array(preview_im),
        limits=limits,
    )


def read_checked(source: Path | bytes, name: str | None, limits: ImageLimits) -> tuple[bytes, str, str]:
    """(raw bytes, name, sniffed format) after the size, emptiness, signature and extension checks."""
    if isinstance(source, Path):
        name = name or str(source)
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise UnreadableImage(f"{name}: cannot read file ({exc.strerror})") from exc
        if size > limits.max_bytes:
            raise FileTooLarge(f"{name}: {size} bytes is over the {limits.max_bytes}-byte limit")
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise UnreadableImage(f"{name}: cannot read file ({exc.strerror})") from exc
    else:
        raw = source
        name = name or "<bytes>"
        if len(raw) > limits.max_bytes:
            raise FileTooLarge(f"{name}: {len(raw)} bytes is over the {limits.max_bytes}-byte limit")
    if not raw:
        raise UnreadableImage(f"{name}: the file is empty")
    fmt = sniff_format(raw[:64])
    claimed = EXTENSIONS.get(Path(name).suffix.lower())
    if fmt is None and claimed is not None and _describe(raw[:64]) == "not an image":
        raise UnreadableImage(
            f"{name}: named {Path(name).suffix} but the bytes carry no {claimed} signature "
            "(corrupt, encrypted or not an image)"
        )
    if fmt is None:
        raise UnsupportedFormat(
            f"{name}: {_describe(raw[:64])}; shouhou screens JPEG, PNG, WebP and HEIC/HEIF"
        )
    _check_extension(name, fmt)
    return raw, name, fmt


def checked_metadata(
    im: Image.Image, raw: bytes, fmt: str, name: str, limits: ImageLimits
) -> tuple[dict[str, Any], tuple[bytes, ...], dict[str, str]]:
    """EXIF, XMP packets and text chunks, refusing metadata over the configured volume."""
    exif = _exif_dict(im)
    xmp = _xmp_packets(raw, im, fmt)
    text = _text_chunks(im, name)
    meta_bytes = sum(len(x) for x in xmp) + sum(len(v) for v in text.values())
    meta_bytes += len(im.info.get("exif", b"") or b"") + len(im.info.get("icc_profile", b"") or b"")
    if meta_bytes > limits.max_metadata_bytes:
        raise MetadataTooLarge(
            f"{name}: {meta_bytes} bytes of metadata is over the {limits.max_metadata_bytes}-byte limit"
        )
    return exif, xmp, text


def _check_extension(name: str, fmt: str) -> None:
    suffix = Path(name).suffix.lower()
    expected = EXTENSIONS.get(suffix)
    if expected is None:
        if suffix in _OTHER_IMAGE_EXTENSIONS:
            raise ExtensionMismatch(f"{name}: named {suffix} but the content is {fmt}")
        return
    same_family = {expected, fmt} <= {"HEIF", "AVIF"}
    if expected != fmt and not same_family:
        raise ExtensionMismatch(f"{name}: named {suffix} but the content is {fmt}")


class Opened:
    """Open with Pillow under shouhou's pixel limit, translating Pillow's errors."""

    def __init__(self, raw: bytes, name: str, limits: ImageLimits) -> None:
        self.raw, self.name, self.limits = raw, name, limits
        self.im: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        _register_openers()
        try:
            # Pillow's bomb check reads a module global; shouhou applies its own limit just below, so
            # Pillow's is set to match only for the duration of the open (under a lock, restored after).
            with _PIL_LIMIT_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                saved = Image.MAX_IMAGE_PIXELS
                Image.MAX_IMAGE_PIXELS = self.limits.max_pixels
                try:
                    im = Image.open(io.BytesIO(self.raw))
                finally:
                    Image.MAX_IMAGE_PIXELS = saved
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(
                f"{self.name}: the image declares far more pixels than the "
                f"{self.limits.max_pixels}-pixel limit "
                "(decompression bomb)"
            ) from exc
        except UnidentifiedImageError as exc:
            raise UnreadableImage(f"{self.name}: the image header cannot be decoded") from exc
        except ValueError as exc:  # Pillow raises ValueError for oversized text chunks
            if "too large" in str(exc).lower():
                raise MetadataTooLarge(f"{self.name}: {exc}") from exc
            raise UnreadableImage(f"{self.name}: {exc}") from exc
        except (OSError, SyntaxError, EOFError) as exc:
            raise UnreadableImage(f"{self.name}: {exc}") from exc
        w, h = im.size
        if w <= 0 or h <= 0:
            raise UnreadableImage(f"{self.name}: the image declares a size of {w}x{h}")
        if w * h > self.limits.max_pixels:
            im.close()
            raise DecompressionBomb(
                f"{self.name}: {w}x{h} = {w * h} pixels is over the {self.limits.max_pixels}-pixel limit"
            )
        self.im = im
        return im

    def __exit__(self, *exc: object) -> None:
        if self.im is not None:
            self.im.close()


def _decode(im: Image.Image, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im.load()
            out = ImageOps.exif_transpose(im)
    except OSError as exc:
        msg = str(exc)
        if "truncated" in msg or "broken data stream" in msg or "premature end" in msg.lower():
            raise TruncatedImage(f"{name}: the image data is truncated ({msg})") from exc
        raise UnreadableImage(f"{name}: {msg}") from exc
    except (ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise UnreadableImage(f"{name}: {exc}") from exc
    return out if out is not None else im


def _to_rgb_array(im: Image.Image) -> RGB:
    """Normalise every colour mode to 8-bit RGB; transparency is composited on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        g = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([g, g, g], axis=-1))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    rgb = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _oriented_size(raw: bytes, name: str, limits: ImageLimits, orientation: int) -> tuple[int, int]:
    with Opened(raw, name, limits) as im:
        w, h = im.size
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


_EXIF_NAMES: Final = {int(k): v for k, v in ExifTags.TAGS.items()}


def _exif_dict(im: Image.Image) -> dict[str, Any]:
    """Base IFD, Exif sub-IFD and GPS presence flattened into tag-name → value."""
    try:
        exif = im.getexif()
    except Exception:
        return {}
    out: dict[str, Any] = {}
    for tag, value in exif.items():
        out[_EXIF_NAMES.get(tag, f"Tag{tag}")] = _utf8_text(value)
    for ifd_id in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
        try:
            sub = exif.get_ifd(ifd_id)
        except Exception:
            continue
        if ifd_id == ExifTags.IFD.GPSInfo:
            if sub:
                out["GPSInfo"] = {ExifTags.GPSTAGS.get(k, str(k)): v for k, v in sub.items()}
            continue
        for tag, value in sub.items():
            out[_EXIF_NAMES.get(tag, f"Tag{tag}")] = _utf8_text(value)
    out.pop("ExifOffset", None)
    return out


def _utf8_text(value: Any) -> Any:
    """Pillow decodes EXIF ASCII as Latin-1; Chinese apps write UTF-8 there (e.g. "华为"), so re-decode."""
    if isinstance(value, str) and not value.isascii() and max(value) <= "\xff":
        try:
            return value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return value
    return value


_XMP_SIG: Final = b"http://ns.adobe.com/xap/1.0/\x00"


def _xmp_packets(raw: bytes, im: Image.Image, fmt: str) -> tuple[bytes, ...]:
    """Every XMP packet the container carries (JPEG APP1 segments, PNG iTXt, WebP/HEIF XMP)."""
    packets: list[bytes] = []
    if fmt == "JPEG":
        packets.extend(_jpeg_app1_xmp(raw))
    else:
        for key in ("xmp", "XML:com.adobe.xmp"):
            value = im.info.get(key)
            if isinstance(value, str):
                value = value.encode("utf-8")
            if isinstance(value, bytes) and value and value not in packets:
                packets.append(value)
    return tuple(packets)


def _jpeg_app1_xmp(raw: bytes) -> list[bytes]:
    out: list[bytes] = []
    i, n = 2, len(raw)
    while i + 4 <= n and raw[i] == 0xFF:
        marker = raw[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker == 0xDA:  # start of scan: no more metadata segments
            break
        length = int.from_bytes(raw[i + 2 : i + 4], "big")
        seg = raw[i + 4 : i + 2 + length]
        if marker == 0xE1 and seg.startswith(_XMP_SIG):
            out.append(seg[len(_XMP_SIG) :])
        i += 2 + length
    return out


def _text_chunks(im: Image.Image, name: str) -> dict[str, str]:
    """PNG tEXt/iTXt/zTXt chunks (and other string info) as text."""
    out: dict[str, str] = {}
    try:  # Pillow reads to the end of a PNG to collect chunks after the image data
        text = getattr(im, "text", None) if im.format == "PNG" else None
    except OSError as exc:
        if "truncated" in str(exc):
            raise TruncatedImage(f"{name}: the image data is truncated ({exc})") from exc
        raise UnreadableImage(f"{name}: {exc}") from exc
    except ValueError as exc:
        raise MetadataTooLarge(f"{name}: {exc}") from exc
    items = dict(text) if isinstance(text, dict) else {}
    for key, value in items.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        out[str(key)] = str(value)
    for key in ("comment", "Comment", "Software"):
        value = im.info.get(key)
        if isinstance(value, (bytes, str)) and key not in out:
            out[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return out


def encode_image(rgb: RGB, fmt: str = "JPEG", *, quality: int = 92, **save_args: Any) -> bytes:
    """Encode RGB pixels (for fixtures, demo cases and reports)."""
    buf = io.BytesIO()
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    if fmt.upper() == "JPEG":
        im.save(buf, "JPEG", quality=quality, **save_args)
    elif fmt.upper() == "WEBP":
        im.save(buf, "WEBP", quality=quality, **save_args)
    elif fmt.upper() in ("HEIF", "HEIC"):
        _register_openers()
        im.save(buf, "HEIF", quality=quality, **save_args)
    else:
        im.save(buf, fmt.upper(), **save_args)
    return buf.getvalue()
