"""XMP packet parsing with defusedxml: flattens every property to (namespace URI, name, value).

Namespaces are matched by URI, never by prefix (a writer may bind any prefix). DOCTYPEs and entities
are refused, and size and property count are bounded, so a hostile packet costs little and never crashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

NS_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XMPMETA: Final = "adobe:ns:meta/"
NS_XML: Final = "http://www.w3.org/XML/1998/namespace"
NS_TC260: Final = "http://www.tc260.org.cn/ns/AIGC/1.0/"
NS_IPTC_EXT: Final = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_XMP: Final = "http://ns.adobe.com/xap/1.0/"
NS_TIFF: Final = "http://ns.adobe.com/tiff/1.0/"
NS_EXIF: Final = "http://ns.adobe.com/exif/1.0/"
NS_PHOTOSHOP: Final = "http://ns.adobe.com/photoshop/1.0/"
NS_DC: Final = "http://purl.org/dc/elements/1.1/"
NS_DCTERMS: Final = "http://purl.org/dc/terms/"
NS_XMP_MM: Final = "http://ns.adobe.com/xap/1.0/mm/"
NS_ST_EVT: Final = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"

# Conventional prefixes, used only to name locations in reports ("xmp:TC260:AIGC").
PREFIXES: Final[dict[str, str]] = {
    NS_TC260: "TC260",
    NS_IPTC_EXT: "Iptc4xmpExt",
    NS_XMP: "xmp",
    NS_TIFF: "tiff",
    NS_EXIF: "exif",
    NS_PHOTOSHOP: "photoshop",
    NS_DC: "dc",
    NS_DCTERMS: "dcterms",
    NS_XMP_MM: "xmpMM",
    NS_ST_EVT: "stEvt",
}

DEFAULT_MAX_BYTES: Final = 4 * 1024 * 1024
DEFAULT_MAX_PROPERTIES: Final = 20_000


@dataclass(frozen=True)
class XmpProperty:
    """One simple value: an attribute, a text element, an rdf:resource, or one rdf:li of an array."""

    namespace: str
    name: str
    value: str

    @property
    def qualified(self) -> str:
        return f"{PREFIXES.get(self.namespace, self.namespace)}:{self.name}"


@dataclass(frozen=True)
class XmpPacket:
    """The flattened properties of one packet; `error` says why it could not be (fully) read."""

    properties: tuple[XmpProperty, ...] = ()
    error: str | None = None
    truncated: bool = False

    def values(self, namespace: str, name: str) -> tuple[str, ...]:
        return tuple(p.value for p in self.properties if p.namespace == namespace and p.name == name)

    def in_namespace(self, namespace: str) -> tuple[XmpProperty, ...]:
        return tuple(p for p in self.properties if p.namespace == namespace)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def parse_xmp(
    packet: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_properties: int = DEFAULT_MAX_PROPERTIES,
) -> XmpPacket:
    """Flatten one XMP packet; never raises for bad input (the reason is in `XmpPacket.error`)."""
    data = packet.strip(b"\x00 \t\r\n")
    if not data:
        return XmpPacket(error="empty XMP packet")
    if len(data) > max_bytes:
        return XmpPacket(error=f"XMP packet of {len(data)} bytes is over the {max_bytes}-byte limit")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        return XmpPacket(
            error=f"XMP packet refused ({type(exc).__name__}: DTDs and entities are not allowed)"
        )
    except (ParseError, ValueError, UnicodeError) as exc:
        return XmpPacket(error=f"XMP packet is not well-formed XML ({exc})")
    return _flatten(root, max_properties)


def _flatten(root: Element, max_properties: int) -> XmpPacket:
    out: list[XmpProperty] = []
    # Iterative walk: a deeply nested packet must not exhaust the Python stack.
    stack: list[tuple[Element, tuple[str, str] | None]] = [(root, None)]
    while stack:
        elem, context = stack.pop()
        ns, local = _split(str(elem.tag))
        owner = context
        if ns not in (NS_RDF, NS_XMPMETA):
            owner = (ns, local)  # a property element (or a struct field)
        for key, value in elem.attrib.items():
            a_ns, a_local = _split(key)
            if a_ns == NS_RDF and a_local == "resource" and owner is not None:
                out.append(XmpProperty(owner[0], owner[1], value))
            elif a_ns not in (NS_RDF, NS_XML, NS_XMPMETA, ""):
                out.append(XmpProperty(a_ns, a_local, value))
        text = (elem.text or "").strip()
        if (
            text
            and len(elem) == 0
            and owner is not None
            and (ns not in (NS_RDF, NS_XMPMETA) or local == "li")
        ):
            out.append(XmpProperty(owner[0], owner[1], text))
        if len(out) >= max_properties:
            return XmpPacket(
                properties=tuple(out[:max_properties]),
                truncated=True,
                error=f"more than {max_properties} XMP properties; the rest were not read",
            )
        stack.extend((child, owner) for child in reversed(list(elem)))
    return XmpPacket(properties=tuple(out))
