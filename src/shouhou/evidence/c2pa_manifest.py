"""Reading embedded C2PA manifests with c2pa-python, offline: no remote manifests, no OCSP, no DID lookups.

The reader is only invoked when the bytes carry a JUMBF box labelled "c2pa", so ordinary photos cost a
byte search. Trust is judged against the platform's own PEM bundle when one is configured.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from shouhou.errors import ConfigError, DependencyUnavailable

MIME_TYPES: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
}

# Network-touching features are off: screening must not leak the claim photo's existence or stall on I/O.
_OFFLINE_SETTINGS: Final[dict[str, Any]] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": [], "decode_identity_assertions": False},
}


@dataclass(frozen=True)
class SourceTypeClaim:
    """One digitalSourceType stated by an action of a manifest in the store."""

    location: str  # "c2pa:active_manifest/actions" or "c2pa:ingredient[0]/actions"
    source_type: str
    action: str


@dataclass(frozen=True)
class SoftwareClaim:
    location: str  # "c2pa:active_manifest/claim_generator", ".../actions softwareAgent"
    name: str


@dataclass(frozen=True)
class ManifestReading:
    """What the signal needs from a manifest store (all JSON-safe scalars)."""

    active_manifest: str | None
    validation_state: str | None
    failure_codes: tuple[str, ...]
    signer: str | None
    issuer: str | None
    claim_generator: str | None
    source_types: tuple[SourceTypeClaim, ...]
    software: tuple[SoftwareClaim, ...]
    error: str | None = None

    @property
    def trusted(self) -> bool:
        return self.validation_state == "Trusted"


def has_c2pa_data(raw: bytes, fmt: str) -> bool:
    """Cheap pre-check for embedded C2PA: a JPEG APP11 JUMBF segment, a PNG caBX chunk, or (other
    containers) a JUMBF box and a "c2pa" label anywhere in the file."""
    if fmt == "JPEG":
        i = 2
        while i + 4 <= len(raw) and raw[i] == 0xFF and raw[i + 1] != 0xDA:
            if raw[i + 1] == 0xEB and raw[i + 4 : i + 6] == b"JP":
                return True
            i += 2 + int.from_bytes(raw[i + 2 : i + 4], "big")
        return False
    if fmt == "PNG":
        return raw.find(b"caBX") >= 0
    return raw.find(b"jumb") >= 0 and raw.find(b"c2pa") >= 0


@lru_cache(maxsize=4)
def _context(anchors_pem: str | None) -> Any:
    try:
        import c2pa
    except ImportError as exc:  # pragma: no cover - c2pa-python is a declared dependency
        raise DependencyUnavailable("c2pa-python is not installed; C2PA manifests cannot be read") from exc
    settings: dict[str, Any] = dict(_OFFLINE_SETTINGS)
    if anchors_pem is not None:
        # trust_anchors replaces the SDK's built-in list: the platform's bundle is the whole trust list.
        settings["trust"] = {"trust_anchors": anchors_pem}
    return c2pa.Context.from_dict(settings)


def _anchors_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"C2PA trust anchors {path}: cannot read ({exc})") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigError(f"C2PA trust anchors {path}: no PEM certificate in the file")
    return text


def read_manifest(raw: bytes, fmt: str, *, trust_anchors: Path | None = None) -> ManifestReading | None:
    """The embedded manifest store, or None when the file has none. A store that exists but cannot be
    read comes back with `error` set (it may have been damaged or tampered with)."""
    if not has_c2pa_data(raw, fmt):
        return None
    anchors = _anchors_text(trust_anchors)
    import c2pa

    try:
        with c2pa.Reader(
            MIME_TYPES.get(fmt, "image/jpeg"), io.BytesIO(raw), None, _context(anchors)
        ) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None
    except c2pa.C2paError as exc:
        return ManifestReading(None, None, (), None, None, None, (), (), error=str(exc) or type(exc).__name__)
    except (ValueError, OSError) as exc:
        return ManifestReading(None, None, (), None, None, None, (), (), error=f"{type(exc).__name__}: {exc}")
    return summarise_store(store)


def summarise_store(store: dict[str, Any]) -> ManifestReading:
    """Pull validation, signer and every digitalSourceType (active manifest and ingredients) from a store."""
    manifests: dict[str, Any] = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active: dict[str, Any] = manifests.get(active_label) or {} if isinstance(active_label, str) else {}
    sources: list[SourceTypeClaim] = []
    software: list[SoftwareClaim] = []
    seen: set[str] = set()
    queue: list[tuple[str, str]] = (
        [(active_label, "c2pa:active_manifest")] if isinstance(active_label, str) else []
    )
    while queue:
        label, where = queue.pop(0)
        manifest = manifests.get(label)
        if label in seen or not isinstance(manifest, dict):
            continue
        seen.add(label)
        _collect_manifest(manifest, where, sources, software)
        for i, ingredient in enumerate(manifest.get("ingredients") or []):
            if not isinstance(ingredient, dict):
                continue
            prefix = "c2pa:" if where == "c2pa:active_manifest" else f"{where}/"
            child = ingredient.get("active_manifest")
            if isinstance(child, str):
                queue.append((child, f"{prefix}ingredient[{i}]"))
    signature = active.get("signature_info") or {}
    return ManifestReading(
        active_manifest=active_label if isinstance(active_label, str) else None,
        validation_state=store.get("validation_state"),
        failure_codes=_failure_codes(store),
        signer=signature.get("common_name"),
        issuer=signature.get("issuer"),
        claim_generator=_generator_name(active),
        source_types=tuple(sources),
        software=tuple(software),
    )


def _generator_name(manifest: dict[str, Any]) -> str | None:
    gen = manifest.get("claim_generator")
    if isinstance(gen, str) and gen:
        return gen
    infos = manifest.get("claim_generator_info") or []
    names = [f"{i.get('name', '')} {i.get('version', '')}".strip() for i in infos if isinstance(i, dict)]
    return "; ".join(n for n in names if n) or None


def _collect_manifest(
    manifest: dict[str, Any],
    where: str,
    sources: list[SourceTypeClaim],
    software: list[SoftwareClaim],
) -> None:
    gen = _generator_name(manifest)
    if gen:
        software.append(SoftwareClaim(f"{where}/claim_generator", gen))
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data") or {}
        for action in data.get("actions") or [] if isinstance(data, dict) else []:
            if not isinstance(action, dict):
                continue
            dst = action.get("digitalSourceType")
            if isinstance(dst, str) and dst:
                sources.append(SourceTypeClaim(f"{where}/actions", dst, str(action.get("action", ""))))
            agent = action.get("softwareAgent")
            name = agent.get("name") if isinstance(agent, dict) else agent
            if isinstance(name, str) and name:
                software.append(SoftwareClaim(f"{where}/actions/softwareAgent", name))


def _failure_codes(store: dict[str, Any]) -> tuple[str, ...]:
    codes: list[str] = []
    results = store.get("validation_results")
    if isinstance(results, dict):
        active = results.get("activeManifest") or {}
        codes.extend(str(s.get("code")) for s in active.get("failure") or [] if isinstance(s, dict))
        for delta in results.get("ingredientDeltas") or []:
            failures = ((delta or {}).get("validationDeltas") or {}).get("failure") or []
            codes.extend(str(s.get("code")) for s in failures if isinstance(s, dict))
    else:  # older stores carry only the flat list
        codes.extend(str(s.get("code")) for s in store.get("validation_status") or [] if isinstance(s, dict))
    return tuple(dict.fromkeys(c for c in codes if c and c != "None"))
