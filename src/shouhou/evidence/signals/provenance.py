"""AI-provenance labels in a photo's metadata: GB 45438-2025 implicit labels, C2PA manifests, IPTC digital
source types, and generator or AI-editor traces (SD/ComfyUI/NovelAI text chunks, software names)."""

from __future__ import annotations

import re
from typing import ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field

from shouhou.evidence import xmp as xm
from shouhou.evidence.c2pa_manifest import ManifestReading, read_manifest
from shouhou.evidence.generators import (
    Catalogue,
    aigc_object,
    decode_exif_text,
    is_sd_parameters,
    load_catalogue,
    parse_json,
    source_code,
)
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import SEVERITY_LEVEL, Need, Severity, SignalOutput, Tier
from shouhou.evidence.signal import Signal, SignalParams

GB_LABELS: Final[dict[str, str]] = {
    "1": "AI-generated (GB 45438 Label=1)",
    "2": "possibly AI-generated (GB 45438 Label=2)",
    "3": "suspected AI-generated (GB 45438 Label=3)",
}
_TOOL_EXIF: Final = ("Software", "ProcessingSoftware", "HostComputer", "Make", "Model")
_TEXT_EXIF: Final = ("ImageDescription", "UserComment", "XPComment", "XPSubject", "XPTitle")
_TOOL_XMP: Final = (
    (xm.NS_XMP, "CreatorTool"),
    (xm.NS_TIFF, "Software"),
    (xm.NS_TIFF, "Make"),
    (xm.NS_TIFF, "Model"),
    (xm.NS_ST_EVT, "softwareAgent"),
)
_TEXT_XMP: Final = (
    (xm.NS_DC, "description"),
    (xm.NS_DC, "title"),
    (xm.NS_PHOTOSHOP, "Credit"),
    (xm.NS_EXIF, "UserComment"),
)
_TOOL_TEXT_KEYS: Final = ("software", "source", "generator", "creator tool")
_FREE_TEXT_KEYS: Final = ("description", "comment", "title", "disclaimer")


class ProvenanceParams(SignalParams):
    """Severities and limits. PROVISIONAL: set by hand from the standards' wording, not fitted."""

    # Product decision: any GB 45438 AI label (1 generated, 2 possibly, 3 suspected) on refund evidence
    # is high risk.
    label_severity: Severity = "high"
    # A TC260 AIGC field whose JSON cannot be read or whose Label is unknown: the writer meant to label
    # the file, but what it said is not known.
    malformed_label_severity: Severity = "medium"
    ai_source_types: tuple[str, ...] = (
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    )
    ai_source_severity: Severity = "high"
    # Not a camera capture of the real world, but not stated to be AI either.
    synthetic_source_types: tuple[str, ...] = ("virtualRecording",)
    synthetic_source_severity: Severity = "medium"
    generator_metadata_severity: Severity = "high"  # SD/ComfyUI/NovelAI parameter chunks
    generator_text_keys: tuple[str, ...] = (
        "invokeai_metadata",
        "invokeai_graph",
        "sd-metadata",
        "Dream",
        "generation_data",
        "fooocus_scheme",
    )
    generator_software_severity: Severity = "high"  # a generator named in a software field
    # A generative editor named in a software field: the photo passed through an AI editing tool, which is
    # exactly how damage is added to a merchant photo, so it weighs like an AI label.
    ai_editor_severity: Severity = "high"
    text_mention_severity: Severity = "medium"  # a generator or "AI-generated" in free text
    c2pa_invalid_severity: Severity = "medium"
    # Failures that say nothing about tampering: trust is reported as information, OCSP is never fetched.
    c2pa_benign_failures: tuple[str, ...] = (
        "signingCredential.untrusted",
        "signingCredential.ocsp.skipped",
        "signingCredential.ocsp.inaccessible",
        "timeStamp.untrusted",
    )
    score_high: float = Field(default=0.95, ge=0, le=1)
    score_medium: float = Field(default=0.6, ge=0, le=1)
    score_low: float = Field(default=0.3, ge=0, le=1)
    max_raw_chars: int = Field(default=240, gt=16)
    max_xmp_bytes: int = Field(default=xm.DEFAULT_MAX_BYTES, gt=0)
    max_json_chars: int = Field(default=2_000_000, gt=0)


class ProvenanceMarker(BaseModel):
    """One label or trace found in the metadata, with where it sits and its raw value (clipped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    location: str
    raw: str
    meaning: str
    finding: bool
    severity: Severity = "info"


class C2paInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    present: bool = False
    validation_state: str | None = None
    validation_codes: tuple[str, ...] = ()  # failure codes
    signer: str | None = None
    issuer: str | None = None
    trusted: bool = False
    claim_generator: str | None = None
    error: str | None = None


class ProvenanceReport(SignalOutput):
    markers: tuple[ProvenanceMarker, ...] = ()
    c2pa: C2paInfo = Field(default_factory=C2paInfo)


class ProvenanceSignal(Signal[ProvenanceParams, ProvenanceReport]):
    """Finds AI-provenance labels and generator traces in metadata and C2PA manifests (no pixels read).

    It cannot tell anything about a photo whose labels were stripped — screenshots, re-saves and chat apps
    remove them — so absence is never evidence of authenticity. A label is a claim made by whoever wrote
    the file; without a trusted C2PA signature it is not proof either way. Severities are provisional
    (uncalibrated, hand-set in ProvenanceParams); a later benchmark will fit them.
    """

    name: ClassVar[str] = "provenance"
    version: ClassVar[str] = "1"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.RAW, Need.METADATA})
    tier: ClassVar[Tier] = Tier.FAST
    params_model: ClassVar[type[SignalParams]] = ProvenanceParams
    output_model: ClassVar[type[SignalOutput]] = ProvenanceReport

    def run(self, item: Evidence, params: ProvenanceParams) -> ProvenanceReport:
        scan = _Scan(item, params, load_catalogue())
        scan.xmp_packets()
        scan.text_chunks()
        scan.exif()
        reading = read_manifest(
            item.image.raw, item.image.format, trust_anchors=self.settings.c2pa_trust_anchors
        )
        c2pa = scan.c2pa(reading)
        markers = tuple(dict.fromkeys(scan.markers))  # drop exact repeats, keep order
        findings = [m for m in markers if m.finding]
        item.facts["provenance.ai_label"] = bool(findings)
        if not findings:
            summary = "No AI-provenance label was found"
            if c2pa.present and not c2pa.trusted:
                summary += (
                    f"; a valid C2PA manifest is present (signer {c2pa.signer or '?'}, issuer "
                    f"{c2pa.issuer or '?'}) but its signer is not in the configured trust list"
                )
            elif c2pa.trusted:
                summary += f"; a trusted C2PA manifest is present (signer {c2pa.signer or '?'})"
            return ProvenanceReport(flagged=False, severity="info", score=0.0, summary=summary + ".",
                                    markers=markers, c2pa=c2pa)
        top = max(findings, key=lambda m: SEVERITY_LEVEL[m.severity])
        score = {"high": params.score_high, "medium": params.score_medium, "low": params.score_low}.get(
            top.severity, 0.0
        )
        ordered = sorted(findings, key=lambda m: -SEVERITY_LEVEL[m.severity])
        parts = [f"{m.meaning} [{m.location}]" for m in ordered[:3]]
        more = f" (+{len(findings) - 3} more)" if len(findings) > 3 else ""
        return ProvenanceReport(flagged=True, severity=top.severity, score=score, markers=markers, c2pa=c2pa,
                                summary="Provenance finding: " + "; ".join(parts) + more)


class _Scan:
    """Collects markers from one item's metadata."""

    def __init__(self, item: Evidence, params: ProvenanceParams, catalogue: Catalogue) -> None:
        self.image, self.p, self.cat = item.image, params, catalogue
        self.markers: list[ProvenanceMarker] = []
        self.provenance_refs: list[str] = []  # XMP dcterms:provenance, C2PA's pointer to its manifest

    def add(self, kind: str, location: str, raw: str, meaning: str, severity: Severity | None) -> None:
        clip = raw if len(raw) <= self.p.max_raw_chars else raw[: self.p.max_raw_chars] + "…"
        self.markers.append(ProvenanceMarker(kind=kind, location=location, raw=clip, meaning=meaning,
                                             finding=severity is not None, severity=severity or "info"))

    def generator_metadata(self, location: str, raw: str, meaning: str) -> None:
        self.add("generator_metadata", location, raw, meaning, self.p.generator_metadata_severity)

    def gb_label(self, location: str, raw: str, *, required: bool) -> bool:
        """Report a GB 45438 AIGC value; `required` when the key itself is the standard's (TC260/AIGC)."""
        try:
            parsed = parse_json(raw.strip(), self.p.max_json_chars)
            required = required or (isinstance(parsed, dict) and "AIGC" in parsed)
            obj = aigc_object(parsed)
        except ValueError:
            obj = None
            if not required:
                return False
        if obj is None:
            if required:
                self.add("gb45438_malformed", location, raw, "GB 45438 AIGC label field present but its JSON "
                         "cannot be read (a damaged or hand-made label)", self.p.malformed_label_severity)
            return required
        if not required and "Label" not in obj:
            return False
        label = str(obj.get("Label", "")).strip()
        who = ", ".join(f"{k} {obj[k]}" for k in ("ContentProducer", "ContentPropagator") if obj.get(k))
        if label in GB_LABELS:
            meaning = GB_LABELS[label] + (f"; {who}" if who else "")
            self.add("gb45438_label", location, raw, meaning, self.p.label_severity)
        else:
            self.add("gb45438_malformed", location, raw, f"GB 45438 AIGC label with unknown Label value "
                     f"{label!r}", self.p.malformed_label_severity)
        return True

    def source_type(self, kind: str, location: str, uri: str) -> None:
        code = source_code(uri)
        if code in self.p.ai_source_types:
            self.add(kind, location, uri, f"digital source type {code}: AI-generated or synthetic media",
                     self.p.ai_source_severity)
        elif code in self.p.synthetic_source_types:
            self.add(kind, location, uri, f"digital source type {code}: not a capture of the real world",
                     self.p.synthetic_source_severity)
        else:
            self.add(kind, location, uri, f"digital source type {code} (not AI)", None)

    def software(self, location: str, value: str, *, free_text: bool) -> None:
        named = self.cat.match(value)
        if named is not None and free_text:
            self.add("generator_mentioned", location, value, f"free text names {named.name}",
                     self.p.text_mention_severity)
        elif named is not None and named.kind == "generator":
            self.add("generator_software", location, value, f"made with AI generator {named.name}",
                     self.p.generator_software_severity)
        elif named is not None:
            self.add("ai_editor_software", location, value, f"edited with generative AI tool {named.name}",
                     self.p.ai_editor_severity)
        if free_text and (phrase := self.cat.statement(value)):
            self.add("ai_statement", location, value, f"free text says {phrase!r}",
                     self.p.text_mention_severity)

    def xmp_packets(self) -> None:
        for i, packet in enumerate(self.image.xmp):
            doc = xm.parse_xmp(packet, max_bytes=self.p.max_xmp_bytes)
            if doc.error is not None:
                self.add("xmp_unparseable", f"xmp[{i}]", doc.error, "XMP packet could not be fully read",
                         None)
                if not doc.properties:
                    self._raw_xmp_fallback(i, packet)
            for value in doc.values(xm.NS_TC260, "AIGC"):
                self.gb_label("xmp:TC260:AIGC", value, required=True)
            for value in doc.values(xm.NS_IPTC_EXT, "DigitalSourceType"):
                self.source_type("iptc_digital_source_type", "xmp:Iptc4xmpExt:DigitalSourceType", value)
            for ns, name in _TOOL_XMP + _TEXT_XMP:
                for value in doc.values(ns, name):
                    self.software(f"xmp:{xm.PREFIXES[ns]}:{name}", value, free_text=(ns, name) in _TEXT_XMP)
            self.provenance_refs.extend(doc.values(xm.NS_DCTERMS, "provenance"))

    def _raw_xmp_fallback(self, i: int, packet: bytes) -> None:
        # An unreadable packet that still names the TC260 namespace or an AI source code was meant to label.
        head, severity = packet[: self.p.max_xmp_bytes], self.p.malformed_label_severity
        if xm.NS_TC260.encode() in head:
            self.add("gb45438_malformed", f"xmp[{i}]", xm.NS_TC260,
                     "unreadable XMP packet carries a GB 45438 AIGC namespace", severity)
        for code in self.p.ai_source_types:
            if re.search(rb"digitalsourcetype/" + code.encode() + rb"(?![A-Za-z])", head):
                self.add("iptc_digital_source_type", f"xmp[{i}]", code,
                         f"unreadable XMP packet names digital source type {code}", severity)

    def text_chunks(self) -> None:
        prefix = "png:text:" if self.image.format == "PNG" else f"{self.image.format.lower()}:info:"
        generator_keys = {k.lower() for k in self.p.generator_text_keys}
        for key, value in self.image.text.items():
            loc, lkey = prefix + key, key.lower()
            if lkey == "aigc":
                self.gb_label(loc, value, required=True)
            elif lkey == "parameters" and is_sd_parameters(value):
                self.generator_metadata(loc, value, "Stable Diffusion WebUI generation parameters")
            elif lkey in ("prompt", "workflow"):
                self._comfyui(loc, lkey, value)
            elif lkey in generator_keys:
                self.generator_metadata(loc, value, f"text chunk {key!r} written by an AI image generator")
            elif lkey == "comment" and self._novelai(loc, value):
                continue
            elif (lkey in _TOOL_TEXT_KEYS or lkey in _FREE_TEXT_KEYS) and not self.gb_label(
                    loc, value, required=False):
                self.software(loc, value, free_text=lkey in _FREE_TEXT_KEYS)

    def _comfyui(self, loc: str, key: str, value: str) -> None:
        try:
            obj = parse_json(value, self.p.max_json_chars)
        except ValueError:
            obj = None
        nodes = obj.values() if isinstance(obj, dict) and key == "prompt" else ()
        if any(isinstance(n, dict) and "class_type" in n for n in nodes) or (
                isinstance(obj, dict) and isinstance(obj.get("nodes"), list)):
            self.generator_metadata(loc, value, f"ComfyUI {key} graph")
        elif obj is None and is_sd_parameters(value):
            self.generator_metadata(loc, value, "Stable Diffusion generation parameters")

    def _novelai(self, loc: str, value: str) -> bool:
        try:
            obj = parse_json(value, self.p.max_json_chars)
        except ValueError:
            return False
        if isinstance(obj, dict) and "steps" in obj and ("sampler" in obj or "scale" in obj):
            self.generator_metadata(loc, value, "NovelAI-style generation parameters (steps, sampler)")
            return True
        return False

    def exif(self) -> None:
        exif = self.image.exif
        for tag in _TOOL_EXIF:
            if isinstance(value := exif.get(tag), (str, bytes)) and (text := decode_exif_text(value)):
                self.software(f"exif:{tag}", text, free_text=False)
        for tag in _TEXT_EXIF:
            if (value := exif.get(tag)) is None or not (text := decode_exif_text(value)):
                continue
            if self.gb_label(f"exif:{tag}", text, required=False):
                continue
            if is_sd_parameters(text):
                self.generator_metadata(f"exif:{tag}", text, "Stable Diffusion WebUI generation parameters")
            else:
                self.software(f"exif:{tag}", text, free_text=True)

    def c2pa(self, reading: ManifestReading | None) -> C2paInfo:
        for ref in self.provenance_refs:
            if not ref.startswith("self#"):
                self.add("c2pa_remote_reference", "xmp:dcterms:provenance", ref,
                         "names a C2PA manifest stored elsewhere (not fetched: screening is offline)", None)
            elif reading is None:
                self.add("c2pa_stripped", "xmp:dcterms:provenance", ref, "XMP says a C2PA manifest was "
                         "embedded, but the file carries none (removed after signing)", None)
        if reading is None:
            return C2paInfo()
        info = C2paInfo(present=True, validation_state=reading.validation_state,
                        validation_codes=reading.failure_codes, signer=reading.signer, issuer=reading.issuer,
                        trusted=reading.trusted, claim_generator=reading.claim_generator, error=reading.error)
        if reading.error is not None:
            self.add("c2pa_unreadable", "c2pa", reading.error,
                     "C2PA data is present but cannot be read (damaged or tampered)",
                     self.p.c2pa_invalid_severity)
            return info
        bad = [c for c in reading.failure_codes if c not in self.p.c2pa_benign_failures]
        if reading.validation_state == "Invalid" or bad:
            codes = ", ".join(bad or reading.failure_codes) or "no code given"
            self.add("c2pa_invalid", "c2pa:validation", f"{reading.validation_state}: {codes}",
                     f"C2PA manifest is invalid or tampered ({codes})", self.p.c2pa_invalid_severity)
        for claim in reading.source_types:
            self.source_type("c2pa_digital_source_type", claim.location, claim.source_type)
        for sw in reading.software:
            self.software(sw.location, sw.name, free_text=False)
        return info
