"""The screening findings in the reader's language: per signal, message templates (English ids, translated in
review.po) and a function that picks them and their values from the signal's stored output. A function
returns None for a signal that did not run ok or an output it does not know (a new kind, a changed sentence
of the engine's); the console then shows the engine's English summary."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from shouhou.evidence.model import SEVERITY_LEVEL
from shouhou.evidence.signals.provenance import GB_LABELS
from shouhou.web.i18n import local_time
from shouhou.web.labels import N_

Lines = list[tuple[str, dict[str, Any]]]

# The reference match's finding, from its structured output. Keys: relation, and for a copy whether it
# differs from the reference in some region.
REFERENCE_LINES = {
    ("derived", True): N_(
        "The photo is a pixel copy of the merchant's photo %(name)s; %(n)d region(s) differ from it "
        "(%(share)s of the overlap)."
    ),
    ("derived", False): N_(
        "The photo is a pixel copy of the merchant's photo %(name)s; no local edit was found."
    ),
    ("recaptured", True): N_(
        "The photo is a photo of a screen showing the merchant's photo %(name)s; %(n)d region(s) differ "
        "from it (%(share)s of the overlap)."
    ),
    ("recaptured", False): N_(
        "The photo is a photo of a screen showing the merchant's photo %(name)s; no local edit was found."
    ),
    ("same_product", False): N_(
        "The photo shows the scene of the merchant's photo %(name)s captured anew (not a copy)."
    ),
    ("unrelated", False): N_("The photo does not match any of the merchant's photos."),
    # A copy relation with a packing photo the merchant uploaded after the claim photo (counter-evidence): the
    # pixels show that one was made from the other, not which (the screening keeps it out of the risk).
    ("late", "packing"): N_(
        "The merchant uploaded the packing photo %(name)s at %(uploaded)s, after this claim photo "
        "(%(sent)s): one of the two was made from the other, and the pixels do not show which came first, so "
        "it does not count towards this photo's risk."
    ),
    ("late", "packing_video_frame"): N_(
        "The merchant uploaded the packing video that frame %(name)s comes from at %(uploaded)s, after this "
        "claim photo (%(sent)s): one of the two was made from the other, and the pixels do not show which "
        "came first, so it does not count towards this photo's risk."
    ),
}
# The reuse finding likewise, sentence by sentence. Keys: where the earlier use was, and whether it was exact.
REUSE_LINES = {
    ("claim", True): N_("This photo is an exact copy of a photo in claim %(claim)s."),
    ("claim", False): N_("This photo is a near copy (PDQ distance %(d)d) of a photo in claim %(claim)s."),
    ("earlier", True): N_("This photo is an exact copy of an earlier claim photo."),
    ("earlier", False): N_("This photo is a near copy (PDQ distance %(d)d) of an earlier claim photo."),
    ("catalog", True): N_("This photo is an exact copy of a catalog photo."),
    ("catalog", False): N_("This photo is a near copy (PDQ distance %(d)d) of a catalog photo."),
    ("internet", True): N_("This photo is an exact copy of a photo found on the internet."),
    ("internet", False): N_(
        "This photo is a near copy (PDQ distance %(d)d) of a photo found on the internet."
    ),
    ("source", True): N_("This photo is an exact copy of a %(source)s photo."),
    ("source", False): N_("This photo is a near copy (PDQ distance %(d)d) of a %(source)s photo."),
    ("none", False): N_("No earlier use of this photo was found among %(n)d indexed photos."),
    ("other", False): N_("A different submitter used it before."),
    ("more", False): N_("%(n)d more earlier use(s) were found."),
    ("flat", False): N_(
        "The photo is too flat for reliable hashes (PDQ quality %(q)d): only byte-identical copies were "
        "looked for."
    ),
}
# Provenance: one sentence per label or trace found (the three strongest, as the engine's summary), or
# what was found without one. `where` is the marker's location in the file, as the raw block shows it.
PROVENANCE_LINES = {
    "label_1": N_(
        "The file carries a GB 45438 implicit label saying it is AI-generated (Label 1), in %(where)s."
    ),
    "label_2": N_(
        "The file carries a GB 45438 implicit label saying it is possibly AI-generated (Label 2), in "
        "%(where)s."
    ),
    "label_3": N_(
        "The file carries a GB 45438 implicit label saying it is suspected AI-generated (Label 3), in "
        "%(where)s."
    ),
    "label_who": N_("The label names %(who)s."),
    "label_unreadable": N_(
        "A GB 45438 implicit-label field in %(where)s cannot be read (a damaged or hand-made label)."
    ),
    "label_unknown": N_("The GB 45438 implicit label in %(where)s has an unknown Label value %(value)s."),
    "source_ai": N_(
        "The file gives its digital source type as %(code)s, in %(where)s: AI-generated or synthetic media."
    ),
    "source_synthetic": N_(
        "The file gives its digital source type as %(code)s, in %(where)s: not a capture of the real world."
    ),
    "source_unreadable": N_(
        "An unreadable XMP packet (%(where)s) names the AI digital source type %(code)s."
    ),
    "generator_settings": N_("The file carries %(tool)s generation settings, in %(where)s."),
    "generator_settings_like": N_("The file carries generation settings in %(tool)s's format, in %(where)s."),
    "generator_chunk": N_("The file carries a text chunk written by an AI image generator, in %(where)s."),
    "generator_software": N_("The file says it was made with the AI image generator %(name)s, in %(where)s."),
    "ai_editor": N_("The file says it was edited with the generative AI tool %(name)s, in %(where)s."),
    "text_names": N_("Free text in the file names %(name)s, in %(where)s."),
    "text_says": N_("Free text in the file says “%(phrase)s”, in %(where)s."),
    "c2pa_unreadable": N_("C2PA data is present but cannot be read (damaged or tampered)."),
    "c2pa_invalid": N_("The C2PA manifest is invalid or was tampered with (%(codes)s)."),
    "more": N_("%(n)d more label(s) or trace(s) were found."),
    "none": N_("No AI-provenance label was found."),
    "c2pa_untrusted": N_(
        "A valid C2PA manifest is present (signer %(signer)s, issuer %(issuer)s), but its signer is not in "
        "the configured trust list."
    ),
    "c2pa_trusted": N_("A trusted C2PA manifest is present (signer %(signer)s)."),
}
# Watermark: the mark read, or why none could be, or each known mark's bits at chance level.
WATERMARK_LINES = {
    "mark": N_(
        "The photo carries Stable Diffusion's invisible watermark (%(mark)s): %(matched)d of %(bits)d bits "
        "match, payload %(payload)s; an unmarked photo matches this well with a chance of %(chance)s."
    ),
    "too_small": N_(
        "The photo is too small to carry Stable Diffusion's invisible watermark (%(blocks)d blocks to "
        "read): it could not be checked."
    ),
    "flat": N_(
        "The photo has no colour detail (grayscale), so Stable Diffusion's invisible watermark cannot be "
        "in it."
    ),
    "none": N_("No known invisible watermark was found; its absence proves nothing."),
    "chance": N_("%(mark)s: %(matched)d of %(bits)d bits match, at chance level."),
}
# Forensics: the regions found, counted by what found them; why the JPEG test said nothing when it did not.
FORENSICS_LINES = {
    "edit": N_("Possible local edit: %(n)d region(s)."),
    "copy": N_("%(n)d area(s) of the photo are copies of another area in it (copy-move)."),
    "dq+noise": N_(
        "%(n)d region(s) where both the JPEG compression history and the noise level break from the rest "
        "of the photo."
    ),
    "dq": N_(
        "%(n)d region(s) where the JPEG compression history alone breaks sharply from the rest of the photo."
    ),
    "weak": N_("No clear local edit: only weak traces, scored below the reporting cut."),
    "none": N_("No clear local edit: no region where two detectors agree and no verified copy."),
    "dq_skipped": N_("The file is not a JPEG, so its compression history could not be tested."),
    "dq_no_trace": N_(
        "No double JPEG compression was found, so the compression history had nothing to compare (a single "
        "save leaves none)."
    ),
    "dq_diffuse": N_(
        "The JPEG compression history breaks across much of the photo, not in one place, so that test was "
        "not used."
    ),
}
# Capture: each check that found something (the screenshot check trait by trait), or none.
CAPTURE_LINES = {
    "plausible": N_(
        "The capture looks plausible: no early capture time, screenshot or screen-recapture trait was found."
    ),
    "early": N_(
        "The photo's EXIF capture time, %(time)s, is before the order was delivered: it shows something "
        "photographed before the buyer received it (or the camera's clock was wrong)."
    ),
    "screenshot": N_(
        "The photo looks like a screenshot; a claim photo should be a camera photo of the item."
    ),
    "tool": N_("The file names a screenshot tool (%(tool)s)."),
    "screen_size": N_("Its size, %(w)d×%(h)d, is a phone screen's resolution."),
    "png": N_("It is a PNG file (phone cameras write JPEG or HEIF)."),
    "status_bar": N_("A flat status-bar band runs along its top (%(share)s uniform)."),
    "recapture": N_(
        "Strong periodic peaks in its fine detail (moiré, strength %(peak)s): the photo may be a picture of "
        "a screen."
    ),
}
# Learned detector: its score against its threshold.
LEARNED_LINES = {
    "above": N_(
        "The learned model %(model)s %(version)s scores %(p)s, at or above its threshold %(t)s: a learned "
        "score, not proof on its own."
    ),
    "below": N_("The learned model %(model)s %(version)s scores %(p)s, below its threshold %(t)s."),
    "platform_threshold": N_("The threshold is the platform's setting, not the model card's."),
}


class _Unknown(Exception):
    """An output this console does not know: its finding keeps the engine's sentence."""


def _ok_output(result: Mapping[str, Any], signal: str) -> dict[str, Any] | None:
    for f in result.get("findings") or ():
        if isinstance(f, dict) and f.get("signal") == signal and f.get("status") == "ok":
            out = f.get("output")
            return out if isinstance(out, dict) else None
    return None


def _told(result: Mapping[str, Any], signal: str, build: Callable[[dict[str, Any]], Lines]) -> Lines | None:
    out = _ok_output(result, signal)
    if out is None:
        return None
    try:
        return build(out)
    except _Unknown:
        return None


def _str(out: Mapping[str, Any], key: str) -> str:
    value = out.get(key)
    if not isinstance(value, str):
        raise _Unknown(key)
    return value


def _opt_str(out: Mapping[str, Any], key: str) -> str | None:
    value = out.get(key)
    if value is not None and not isinstance(value, str):
        raise _Unknown(key)
    return value


def _int(out: Mapping[str, Any], key: str) -> int:
    value = out.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Unknown(key)
    return value


def _float(out: Mapping[str, Any], key: str) -> float:
    value = out.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Unknown(key)
    return float(value)


def _bool(out: Mapping[str, Any], key: str) -> bool:
    value = out.get(key)
    if not isinstance(value, bool):
        raise _Unknown(key)
    return value


def _dicts(out: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = out.get(key)
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise _Unknown(key)
    return value


def _quoted(text: str) -> str:
    """The string inside a Python repr the engine wrote ('…' or "…")."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise _Unknown(text) from exc
    if not isinstance(value, str):
        raise _Unknown(text)
    return value


# ----- reference and reuse


def reference_line(result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The reference finding as a REFERENCE_LINES message and its values; None when there is none (the
    signal did not run, failed, or recorded an output this console does not know)."""
    out = _ok_output(result, "reference")
    if out is None:
        return None
    found = out.get("regions")
    regions: list[Any] = found if isinstance(found, list) else []
    relation = out.get("relation")
    key = (relation, bool(regions) and relation in ("derived", "recaptured"))
    if key not in REFERENCE_LINES:
        return None
    share = float(out.get("edit_fraction") or 0.0)
    return REFERENCE_LINES[key], {
        "name": str(out.get("matched_reference") or ""),
        "n": len(regions),
        "share": f"{share:.1%}",
    }


def late_reference_line(result: dict[str, Any], *, sent_at: datetime) -> tuple[str, dict[str, Any]] | None:
    """The REFERENCE_LINES caution when a packing photo or video frame the merchant uploaded after the claim
    photo was sent is a copy of it, or it of that (the screening's `late_reference`, kept out of the buyer's
    risk); None when there is none or it is of a shape this console does not know."""
    late = result.get("late_reference")
    if not isinstance(late, dict) or late.get("status") != "ok":
        return None
    kind, stamp = late.get("kind"), late.get("uploaded_at")
    if late.get("relation") not in ("derived", "recaptured") or ("late", kind) not in REFERENCE_LINES:
        return None
    try:
        uploaded = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return REFERENCE_LINES[("late", kind)], {
        "name": str(late.get("reference") or ""),
        "uploaded": local_time(uploaded),
        "sent": local_time(sent_at),
    }


def reuse_lines(result: dict[str, Any]) -> Lines | None:
    """The reuse finding as REUSE_LINES messages and their values; None when there is none."""
    out = _ok_output(result, "reuse")
    if out is None:
        return None
    found = out.get("matches")
    hits = [h for h in found if isinstance(h, dict)] if isinstance(found, list) else []
    lines: Lines = []
    if not hits:
        lines.append((REUSE_LINES[("none", False)], {"n": int(out.get("indexed_photos") or 0)}))
    else:
        best = hits[0]
        exact = bool(best.get("exact"))
        source = str(best.get("source") or "claim")
        if source == "claim":
            where = "claim" if best.get("claim_id") else "earlier"
        else:
            where = source if source in ("catalog", "internet") else "source"
        values = {
            "d": int(best.get("distance") or 0),
            "claim": str(best.get("claim_id") or ""),
            "source": source,
        }
        lines.append((REUSE_LINES[(where, exact)], values))
        uses = max(len(hits), int(out.get("uses_found") or 0))  # outputs before reuse v3 lack the count
        if uses > 1:
            lines.append((REUSE_LINES[("more", False)], {"n": uses - 1}))
        if any(h.get("other_submitter") for h in hits):
            lines.append((REUSE_LINES[("other", False)], {}))
    if out.get("hashes_reliable") is False:
        lines.append((REUSE_LINES[("flat", False)], {"q": int(out.get("pdq_quality") or 0)}))
    return lines


# ----- provenance

# The engine's marker meanings, word for word (signals/provenance.py): marker kinds, the meaning (named groups
# are the values), the message. A meaning not here is a trace this console cannot tell.
_MARKERS: Final = tuple(
    (frozenset(kinds.split()), re.compile(meaning), key)
    for kinds, meaning, key in (
        (
            "gb45438_malformed",
            r"GB 45438 AIGC label field present but its JSON cannot be read \(a damaged or hand-made label\)"
            r"|unreadable XMP packet carries a GB 45438 AIGC namespace",
            "label_unreadable",
        ),
        ("gb45438_malformed", r"GB 45438 AIGC label with unknown Label value (?P<value>.+)", "label_unknown"),
        (
            "iptc_digital_source_type c2pa_digital_source_type",
            r"digital source type (?P<code>\w+): AI-generated or synthetic media",
            "source_ai",
        ),
        (
            "iptc_digital_source_type c2pa_digital_source_type",
            r"digital source type (?P<code>\w+): not a capture of the real world",
            "source_synthetic",
        ),
        (
            "iptc_digital_source_type",
            r"unreadable XMP packet names digital source type (?P<code>\w+)",
            "source_unreadable",
        ),
        (
            "generator_metadata",
            r"(?P<tool>Stable Diffusion WebUI|Stable Diffusion) generation parameters",
            "generator_settings",
        ),
        ("generator_metadata", r"(?P<tool>ComfyUI) (?:prompt|workflow) graph", "generator_settings"),
        (
            "generator_metadata",
            r"(?P<tool>NovelAI)-style generation parameters \(steps, sampler\)",
            "generator_settings_like",
        ),
        (
            "generator_metadata",
            r"text chunk (?:'.*'|\".*\") written by an AI image generator",
            "generator_chunk",
        ),
        ("generator_software", r"made with AI generator (?P<name>.+)", "generator_software"),
        ("ai_editor_software", r"edited with generative AI tool (?P<name>.+)", "ai_editor"),
        ("generator_mentioned", r"free text names (?P<name>.+)", "text_names"),
        ("ai_statement", r"free text says (?P<phrase>'.*'|\".*\")", "text_says"),
        (
            "c2pa_unreadable",
            r"C2PA data is present but cannot be read \(damaged or tampered\)",
            "c2pa_unreadable",
        ),
        ("c2pa_invalid", r"C2PA manifest is invalid or tampered \((?P<codes>.*)\)", "c2pa_invalid"),
    )
)


def _marker_lines(marker: Mapping[str, Any]) -> Lines:
    kind, where, meaning = _str(marker, "kind"), _str(marker, "location"), _str(marker, "meaning")
    if kind == "gb45438_label":
        for code, text in GB_LABELS.items():
            if meaning == text or meaning.startswith(text + "; "):
                lines: Lines = [(PROVENANCE_LINES[f"label_{code}"], {"where": where})]
                if who := meaning[len(text) + 2 :]:
                    lines.append((PROVENANCE_LINES["label_who"], {"who": who}))
                return lines
        raise _Unknown(meaning)
    for kinds, pattern, key in _MARKERS:
        if kind in kinds and (m := pattern.fullmatch(meaning)):
            values: dict[str, Any] = {"where": where}
            values.update(m.groupdict())
            if "phrase" in values:
                values["phrase"] = _quoted(values["phrase"])
            return [(PROVENANCE_LINES[key], values)]
    raise _Unknown(kind)


def _provenance(out: dict[str, Any]) -> Lines:
    findings = [m for m in _dicts(out, "markers") if _bool(m, "finding")]
    if _bool(out, "flagged") != bool(findings):
        raise _Unknown("flagged")
    if any(m.get("severity") not in SEVERITY_LEVEL for m in findings):
        raise _Unknown("severity")
    lines: Lines = []
    if findings:
        # As the engine's summary: the strongest first (stable), three at most.
        ordered = sorted(findings, key=lambda m: -SEVERITY_LEVEL[m["severity"]])
        for marker in ordered[:3]:
            lines.extend(_marker_lines(marker))
        if len(findings) > 3:
            lines.append((PROVENANCE_LINES["more"], {"n": len(findings) - 3}))
        return lines
    c2pa = out.get("c2pa")
    if not isinstance(c2pa, dict):
        raise _Unknown("c2pa")
    lines.append((PROVENANCE_LINES["none"], {}))
    signer, issuer = _opt_str(c2pa, "signer") or "?", _opt_str(c2pa, "issuer") or "?"
    if _bool(c2pa, "present") and not _bool(c2pa, "trusted"):
        lines.append((PROVENANCE_LINES["c2pa_untrusted"], {"signer": signer, "issuer": issuer}))
    elif _bool(c2pa, "trusted"):
        lines.append((PROVENANCE_LINES["c2pa_trusted"], {"signer": signer}))
    return lines


def provenance_lines(result: dict[str, Any]) -> Lines | None:
    """The provenance finding as PROVENANCE_LINES messages: each label or trace found (its kind, where it
    sits, the generator or code it names), or none found and what a C2PA manifest says of its signer."""
    return _told(result, "provenance", _provenance)


# ----- watermark


def _watermark(out: dict[str, Any]) -> Lines:
    marks = _dicts(out, "marks")
    matched = _opt_str(out, "matched_mark")
    if _bool(out, "flagged"):
        hit = next((m for m in marks if m.get("key") == matched and m.get("matched") is True), None)
        if hit is None:
            raise _Unknown("matched_mark")
        text = _opt_str(hit, "payload_text")
        payload = f"'{text}'" if text else f"0x{_str(hit, 'payload_hex')}"
        return [
            (
                WATERMARK_LINES["mark"],
                {
                    "mark": _str(hit, "label"),
                    "matched": _int(hit, "matched_bits"),
                    "bits": _int(hit, "n_bits"),
                    "payload": payload,
                    "chance": f"{_float(hit, 'chance'):.1e}",
                },
            )
        ]
    if matched is not None:
        raise _Unknown("matched_mark")
    decodable = [m for m in marks if _bool(m, "decodable")]
    if not decodable:
        return [(WATERMARK_LINES["too_small"], {"blocks": _int(out, "blocks")})]
    if _bool(out, "chroma_flat"):
        return [(WATERMARK_LINES["flat"], {})]
    lines: Lines = [(WATERMARK_LINES["none"], {})]
    for m in decodable:
        values = {"mark": _str(m, "label"), "matched": _int(m, "matched_bits"), "bits": _int(m, "n_bits")}
        lines.append((WATERMARK_LINES["chance"], values))
    return lines


def watermark_lines(result: dict[str, Any]) -> Lines | None:
    """The watermark finding as WATERMARK_LINES messages: the mark found (its name, bits matched, payload,
    chance), or why none could be (too small, grayscale), or each mark's bits at chance level."""
    return _told(result, "watermark", _watermark)


# ----- forensics

_REGION_KINDS: Final = ("copy-move target", "dq+noise", "dq")
_DETECTORS: Final = {
    "jpeg_dq": ("ok", "no_trace", "diffuse", "skipped"),
    "noise": ("ok",),
    "copy_move": ("ok", "no_trace"),
}


def _forensics(out: dict[str, Any]) -> Lines:
    detectors = {_str(d, "name"): _str(d, "status") for d in _dicts(out, "detectors")}
    if set(detectors) != set(_DETECTORS) or any(s not in _DETECTORS[n] for n, s in detectors.items()):
        raise _Unknown("detectors")
    regions = _dicts(out, "regions")
    labels = [_str(r, "label") for r in regions]
    lines: Lines = []
    if _bool(out, "flagged"):
        if not regions or any(x not in (*_REGION_KINDS, "copy-move source") for x in labels):
            raise _Unknown("regions")
        lines.append((FORENSICS_LINES["edit"], {"n": len(regions)}))
        for kind, key in zip(_REGION_KINDS, ("copy", "dq+noise", "dq"), strict=True):
            if n := labels.count(kind):
                lines.append((FORENSICS_LINES[key], {"n": n}))
    elif regions:
        raise _Unknown("regions")
    else:
        # Unflagged outputs keep no regions; a score above 0 is the best of those below the reporting cut.
        lines.append((FORENSICS_LINES["weak" if _float(out, "score") > 0 else "none"], {}))
    dq = detectors["jpeg_dq"]
    if dq != "ok":
        lines.append((FORENSICS_LINES[f"dq_{dq}"], {}))
    return lines


def forensics_lines(result: dict[str, Any]) -> Lines | None:
    """The forensics finding as FORENSICS_LINES messages: the regions found by kind (copy-move, two
    detectors agreeing, JPEG history alone) or none, and why the JPEG test said nothing when it did not."""
    return _told(result, "forensics", _forensics)


# ----- capture

# The screenshot check's traits, word for word (signals/capture.py), joined by ", " in its value.
_TOOL: Final = re.compile(r"names a screenshot tool \(('.*'|\".*\")\)")
_SCREEN_SIZE: Final = re.compile(r"(\d+)x(\d+) is a phone screen resolution")
_STATUS_BAR: Final = re.compile(r"flat status-bar band at the top \((\d+%) uniform\)")


def _screenshot(value: str) -> Lines:
    lines: Lines = [(CAPTURE_LINES["screenshot"], {})]
    for trait in value.split(", ") if value != "none" else ():
        if m := _TOOL.fullmatch(trait):
            lines.append((CAPTURE_LINES["tool"], {"tool": _quoted(m.group(1))}))
        elif m := _SCREEN_SIZE.fullmatch(trait):
            lines.append((CAPTURE_LINES["screen_size"], {"w": int(m.group(1)), "h": int(m.group(2))}))
        elif trait == "PNG (phone cameras write JPEG/HEIF)":
            lines.append((CAPTURE_LINES["png"], {}))
        elif m := _STATUS_BAR.fullmatch(trait):
            lines.append((CAPTURE_LINES["status_bar"], {"share": m.group(1)}))
        else:
            raise _Unknown(trait)
    return lines


def _capture(out: dict[str, Any]) -> Lines:
    findings = [c for c in _dicts(out, "checks") if _str(c, "verdict") == "finding"]
    if _bool(out, "flagged") != bool(findings):
        raise _Unknown("flagged")
    if not findings:
        return [(CAPTURE_LINES["plausible"], {})]
    lines: Lines = []
    for check in findings:
        name, value = _str(check, "name"), _str(check, "value")
        if name == "capture_time":
            try:
                taken = datetime.fromisoformat(value)
            except ValueError as exc:
                raise _Unknown(value) from exc
            if taken.tzinfo is None:
                raise _Unknown(value)
            lines.append((CAPTURE_LINES["early"], {"time": local_time(taken)}))
        elif name == "screenshot":
            lines.extend(_screenshot(value))
        elif name == "recapture":
            try:
                peak = float(value)
            except ValueError as exc:
                raise _Unknown(value) from exc
            lines.append((CAPTURE_LINES["recapture"], {"peak": f"{peak:.1f}"}))
        else:
            raise _Unknown(name)
    return lines


def capture_lines(result: dict[str, Any]) -> Lines | None:
    """The capture finding as CAPTURE_LINES messages: each check that found something (an early EXIF time,
    shown in Asia/Shanghai; screenshot traits one by one; moiré), or that the capture looks plausible."""
    return _told(result, "capture", _capture)


# ----- learned


def _learned(out: dict[str, Any]) -> Lines:
    source = _str(out, "threshold_source")
    if source not in ("card", "params"):
        raise _Unknown(source)
    values = {
        "model": _str(out, "model_name"),
        "version": _str(out, "model_version"),
        "p": f"{_float(out, 'probability'):.2f}",
        "t": f"{_float(out, 'threshold'):.2f}",
    }
    lines: Lines = [(LEARNED_LINES["above" if _bool(out, "flagged") else "below"], values)]
    if source == "params":
        lines.append((LEARNED_LINES["platform_threshold"], {}))
    return lines


def learned_lines(result: dict[str, Any]) -> Lines | None:
    """The learned detector's score against its threshold as LEARNED_LINES messages (the model card's task
    is not in the output: the engine's sentence, as the tooltip, still has it)."""
    return _told(result, "learned", _learned)


def finding_lines(result: dict[str, Any]) -> dict[str, Lines]:
    """The findings this console tells in the reader's language (the others keep the engine's sentence)."""
    lines: dict[str, Lines] = {}
    ref = reference_line(result)
    if ref is not None:
        lines["reference"] = [ref]
    for signal, told in (
        ("provenance", provenance_lines),
        ("watermark", watermark_lines),
        ("reuse", reuse_lines),
        ("forensics", forensics_lines),
        ("capture", capture_lines),
        ("learned", learned_lines),
    ):
        if found := told(result):
            lines[signal] = found
    return lines
