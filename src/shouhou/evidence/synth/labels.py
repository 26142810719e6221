"""Writers that put each published AI-label form into a photo's bytes, without re-encoding its pixels.

JPEG: APP1 segments (XMP, EXIF). PNG: chunks built with Pillow's PngInfo (iTXt/tEXt/eXIf). WebP: RIFF
"XMP "/"EXIF" chunks under a VP8X header. Used by tests, the demo and the provenance benchmark.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, PngImagePlugin

from shouhou.errors import UnsupportedFormat
from shouhou.evidence.image import sniff_format
from shouhou.evidence.xmp import NS_IPTC_EXT, NS_TC260, NS_TIFF, NS_XMP

IPTC_DST: Final = "http://cv.iptc.org/newscodes/digitalsourcetype/"
_XMP_SIG: Final = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_SIG: Final = b"Exif\x00\x00"
_PNG_SIG: Final = b"\x89PNG\r\n\x1a\n"
_EXIF_IFD: Final = 0x8769
_TAG_SOFTWARE: Final = 0x0131
_TAG_USER_COMMENT: Final = 0x9286
_CHARSET_PREFIX: Final[dict[str, bytes]] = {
    "ASCII": b"ASCII\x00\x00\x00", "UNICODE": b"UNICODE\x00", "plain": b"",
}

SD_PARAMETERS: Final = (
    "a photo of a cracked ceramic mug on a wooden table, product photo, realistic\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567890, Size: 768x512, "
    "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1"
)


def _format(data: bytes) -> str:
    fmt = sniff_format(data[:64])
    if fmt not in ("JPEG", "PNG", "WEBP"):
        raise UnsupportedFormat(f"label writers handle JPEG, PNG and WebP, not {fmt or 'this file'}")
    return fmt


# --- containers -----------------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> tuple[list[bytes], bytes]:
    """Split a JPEG into its header segments (each with marker) and the rest from SOS on."""
    segs, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segs.append(data[i : i + 2 + length])
        i += 2 + length
    return segs, data[i:]


def _jpeg_put_app1(data: bytes, payload: bytes, signature: bytes) -> bytes:
    """Replace the APP1 segment with this signature (or insert it after SOI/APP0)."""
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("an APP1 segment holds at most 65533 bytes (extended XMP is not written)")
    segs, rest = _jpeg_segments(data)
    segs = [s for s in segs if not (s[1] == 0xE1 and s[4:].startswith(signature))]
    at = 1 if segs and segs[0][1] == 0xE0 else 0
    if signature == _XMP_SIG:  # XMP after any EXIF segment, as cameras write them
        at = max([at] + [k + 1 for k, s in enumerate(segs) if s[1] == 0xE1])
    segs.insert(at, b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
    return data[:2] + b"".join(segs) + rest


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, i = [], len(_PNG_SIG)
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        chunks.append((data[i + 4 : i + 8], data[i + 8 : i + 8 + length]))
        i += 12 + length
    return chunks


def _png_insert(data: bytes, info: PngImagePlugin.PngInfo, *, replace: Iterable[bytes] = ()) -> bytes:
    """Insert the chunks PngInfo assembled before the first IDAT. Old chunks whose type (b"eXIf") or
    text key (b"iTXt:XML:com.adobe.xmp") is listed in `replace` are dropped."""
    new = [(bytes(c[0]), bytes(c[1])) for c in info.chunks]
    dropped = set(replace)
    out, placed = [_PNG_SIG], False
    for cid, body in _png_chunks(data):
        if cid in dropped or cid + b":" + body.split(b"\x00", 1)[0] in dropped:
            continue
        if cid == b"IDAT" and not placed:
            out.extend(_png_chunk(c, b) for c, b in new)
            placed = True
        out.append(_png_chunk(cid, body))
    return b"".join(out)


def _png_chunk(cid: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + cid + body + struct.pack(">I", zlib.crc32(cid + body) & 0xFFFFFFFF)


def _webp_put_chunk(data: bytes, fourcc: bytes, payload: bytes) -> bytes:
    """Add (or replace) a metadata chunk, turning a simple WebP into the extended (VP8X) form."""
    chunks, i = [], 12
    while i + 8 <= len(data):
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        chunks.append((data[i : i + 4], data[i + 8 : i + 8 + size]))
        i += 8 + size + (size & 1)
    if chunks[0][0] != b"VP8X":
        with Image.open(io.BytesIO(data)) as im:
            w, h, alpha = im.width, im.height, "A" in im.getbands()
        header = bytes([0x10 if alpha else 0]) + b"\x00\x00\x00"
        chunks.insert(0, (b"VP8X", header + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")))
    flag = {b"EXIF": 0x08, b"XMP ": 0x04}[fourcc]
    vp8x = chunks[0][1]
    chunks[0] = (b"VP8X", bytes([vp8x[0] | flag]) + vp8x[1:])
    chunks = [c for c in chunks if c[0] != fourcc]
    order = [b"EXIF", b"XMP "]  # the container spec puts EXIF then XMP last
    tail = sorted([c for c in chunks if c[0] in order] + [(fourcc, payload)], key=lambda c: order.index(c[0]))
    body = b"".join(
        cid + len(p).to_bytes(4, "little") + p + (b"\x00" if len(p) & 1 else b"")
        for cid, p in [c for c in chunks if c[0] not in order] + tail
    )
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WEBP" + body


# --- generic metadata writers ---------------------------------------------------------------------------


def add_xmp(data: bytes, packet: bytes) -> bytes:
    """Embed one XMP packet the way each format publishes it (replaces an existing main packet)."""
    fmt = _format(data)
    if fmt == "JPEG":
        return _jpeg_put_app1(data, _XMP_SIG + packet, _XMP_SIG)
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"), zip=False)
        return _png_insert(data, info, replace=[b"iTXt:XML:com.adobe.xmp"])
    return _webp_put_chunk(data, b"XMP ", packet)


def _exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        exif.get_ifd(_EXIF_IFD)  # load the sub-IFD so tobytes() writes it back
        return exif


def write_exif(data: bytes, exif: Image.Exif) -> bytes:
    """Replace the file's EXIF block with `exif` (APP1 for JPEG, eXIf for PNG, EXIF chunk for WebP)."""
    fmt, blob = _format(data), exif.tobytes()
    if fmt == "JPEG":
        return _jpeg_put_app1(data, blob, _EXIF_SIG)
    tiff = blob[len(_EXIF_SIG) :] if blob.startswith(_EXIF_SIG) else blob
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add(b"eXIf", tiff)
        return _png_insert(data, info, replace=[b"eXIf"])
    return _webp_put_chunk(data, b"EXIF", tiff)


def xmp_packet(
    namespaces: Mapping[str, str], attributes: Mapping[str, str] | None = None, elements: str = ""
) -> bytes:
    """A complete XMP packet: one rdf:Description with the given prefixed attributes and element XML."""
    decls = "".join(f" xmlns:{p}={quoteattr(uri)}" for p, uri in namespaces.items())
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in (attributes or {}).items())
    body = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about=""{decls}{attrs}>{elements}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    )
    return body.encode("utf-8")


# --- GB 45438-2025 implicit labels ----------------------------------------------------------------------


def gb45438_json(
    label: str = "1",
    *,
    producer: str = "001191110108MA01KP2T5U00000",
    produce_id: str = "",
    propagator: str = "",
    propagate_id: str = "",
    wrap: bool = False,
) -> str:
    """The AIGC metadata object of GB 45438-2025 (producer/propagator codes are made-up examples)."""
    obj: dict[str, Any] = {
        "Label": label,
        "ContentProducer": producer,
        "ProduceID": produce_id or "20250901-0001",
        "ReservedCode1": "",
        "ContentPropagator": propagator,
        "PropagateID": propagate_id,
        "ReservedCode2": "",
    }
    return json.dumps({"AIGC": obj} if wrap else obj, ensure_ascii=False, separators=(",", ":"))


def add_gb45438_xmp(
    data: bytes,
    label: str = "1",
    form: Literal["element", "attribute"] = "element",
    *,
    prefix: str = "TC260",
    wrap: bool = False,
    raw_value: str | None = None,
) -> bytes:
    """XMP property TC260:AIGC holding the label JSON, as an element or as an attribute of rdf:Description."""
    value = raw_value if raw_value is not None else gb45438_json(label, wrap=wrap)
    ns = {prefix: NS_TC260}
    if form == "attribute":
        return add_xmp(data, xmp_packet(ns, {f"{prefix}:AIGC": value}))
    return add_xmp(data, xmp_packet(ns, elements=f"<{prefix}:AIGC>{escape(value)}</{prefix}:AIGC>"))


def add_gb45438_png_text(
    png: bytes, label: str = "1", *, itxt: bool = False, wrap: bool = False, raw_value: str | None = None
) -> bytes:
    """A PNG text chunk keyed "AIGC" (tEXt, or iTXt for non-Latin-1 content) holding the label JSON."""
    if _format(png) != "PNG":
        raise UnsupportedFormat("PNG text chunks need a PNG")
    value = raw_value if raw_value is not None else gb45438_json(label, wrap=wrap)
    info = PngImagePlugin.PngInfo()
    if itxt:
        info.add_itxt("AIGC", value)
    else:
        info.add_text("AIGC", value)
    return _png_insert(png, info)


def add_gb45438_exif_usercomment(
    data: bytes,
    label: str = "1",
    *,
    charset: Literal["ASCII", "UNICODE", "plain"] = "ASCII",
    wrap: bool = True,
) -> bytes:
    """EXIF UserComment carrying the label JSON behind the 8-byte EXIF charset prefix (or none, "plain")."""
    value = gb45438_json(label, wrap=wrap)
    exif = _exif_of(data)
    # EXIF UNICODE is UCS-2 in the block's byte order; Pillow writes big-endian ("MM") blocks.
    body = value.encode("utf-16-be") if charset == "UNICODE" else value.encode("utf-8")
    exif.get_ifd(_EXIF_IFD)[_TAG_USER_COMMENT] = _CHARSET_PREFIX[charset] + body
    return write_exif(data, exif)


# --- IPTC digital source type, generators, software -----------------------------------------------------


def add_iptc_digital_source_type(
    data: bytes,
    code: str = "trainedAlgorithmicMedia",
    form: Literal["element", "attribute", "resource"] = "element",
) -> bytes:
    """Iptc4xmpExt:DigitalSourceType set to the IPTC NewsCodes URI of `code`."""
    uri = code if "/" in code else IPTC_DST + code
    ns = {"Iptc4xmpExt": NS_IPTC_EXT}
    if form == "attribute":
        return add_xmp(data, xmp_packet(ns, {"Iptc4xmpExt:DigitalSourceType": uri}))
    if form == "resource":
        return add_xmp(
            data, xmp_packet(ns, elements=f"<Iptc4xmpExt:DigitalSourceType rdf:resource={quoteattr(uri)}/>")
        )
    return add_xmp(
        data,
        xmp_packet(
            ns, elements=f"<Iptc4xmpExt:DigitalSourceType>{escape(uri)}</Iptc4xmpExt:DigitalSourceType>"
        ),
    )


def add_xmp_software(data: bytes, creator_tool: str, *, history_agent: str | None = None) -> bytes:
    """xmp:CreatorTool and tiff:Software as an editor writes them (optionally an xmpMM history event)."""
    ns = {
        "xmp": NS_XMP,
        "tiff": NS_TIFF,
        "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
        "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    }
    history = (
        ""
        if history_agent is None
        else (
            '<xmpMM:History><rdf:Seq><rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>'
            f"<stEvt:softwareAgent>{escape(history_agent)}</stEvt:softwareAgent></rdf:li></rdf:Seq></xmpMM:History>"
        )
    )
    return add_xmp(
        data, xmp_packet(ns, {"xmp:CreatorTool": creator_tool, "tiff:Software": creator_tool}, history)
    )


def add_png_text(png: bytes, items: Mapping[str, str]) -> bytes:
    """PNG text chunks (tEXt for Latin text, iTXt otherwise) inserted before the image data."""
    if _format(png) != "PNG":
        raise UnsupportedFormat("generator text chunks are written to PNG files")
    info = PngImagePlugin.PngInfo()
    for key, value in items.items():
        if value.isascii():
            info.add_text(key, value)
        else:
            info.add_itxt(key, value)
    return _png_insert(png, info)


def add_sd_parameters(png: bytes, parameters: str = SD_PARAMETERS) -> bytes:
    """The "parameters" tEXt chunk Stable Diffusion WebUI (AUTOMATIC1111/Forge) writes."""
    return add_png_text(png, {"parameters": parameters})


def add_comfyui_workflow(png: bytes) -> bytes:
    """ComfyUI's "prompt" (API graph) and "workflow" (UI graph) JSON text chunks."""
    prompt = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 42,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "model": ["4", 0],
                "positive": ["6", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "broken phone screen", "clip": ["4", 1]}},
    }
    workflow = {
        "last_node_id": 6,
        "last_link_id": 3,
        "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}],
        "links": [[1, 4, 0, 3, 0, "MODEL"]],
        "version": 0.4,
    }
    return add_png_text(png, {"prompt": json.dumps(prompt), "workflow": json.dumps(workflow)})


def add_novelai(png: bytes) -> bytes:
    """NovelAI's chunks: Software "NovelAI", Source, Description (the prompt) and Comment (JSON settings)."""
    comment = {
        "prompt": "a dented cardboard box",
        "steps": 28,
        "sampler": "k_euler_ancestral",
        "scale": 5.0,
        "seed": 3141592653,
        "n_samples": 1,
        "uc": "lowres",
    }
    return add_png_text(
        png,
        {
            "Title": "AI generated image",
            "Description": "a dented cardboard box",
            "Software": "NovelAI",
            "Source": "Stable Diffusion XL C1E1DE52",
            "Comment": json.dumps(comment),
        },
    )


def set_software(data: bytes, name: str) -> bytes:
    """EXIF Software (0x0131) set to `name`, other EXIF tags kept."""
    exif = _exif_of(data)
    # EXIF says ASCII, but Chinese apps write UTF-8 bytes there; do the same for non-ASCII names.
    exif[_TAG_SOFTWARE] = name if name.isascii() else name.encode("utf-8")
    return write_exif(data, exif)


# --- C2PA (signed with a throwaway test CA; never a real identity) --------------------------------------


@dataclass(frozen=True)
class SynthSigner:
    chain_pem: bytes  # leaf then root
    key_pem: bytes
    root_pem: bytes  # put this in Settings.c2pa_trust_anchors to make the signer trusted


def make_test_signer(common_name: str = "shouhou test signer") -> SynthSigner:
    """A fresh ES256 root CA and document-signing leaf, valid for 30 days, made in memory."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shouhou tests")])

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                             crl_sign=not sign, encipher_only=False, decipher_only=False)

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = name("shouhou test root")

    def builder(subject: x509.Name, public: Any, *, ca: bool) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(root_name).public_key(public)
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(usage(sign=not ca), critical=True))

    root = builder(root_name, ca_key.public_key(), ca=True).sign(ca_key, hashes.SHA256())
    # C2PA's certificate profile wants a non-CA leaf with an allowed EKU and an authority key id.
    leaf = (builder(name(common_name), key.public_key(), ca=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return SynthSigner(
        chain_pem=leaf.public_bytes(pem) + root.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        root_pem=root.public_bytes(pem),
    )


def add_c2pa_manifest(data: bytes, signer: SynthSigner, *, digital_source_type: str | None = None,
                      action: str = "c2pa.created", parent: bytes | None = None) -> bytes:
    """Sign a C2PA manifest into the file (offline, no timestamp authority). With `parent`, the parent's
    own manifest becomes an ingredient: its digitalSourceType is then the ingredient's."""
    import c2pa

    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
    act: dict[str, Any] = {"action": "c2pa.opened" if parent is not None else action}
    if digital_source_type is None and act["action"] == "c2pa.created":
        digital_source_type = "digitalCapture"  # C2PA 2.x requires one on c2pa.created
    if digital_source_type is not None:
        act["digitalSourceType"] = digital_source_type if "/" in digital_source_type else (
            IPTC_DST + digital_source_type)
    if parent is not None:
        act["parameters"] = {"ingredientIds": ["parent"]}
    manifest = {"claim_generator_info": [{"name": "shouhou-synth", "version": "1"}],
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [act]}}]}
    ctx = c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                                  "builder": {"thumbnail": {"enabled": False}}})
    sign_with = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", signer.chain_pem, signer.key_pem, None))
    out = io.BytesIO()
    with c2pa.Builder(manifest, ctx) as builder:
        if parent is not None:
            builder.add_ingredient({"title": "parent", "relationship": "parentOf", "label": "parent"},
                                   mime[_format(parent)], io.BytesIO(parent))
        builder.sign(sign_with, mime[_format(data)], io.BytesIO(data), out)
    return out.getvalue()
