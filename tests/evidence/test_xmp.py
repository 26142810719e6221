"""XMP parsing: every property form, prefix independence, hostile packets, and the loader carrying packets."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from shouhou.evidence.image import encode_image, load_image
from shouhou.evidence.synth.labels import add_xmp, xmp_packet
from shouhou.evidence.xmp import NS_DC, NS_IPTC_EXT, NS_ST_EVT, NS_TC260, NS_XMP, parse_xmp

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _wrap(body: str, decls: str = "") -> bytes:
    return (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}">'
        f'<rdf:Description rdf:about=""{decls}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode()


def test_element_attribute_and_resource_forms() -> None:
    packet = _wrap(
        '<TC260:AIGC>{"Label":"1"}</TC260:AIGC>'
        '<Iptc4xmpExt:DigitalSourceType rdf:resource="http://cv.iptc.org/x/digitalCapture"/>',
        f' xmlns:TC260="{NS_TC260}" xmlns:Iptc4xmpExt="{NS_IPTC_EXT}" xmlns:xmp="{NS_XMP}"'
        ' xmp:CreatorTool="Cam"',
    )
    doc = parse_xmp(packet)
    assert doc.error is None
    assert doc.values(NS_TC260, "AIGC") == ('{"Label":"1"}',)
    assert doc.values(NS_IPTC_EXT, "DigitalSourceType") == ("http://cv.iptc.org/x/digitalCapture",)
    assert doc.values(NS_XMP, "CreatorTool") == ("Cam",)


def test_namespace_matched_by_uri_not_prefix() -> None:
    doc = parse_xmp(_wrap('<ai:AIGC>{"Label":"2"}</ai:AIGC>', f' xmlns:ai="{NS_TC260}"'))
    assert doc.values(NS_TC260, "AIGC") == ('{"Label":"2"}',)
    wrong_ns = parse_xmp(_wrap("<TC260:AIGC>x</TC260:AIGC>", ' xmlns:TC260="http://example.com/other/"'))
    assert wrong_ns.values(NS_TC260, "AIGC") == ()


def test_arrays_and_structs_are_flattened() -> None:
    body = (
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">hello</rdf:li></rdf:Alt></dc:description>'
        '<xmpMM:History><rdf:Seq><rdf:li rdf:parseType="Resource"><stEvt:softwareAgent>Editor 1'
        '</stEvt:softwareAgent></rdf:li><rdf:li stEvt:softwareAgent="Editor 2"/></rdf:Seq></xmpMM:History>'
    )
    decls = f' xmlns:dc="{NS_DC}" xmlns:stEvt="{NS_ST_EVT}" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"'
    doc = parse_xmp(_wrap(body, decls))
    assert doc.values(NS_DC, "description") == ("hello",)
    assert doc.values(NS_ST_EVT, "softwareAgent") == ("Editor 1", "Editor 2")


def test_xpacket_wrapper_and_padding_are_accepted() -> None:
    packet = xmp_packet({"xmp": NS_XMP}, {"xmp:CreatorTool": "Cam"}) + b" " * 2048 + b"\x00\x00"
    assert parse_xmp(packet).values(NS_XMP, "CreatorTool") == ("Cam",)


@pytest.mark.parametrize(
    "packet",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&lol2;</x:xmpmeta>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF",  # truncated
        b"\xff\xfe not xml at all",
        b"",
    ],
    ids=["billion-laughs", "external-entity", "truncated", "garbage", "empty"],
)
def test_hostile_or_malformed_packets_are_reported_not_raised(packet: bytes) -> None:
    doc = parse_xmp(packet)
    assert doc.error is not None
    assert doc.properties == ()


def test_oversized_packet_is_refused_without_parsing() -> None:
    packet = _wrap("<dc:title>" + "a" * 5000 + "</dc:title>", f' xmlns:dc="{NS_DC}"')
    doc = parse_xmp(packet, max_bytes=1000)
    assert doc.error is not None
    assert "limit" in doc.error


def test_deep_nesting_and_property_flood_are_bounded() -> None:
    deep = _wrap("<dc:t>" * 50_000 + "x" + "</dc:t>" * 50_000, f' xmlns:dc="{NS_DC}"')
    assert parse_xmp(deep).values(NS_DC, "t") == ("x",)
    flood = _wrap("".join(f"<dc:p{i}>v</dc:p{i}>" for i in range(500)), f' xmlns:dc="{NS_DC}"')
    doc = parse_xmp(flood, max_properties=100)
    assert doc.truncated
    assert len(doc.properties) == 100
    assert doc.error


PACKET = xmp_packet({"TC260": NS_TC260}, {"TC260:AIGC": '{"Label":"1"}'})


def _pil_bytes(fmt: str, **kw: object) -> bytes:
    rgb = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_loader_carries_packets_written_by_our_writers(fmt: str, name: str) -> None:
    rgb = (np.random.default_rng(1).random((48, 64, 3)) * 255).astype(np.uint8)
    loaded = load_image(add_xmp(encode_image(rgb, fmt), PACKET), name=name)
    assert len(loaded.xmp) == 1
    assert parse_xmp(loaded.xmp[0]).values(NS_TC260, "AIGC") == ('{"Label":"1"}',)


@pytest.mark.parametrize(("fmt", "name"), [("HEIF", "a.heic"), ("AVIF", "a.avif")])
def test_loader_carries_heif_and_avif_xmp_items(fmt: str, name: str) -> None:
    from shouhou.evidence.image import _register_openers

    _register_openers()
    try:
        raw = _pil_bytes(fmt, xmp=PACKET)
    except (KeyError, OSError) as exc:  # pragma: no cover - encoder missing from this build
        pytest.skip(f"no {fmt} encoder: {exc}")
    loaded = load_image(raw, name=name)
    assert loaded.format == fmt
    assert [parse_xmp(p).values(NS_TC260, "AIGC") for p in loaded.xmp] == [('{"Label":"1"}',)]
