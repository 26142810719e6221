"""Label writers: the published container forms, pixels untouched, existing metadata kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from shouhou.errors import UnsupportedFormat
from shouhou.evidence.generators import decode_exif_text
from shouhou.evidence.image import encode_image, load_image
from shouhou.evidence.synth import labels
from shouhou.evidence.xmp import NS_IPTC_EXT, NS_TC260, parse_xmp
from tests.conftest import sample

FORMATS = [("JPEG", "x.jpg"), ("PNG", "x.png"), ("WEBP", "x.webp")]


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    return sample("coffee")[:200, :300]


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize(("fmt", "name"), FORMATS)
@pytest.mark.parametrize(
    "write",
    [
        lambda b: labels.add_gb45438_xmp(b, "1", "element"),
        lambda b: labels.add_gb45438_xmp(b, "3", "attribute"),
        lambda b: labels.add_gb45438_exif_usercomment(b, "2", charset="UNICODE"),
        lambda b: labels.add_iptc_digital_source_type(b, "trainedAlgorithmicMedia", "resource"),
        lambda b: labels.set_software(b, "Midjourney"),
    ],
    ids=["gb-xmp-element", "gb-xmp-attribute", "gb-exif", "iptc", "software"],
)
def test_writers_keep_pixels_and_stay_decodable(rgb: np.ndarray, fmt: str, name: str, write) -> None:  # type: ignore[no-untyped-def]
    plain = encode_image(rgb, fmt)
    labelled = write(plain)
    assert labelled != plain
    np.testing.assert_array_equal(_pixels(labelled), _pixels(plain))
    load_image(labelled, name=name)  # passes the safe loader


@pytest.mark.parametrize(("fmt", "name"), FORMATS)
def test_xmp_is_replaced_not_duplicated(rgb: np.ndarray, fmt: str, name: str) -> None:
    once = labels.add_gb45438_xmp(encode_image(rgb, fmt), "1")
    twice = labels.add_iptc_digital_source_type(once, "digitalCapture")
    packets = load_image(twice, name=name).xmp
    assert len(packets) == 1
    doc = parse_xmp(packets[0])
    assert doc.values(NS_TC260, "AIGC") == ()
    assert doc.values(NS_IPTC_EXT, "DigitalSourceType")[0].endswith("/digitalCapture")


@pytest.mark.parametrize(("fmt", "name"), FORMATS)
def test_exif_writers_keep_other_tags(rgb: np.ndarray, fmt: str, name: str) -> None:
    data = labels.set_software(encode_image(rgb, fmt), "HUAWEI P60 Pro")
    data = labels.add_gb45438_exif_usercomment(data, "1", charset="ASCII")
    exif = load_image(data, name=name).exif
    assert exif["Software"] == "HUAWEI P60 Pro"
    assert exif["UserComment"].startswith(b"ASCII\x00\x00\x00")
    assert '"Label":"1"' in decode_exif_text(exif["UserComment"])


@pytest.mark.parametrize("charset", ["ASCII", "UNICODE", "plain"])
def test_usercomment_charset_prefixes_decode(rgb: np.ndarray, charset: str) -> None:
    data = labels.add_gb45438_exif_usercomment(encode_image(rgb, "JPEG"), "1", charset=charset)  # type: ignore[arg-type]
    text = decode_exif_text(load_image(data, name="x.jpg").exif["UserComment"])
    assert text.startswith('{"AIGC":{"Label":"1"')


def test_webp_gets_an_extended_header_with_metadata_flags(rgb: np.ndarray) -> None:
    data = labels.set_software(labels.add_gb45438_xmp(encode_image(rgb, "WEBP"), "1"), "x")
    assert data[12:16] == b"VP8X"
    assert data[20] & 0x0C == 0x0C  # EXIF and XMP flags
    assert int.from_bytes(data[4:8], "little") == len(data) - 8


def test_png_text_writers_use_the_published_keys(rgb: np.ndarray) -> None:
    png = encode_image(rgb, "PNG")
    assert "AIGC" in load_image(labels.add_gb45438_png_text(png, itxt=True), name="x.png").text
    assert "Steps:" in load_image(labels.add_sd_parameters(png), name="x.png").text["parameters"]
    assert {"prompt", "workflow"} <= set(load_image(labels.add_comfyui_workflow(png), name="x.png").text)
    assert load_image(labels.add_novelai(png), name="x.png").text["Software"] == "NovelAI"


def test_png_only_writers_refuse_other_formats(rgb: np.ndarray) -> None:
    with pytest.raises(UnsupportedFormat):
        labels.add_sd_parameters(encode_image(rgb, "JPEG"))
    with pytest.raises(UnsupportedFormat):
        labels.add_xmp(b"GIF89a" + b"\x00" * 64, b"<x/>")


def test_c2pa_manifest_is_signed_offline(rgb: np.ndarray) -> None:
    signer = labels.make_test_signer()
    plain = encode_image(rgb, "JPEG")
    signed = labels.add_c2pa_manifest(plain, signer, digital_source_type="trainedAlgorithmicMedia")
    assert b"c2pa" in signed
    assert b"c2pa" not in plain
    np.testing.assert_array_equal(_pixels(signed), _pixels(plain))


def test_png_xmp_chunk_is_replaced_in_the_file(rgb: np.ndarray) -> None:
    data = labels.add_gb45438_xmp(labels.add_gb45438_xmp(encode_image(rgb, "PNG"), "1"), "2")
    assert data.count(b"XML:com.adobe.xmp") == 1
