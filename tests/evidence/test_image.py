"""Safe loading: every hostile or broken input gets a precise error, good ones are normalised."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from shouhou.config import ImageLimits
from shouhou.errors import (
    DecompressionBomb,
    ExtensionMismatch,
    FileTooLarge,
    InputError,
    MetadataTooLarge,
    TruncatedImage,
    UnreadableImage,
    UnsupportedFormat,
)
from shouhou.evidence.image import encode_image, load_image, sniff_format
from tests.conftest import sample


def _gradient(w: int = 64, h: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256], axis=-1).astype(np.uint8)


@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp"), ("HEIF", "a.heic")]
)
def test_each_supported_format_loads_as_rgb(fmt: str, name: str) -> None:
    rgb = sample("coffee")
    img = load_image(encode_image(rgb, fmt, quality=90), name=name)
    assert img.format == fmt
    assert (img.width, img.height) == (rgb.shape[1], rgb.shape[0])
    assert img.pixels.shape == rgb.shape and img.pixels.dtype == np.uint8
    assert max(img.preview.shape[:2]) <= 512
    # lossy formats stay close to the original
    assert np.abs(img.pixels.astype(int) - rgb.astype(int)).mean() < 12


def test_exif_orientation_is_applied_to_size_and_pixels() -> None:
    rgb = _gradient(80, 40)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    img = load_image(buf.getvalue(), name="rot.jpg")
    assert img.orientation == 6
    assert (img.width, img.height) == (40, 80)
    assert img.pixels.shape == (80, 40, 3)
    expected = np.rot90(rgb, k=-1)
    assert np.abs(img.pixels.astype(int) - expected.astype(int)).mean() < 6


def test_heic_from_a_phone_with_orientation() -> None:
    import pillow_heif

    rgb = _gradient(96, 64)
    heif = pillow_heif.from_bytes(mode="RGB", size=(96, 64), data=rgb.tobytes())
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    exif[ExifTags.Base.Make] = "Apple"
    buf = io.BytesIO()
    heif.save(buf, quality=90, exif=exif.tobytes())
    img = load_image(buf.getvalue(), name="IMG_0001.HEIC")
    assert img.format == "HEIF"
    assert img.exif.get("Make") == "Apple"
    assert img.pixels.shape[:2] in ((96, 64), (64, 96))  # libheif may apply the rotation itself
    assert (img.height, img.width) == img.pixels.shape[:2]


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "P", "CMYK", "I;16"])
def test_colour_modes_are_normalised_to_rgb(mode: str) -> None:
    base = Image.fromarray(_gradient())
    if mode == "I;16":
        im = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
        fmt = "PNG"
    else:
        im = base.convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
    buf = io.BytesIO()
    im.save(buf, fmt)
    img = load_image(buf.getvalue(), name=f"m.{'jpg' if fmt == 'JPEG' else 'png'}")
    assert img.pixels.shape == (48, 64, 3)
    assert img.pixels.dtype == np.uint8


def test_transparency_is_composited_on_white() -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    img = load_image(encode_image(rgba[..., :3], "PNG"), name="x.png")
    assert img.pixels.max() == 0
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    assert load_image(buf.getvalue(), name="t.png").pixels.min() == 255


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(DecompressionBomb, match="pixel limit"):
        load_image(_png_header_only(60_000, 60_000), name="bomb.png")


def test_pixel_limit_is_configurable() -> None:
    raw = encode_image(sample("coffee"), "JPEG")
    with pytest.raises(DecompressionBomb):
        load_image(raw, name="c.jpg", limits=ImageLimits(max_pixels=10_000))


def test_file_over_the_byte_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(encode_image(sample("coffee"), "JPEG"))
    with pytest.raises(FileTooLarge, match="byte limit"):
        load_image(path, limits=ImageLimits(max_bytes=1000))


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_truncated_jpeg_is_a_clear_error(fraction: float) -> None:
    raw = encode_image(sample("astronaut"), "JPEG", quality=90)
    with pytest.raises(TruncatedImage, match="truncated"):
        load_image(raw[: int(len(raw) * fraction)], name="cut.jpg")


def test_truncated_png_is_a_clear_error() -> None:
    raw = encode_image(sample("astronaut"), "PNG")
    with pytest.raises(UnreadableImage):
        load_image(raw[: len(raw) // 2], name="cut.png")


def test_wrong_extension_is_refused() -> None:
    raw = encode_image(sample("coffee"), "PNG")
    with pytest.raises(ExtensionMismatch, match=r"named \.jpg but the content is PNG"):
        load_image(raw, name="photo.jpg")


def test_random_bytes_named_jpg_are_unreadable() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(UnreadableImage, match="no JPEG signature"):
        load_image(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), name="x.jpg")


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b"GIF89a" + b"\x00" * 40, "GIF"),
        (b"%PDF-1.7\n" + b"\x00" * 40, "PDF"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40, "video"),
    ],
)
def test_other_formats_are_unsupported(raw: bytes, what: str) -> None:
    with pytest.raises(UnsupportedFormat, match=what):
        load_image(raw, name="upload")


def test_empty_file() -> None:
    with pytest.raises(UnreadableImage, match="empty"):
        load_image(b"", name="e.jpg")


def test_huge_xmp_is_refused() -> None:
    raw = encode_image(sample("coffee"), "JPEG")
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + b"<x:xmpmeta>" + b" " * 60_000 + b"</x:xmpmeta>"
    seg = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    with pytest.raises(MetadataTooLarge):
        load_image(raw[:2] + seg + raw[2:], name="m.jpg", limits=ImageLimits(max_metadata_bytes=50_000))


def test_png_text_bomb_is_refused() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * (40 * 1024 * 1024), zip=True)  # compresses to ~40 KB, inflates to 40 MB
    buf = io.BytesIO()
    Image.fromarray(_gradient()).save(buf, "PNG", pnginfo=info)
    with pytest.raises(MetadataTooLarge):
        load_image(buf.getvalue(), name="bomb.png")


def test_every_input_error_has_a_one_line_message() -> None:
    for raw, name in [
        (b"", "a.jpg"),
        (b"GIF89a" + b"\0" * 30, "a.gif"),
        (_png_header_only(60_000, 60_000), "b.png"),
    ]:
        with pytest.raises(InputError) as info:
            load_image(raw, name=name)
        assert "\n" not in str(info.value) and name in str(info.value)


def test_sniff_format() -> None:
    assert sniff_format(b"\xff\xd8\xff\xe0") == "JPEG"
    assert sniff_format(b"RIFF\0\0\0\0WEBPVP8 ") == "WEBP"
    assert sniff_format(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic") == "HEIF"
    assert sniff_format(b"\0\0\0\x18ftypmp42\0\0\0\0isom") is None


def test_real_corrupt_file_from_shared_data(shared_data: Path) -> None:
    with pytest.raises(UnreadableImage):
        load_image(shared_data / "real/variants/ukbench/ukbench09268_corrupt.jpg")
