"""The provenance signal: each label form is flagged; its unlabelled twin and ordinary software are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shouhou.config import Settings
from shouhou.errors import ConfigError, UnreadableImage
from shouhou.evidence.image import encode_image, load_image
from shouhou.evidence.item import Evidence
from shouhou.evidence.pipeline import Screener
from shouhou.evidence.signals.provenance import ProvenanceParams, ProvenanceReport, ProvenanceSignal
from shouhou.evidence.synth import labels
from shouhou.evidence.verdict import NO_LABEL_NOTE
from shouhou.evidence.xmp import NS_TC260, NS_TIFF, NS_XMP
from tests.conftest import sample
from tests.evidence.signals.contract import SignalContract

NAMES = {"JPEG": "photo.jpg", "PNG": "photo.png", "WEBP": "photo.webp"}
_RGB = sample("chelsea")[:160, :240]


def _photo(fmt: str = "JPEG") -> bytes:
    return encode_image(_RGB, fmt)


def _run(data: bytes, fmt: str = "JPEG", settings: Settings | None = None) -> ProvenanceReport:
    item = Evidence(image=load_image(data, name=NAMES[fmt]))
    return ProvenanceSignal(settings).run(item, ProvenanceParams())


class TestProvenanceContract(SignalContract):
    signal_cls = ProvenanceSignal

    def flagged_example(self) -> Evidence:
        return Evidence(image=load_image(labels.add_gb45438_xmp(_photo(), "1"), name="photo.jpg"))

    def clean_example(self) -> Evidence:
        return Evidence(image=load_image(labels.set_software(_photo(), "iPhone 15 Pro"), name="photo.jpg"))


WRITERS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("gb-xmp-element", lambda b: labels.add_gb45438_xmp(b, "1", "element"), "xmp:TC260:AIGC"),
    ("gb-xmp-attribute", lambda b: labels.add_gb45438_xmp(b, "2", "attribute"), "xmp:TC260:AIGC"),
    ("gb-xmp-wrapped", lambda b: labels.add_gb45438_xmp(b, "3", wrap=True), "xmp:TC260:AIGC"),
    ("gb-xmp-other-prefix", lambda b: labels.add_gb45438_xmp(b, "1", prefix="aigc"), "xmp:TC260:AIGC"),
    (
        "gb-exif-ascii",
        lambda b: labels.add_gb45438_exif_usercomment(b, "1", charset="ASCII"),
        "exif:UserComment",
    ),
    (
        "gb-exif-unicode",
        lambda b: labels.add_gb45438_exif_usercomment(b, "2", charset="UNICODE"),
        "exif:UserComment",
    ),
    (
        "gb-exif-plain",
        lambda b: labels.add_gb45438_exif_usercomment(b, "3", charset="plain", wrap=False),
        "exif:UserComment",
    ),
    (
        "iptc-element",
        lambda b: labels.add_iptc_digital_source_type(b, "trainedAlgorithmicMedia"),
        "xmp:Iptc4xmpExt:DigitalSourceType",
    ),
    (
        "iptc-attribute",
        lambda b: labels.add_iptc_digital_source_type(b, "compositeWithTrainedAlgorithmicMedia", "attribute"),
        "xmp:Iptc4xmpExt:DigitalSourceType",
    ),
    (
        "iptc-resource",
        lambda b: labels.add_iptc_digital_source_type(b, "algorithmicMedia", "resource"),
        "xmp:Iptc4xmpExt:DigitalSourceType",
    ),
    ("software", lambda b: labels.set_software(b, "Midjourney v6.1"), "exif:Software"),
]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize(
    ("writer", "location"), [(w, loc) for _, w, loc in WRITERS], ids=[i for i, _, _ in WRITERS]
)
def test_each_label_form_is_flagged_and_its_twin_is_not(
    writer: Callable[[bytes], bytes], location: str, fmt: str
) -> None:
    plain = _photo(fmt)
    assert not _run(plain, fmt).flagged
    out = _run(writer(plain), fmt)
    assert out.flagged, out.summary
    assert out.severity == "high"
    assert location in [m.location for m in out.markers if m.finding]


@pytest.mark.parametrize(
    ("writer", "location"),
    [
        (lambda b: labels.add_gb45438_png_text(b, "1"), "png:text:AIGC"),
        (lambda b: labels.add_gb45438_png_text(b, "2", itxt=True, wrap=True), "png:text:AIGC"),
        (labels.add_sd_parameters, "png:text:parameters"),
        (labels.add_comfyui_workflow, "png:text:prompt"),
        (labels.add_comfyui_workflow, "png:text:workflow"),
        (labels.add_novelai, "png:text:Comment"),
        (labels.add_novelai, "png:text:Software"),
    ],
    ids=["gb-text", "gb-itxt", "sd", "comfy-prompt", "comfy-workflow", "novelai-comment", "novelai-software"],
)
def test_png_generator_chunks_are_flagged(writer: Callable[[bytes], bytes], location: str) -> None:
    out = _run(writer(_photo("PNG")), "PNG")
    assert out.flagged
    assert out.severity == "high"
    assert location in [m.location for m in out.markers if m.finding]


@pytest.mark.parametrize("label", ["1", "2", "3"])
def test_every_gb_label_value_is_high_with_its_meaning(label: str) -> None:
    out = _run(labels.add_gb45438_xmp(_photo(), label))
    (marker,) = out.markers
    assert (marker.kind, marker.severity, marker.finding) == ("gb45438_label", "high", True)
    assert f"Label={label}" in marker.meaning
    assert '"Label":"' + label in marker.raw
    assert {"1": "AI-generated", "2": "possibly", "3": "suspected"}[label] in out.summary


@pytest.mark.parametrize(
    "raw", ['{"Label":"1",', "not json", '{"Label":"9"}'], ids=["cut", "text", "unknown"]
)
def test_malformed_tc260_value_is_a_medium_marker_with_raw_value(raw: str) -> None:
    out = _run(labels.add_gb45438_xmp(_photo(), raw_value=raw))
    (marker,) = out.markers
    assert marker.kind == "gb45438_malformed"
    assert marker.severity == "medium"
    assert marker.raw == raw
    assert out.flagged
    assert out.severity == "medium"


@pytest.mark.parametrize(
    "software",
    [
        "Adobe Photoshop 25.0 (Windows)",
        "Adobe Lightroom 7.0",
        "Snapseed 2.0",
        "MIUI Camera",
        "HUAWEI P60 Pro",
        "iPhone 15 Pro",
        "17.1.2",
        "Meitu",
        "美图秀秀",
        "GIMP 2.10",
        "Sparkling Photo Studio",
        "可灵活调整相机",
        "豆包子相机",
        "Canon EOS R5",
        "Picasa",
    ],
)
def test_ordinary_software_is_not_flagged(software: str) -> None:
    out = _run(labels.set_software(_photo(), software))
    assert not out.flagged, out.summary
    assert out.markers == ()


@pytest.mark.parametrize(
    ("software", "severity"),
    [
        ("Adobe Photoshop 25.0 (Generative Fill)", "high"),
        ("Adobe Firefly", "high"),
        ("DALL·E 3", "high"),
        ("dall-e", "high"),
        ("通义万相", "high"),
        ("即梦AI 2.1", "high"),
        ("豆包", "high"),
        ("可灵 1.6", "high"),
        ("Dreamina", "high"),
        ("文心一格", "high"),
        ("ComfyUI", "high"),
        ("美图秀秀 AI消除", "high"),
    ],
)
def test_generators_and_ai_editors_are_flagged(software: str, severity: str) -> None:
    out = _run(labels.set_software(_photo(), software))
    assert out.flagged, out.summary
    assert out.severity == severity


def test_ordinary_photoshop_xmp_is_not_flagged_and_generative_history_is() -> None:
    photo = _photo()
    ordinary = labels.add_xmp_software(
        photo, "Adobe Photoshop 25.0 (Macintosh)", history_agent="Adobe Photoshop 25.0 (Macintosh)"
    )
    assert not _run(ordinary).flagged
    generative = labels.add_xmp_software(
        photo, "Adobe Photoshop 25.0 (Macintosh)", history_agent="Adobe Photoshop 25.0 Generative Fill"
    )
    out = _run(generative)
    assert out.flagged
    assert out.markers[0].location == "xmp:stEvt:softwareAgent"


def test_free_text_statement_is_medium_and_negation_is_not() -> None:
    png = _photo("PNG")
    said = _run(labels.add_png_text(png, {"Description": "AI generated product shot"}), "PNG")
    assert said.flagged
    assert said.severity == "medium"
    denied = _run(labels.add_png_text(png, {"Description": "photo of my parcel, not AI-generated"}), "PNG")
    assert not denied.flagged, denied.summary


def test_huge_and_hostile_xmp_never_crash() -> None:
    photo = _photo()
    junk = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * 20000 + b"oops"
    assert _run(labels.add_xmp(photo, junk)).markers[0].kind == "xmp_unparseable"
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<r xmlns:T="' + NS_TC260.encode() + b'">&a;</r></x:xmpmeta>'
    )
    out = _run(labels.add_xmp(photo, bomb))
    assert {m.kind for m in out.markers} == {"xmp_unparseable", "gb45438_malformed"}
    big = labels.xmp_packet({"xmp": NS_XMP, "tiff": NS_TIFF}, {"xmp:CreatorTool": "x" * 60000})
    out = _run(labels.add_xmp(photo, big))
    assert not out.flagged


def test_raw_values_are_clipped() -> None:
    out = _run(labels.set_software(_photo(), "Midjourney " + "x" * 5000))
    assert len(out.markers[0].raw) <= ProvenanceParams().max_raw_chars + 1


def test_absence_gives_the_no_label_summary_and_the_pipeline_note() -> None:
    item = Evidence(image=load_image(_photo(), name="photo.jpg"))
    out = ProvenanceSignal().run(item, ProvenanceParams())
    assert "pixels" not in item.image.__dict__  # a FAST signal never decodes full-resolution pixels
    assert not out.flagged
    assert out.summary.startswith("No AI-provenance label was found")
    screening = Screener(signals=[ProvenanceSignal]).screen(item)
    assert NO_LABEL_NOTE in screening.notes


# --- C2PA -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> labels.SynthSigner:
    return labels.make_test_signer()


def test_c2pa_ai_source_in_active_manifest_and_in_ingredient(signer: labels.SynthSigner) -> None:
    ai = labels.add_c2pa_manifest(_photo(), signer, digital_source_type="trainedAlgorithmicMedia")
    out = _run(ai)
    assert out.flagged
    assert out.severity == "high"
    assert out.c2pa.present
    assert out.c2pa.validation_codes == ("signingCredential.untrusted",)
    assert not out.c2pa.trusted
    edited = labels.add_c2pa_manifest(encode_image(sample("coffee")[:120, :160]), signer, parent=ai)
    out = _run(edited)
    assert out.flagged
    assert [m.location for m in out.markers if m.finding] == ["c2pa:ingredient[0]/actions"]


def test_c2pa_capture_is_information_untrusted_or_trusted(signer: labels.SynthSigner, tmp_path: Path) -> None:
    captured = labels.add_c2pa_manifest(_photo(), signer, digital_source_type="digitalCapture")
    out = _run(captured)
    assert not out.flagged
    assert "not in the configured trust list" in out.summary
    assert out.c2pa.validation_state == "Valid"
    assert out.c2pa.signer == "shouhou test signer"
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(signer.root_pem)
    trusted = _run(captured, settings=Settings(c2pa_trust_anchors=anchors))
    assert not trusted.flagged
    assert trusted.c2pa.trusted
    assert trusted.c2pa.validation_state == "Trusted"


def test_c2pa_tampered_pixels_are_a_medium_finding(signer: labels.SynthSigner) -> None:
    signed = bytearray(labels.add_c2pa_manifest(_photo(), signer, digital_source_type="digitalCapture"))
    signed[-200] ^= 0xFF  # inside the entropy-coded data the manifest's hash covers
    out = _run(bytes(signed))
    assert out.flagged
    assert out.severity == "medium"
    assert "assertion.dataHash.mismatch" in out.summary
    assert "tampered" in out.summary


def test_bad_trust_anchor_file_is_a_config_error(signer: labels.SynthSigner, tmp_path: Path) -> None:
    bad = tmp_path / "anchors.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError):
        _run(
            labels.add_c2pa_manifest(_photo(), signer, digital_source_type="digitalCapture"),
            settings=Settings(c2pa_trust_anchors=bad),
        )


PROVENANCE_FIXTURES = {
    "c2pa-C.jpg": ("high", "algorithmicMedia"),
    "c2pa-adobe-E-sig-CA.jpg": ("medium", "claimSignature.mismatch"),
    "c2pa-adobe-XCA.jpg": ("medium", "assertion.dataHash.mismatch"),
    "c2pa-CA.jpg": (None, "not in the configured trust list"),
    "c2pa-adobe-CAI.jpg": (None, "not in the configured trust list"),
    "c2pa-no_manifest.jpg": (None, "No AI-provenance label"),
}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(PROVENANCE_FIXTURES))
def test_shared_c2pa_fixtures(shared_data: Path, name: str) -> None:
    severity, text = PROVENANCE_FIXTURES[name]
    out = _run((shared_data / "provenance" / name).read_bytes())
    assert out.flagged == (severity is not None), out.summary
    assert text in out.summary
    if severity is not None:
        assert out.severity == severity
    assert out.c2pa.present == (name != "c2pa-no_manifest.jpg")


@pytest.mark.shared
@pytest.mark.slow
def test_no_real_or_ai_photo_without_metadata_is_flagged(shared_data: Path) -> None:
    paths = [
        p
        for folder in ("real", "ai")
        for p in sorted((shared_data / folder).rglob("*"))
        if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp") and p.name != "ukbench09268_corrupt.jpg"
    ]
    assert len(paths) > 100
    flagged = []
    for path in paths:
        try:
            out = ProvenanceSignal().run(Evidence(image=load_image(path)), ProvenanceParams())
        except UnreadableImage:  # pragma: no cover - only the known corrupt file is expected
            pytest.fail(f"{path} did not load")
        if out.flagged:
            flagged.append((path.name, out.summary))
    assert flagged == []


def test_synthetic_random_photo_not_flagged() -> None:
    rgb = (np.random.default_rng(3).random((64, 64, 3)) * 255).astype(np.uint8)
    assert not _run(encode_image(rgb, "JPEG")).flagged


def test_c2pa_precheck_skips_the_reader_for_plain_files(signer: labels.SynthSigner) -> None:
    from shouhou.evidence.c2pa_manifest import has_c2pa_data

    plain = _photo()
    assert not has_c2pa_data(plain + b"jumb c2pa", "JPEG")
    assert has_c2pa_data(labels.add_c2pa_manifest(plain, signer), "JPEG")
    assert has_c2pa_data(labels.add_c2pa_manifest(_photo("PNG"), signer), "PNG")
    assert not has_c2pa_data(_photo("PNG"), "PNG")
