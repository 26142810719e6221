"""The upload probe: the refusals of a full load, plus truncation found by structure, without decoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from shouhou.config import ImageLimits
from shouhou.errors import DecompressionBomb, ExtensionMismatch, TruncatedImage, UnreadableImage
from shouhou.evidence.image import encode_image
from shouhou.evidence.probe import probe_image
from tests.conftest import sample


def _jpeg_with_thumbnail() -> bytes:
    """A JPEG whose EXIF carries a thumbnail (its own SOI/SOS/EOI markers inside APP1)."""
    im = Image.fromarray(sample("coffee"))
    thumb = io.BytesIO()
    im.resize((160, 120)).save(thumb, "JPEG")
    exif = im.getexif()
    exif[0x010F] = "TestCam"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes())
    data = out.getvalue()
    # Splice the thumbnail JPEG into an APP1-like comment segment after SOI to mimic a camera file.
    seg = b"\xff\xfe" + (len(thumb.getvalue()) + 2).to_bytes(2, "big") + thumb.getvalue()
    return data[:2] + seg + data[2:]


def test_whole_files_pass_and_report_size() -> None:
    rgb = sample("coffee")
    for fmt, name in (("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")):
        p = probe_image(encode_image(rgb, fmt), name=name)
        assert (p.format, p.width, p.height) == (fmt, rgb.shape[1], rgb.shape[0])


def test_data_after_the_end_marker_is_allowed() -> None:
    data = encode_image(sample("coffee"), "JPEG") + b"\x00\x00\x00\x18ftypmp42 motion photo video..."
    assert probe_image(data, name="MVIMG_1.jpg").format == "JPEG"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_cut_files_are_truncated(fmt: str) -> None:
    data = encode_image(sample("coffee"), fmt)
    with pytest.raises((TruncatedImage, UnreadableImage)):
        probe_image(data[: len(data) * 2 // 3], name=f"a.{fmt.lower().replace('jpeg', 'jpg')}")


def test_a_thumbnail_end_marker_does_not_hide_a_cut_main_image() -> None:
    data = _jpeg_with_thumbnail()
    assert probe_image(data, name="a.jpg").format == "JPEG"
    with pytest.raises(TruncatedImage):
        probe_image(data[: len(data) - 2000], name="a.jpg")


def test_the_same_refusals_as_a_full_load() -> None:
    rgb = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(DecompressionBomb):
        probe_image(encode_image(rgb, "PNG"), name="a.png", limits=ImageLimits(max_pixels=1000))
    with pytest.raises(ExtensionMismatch):
        probe_image(encode_image(rgb, "PNG"), name="a.jpg")
    with pytest.raises(UnreadableImage):
        probe_image(b"", name="a.jpg")
