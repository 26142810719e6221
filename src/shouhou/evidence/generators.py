"""Known AI generators and editors (data/generators.toml), how their names are matched in metadata, and
decoders for the metadata text that labels and generator traces are written in."""

from __future__ import annotations

import contextlib
import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final, Literal

from shouhou.errors import ConfigError

EXIF_CHARSETS: Final[dict[bytes, str]] = {
    b"ASCII\x00\x00\x00": "utf-8",
    b"UNICODE\x00": "utf-16",
    b"JIS\x00\x00\x00\x00\x00": "shift_jis",
    b"\x00" * 8: "utf-8",
}
_CJK: Final = "\u3400-\u9fff\uf900-\ufaff"
_NEGATED: Final = re.compile(r"(?:\b(?:not|non|no|never)|非|不是|不|无|未|没有)$")


@dataclass(frozen=True)
class NamedSoftware:
    name: str
    kind: Literal["generator", "ai_editor"]
    pattern: re.Pattern[str]


def _pattern(alias: str) -> re.Pattern[str]:
    escaped = re.escape(alias)
    if re.search(f"[{_CJK}]", alias):
        if len(alias.replace(" ", "")) <= 2:  # "豆包" is also a bun, "可灵活" means "flexibly": stand alone
            return re.compile(f"(?<![{_CJK}]){escaped}(?![{_CJK}])", re.IGNORECASE)
        return re.compile(escaped, re.IGNORECASE)
    return re.compile(f"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class Catalogue:
    software: tuple[NamedSoftware, ...]
    statements: tuple[re.Pattern[str], ...]

    def match(self, value: str) -> NamedSoftware | None:
        """The generator or AI editor a value names; a generator wins over an editor."""
        text, found = value[:10_000], None
        for sw in self.software:
            if sw.pattern.search(text):
                if sw.kind == "generator":
                    return sw
                found = found or sw
        return found

    def statement(self, value: str) -> str | None:
        """A phrase saying the content is AI-generated, unless a negation stands right before it."""
        text = value[:10_000]
        for pattern in self.statements:
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - 10) : m.start()].lower().rstrip(" -")
                if not _NEGATED.search(before):
                    return m.group(0)
        return None


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    text = resources.files("shouhou.evidence").joinpath("data/generators.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"evidence/data/generators.toml is invalid: {exc}") from exc
    software: list[NamedSoftware] = []
    for entry in data.get("generator", []):
        if entry.get("kind") not in ("generator", "ai_editor"):
            raise ConfigError(f"generators.toml: {entry.get('name')!r} has kind {entry.get('kind')!r}")
        software.extend(NamedSoftware(str(entry["name"]), entry["kind"], _pattern(str(a)))
                        for a in entry.get("aliases", []))
    statements = tuple(_pattern(str(t)) for entry in data.get("statement", []) for t in entry.get("text", []))
    return Catalogue(tuple(software), statements)


def decode_exif_text(value: Any) -> str:
    """EXIF UserComment/XP* values as text: the 8-byte charset prefix, UTF-16 XP tags, or plain."""
    if isinstance(value, str):
        text: str = value
        if not text.isascii() and max(text) <= "\xff":
            # Pillow reads EXIF ASCII fields as Latin-1; Chinese apps write UTF-8 into them.
            with contextlib.suppress(UnicodeError):
                text = text.encode("latin-1").decode("utf-8")
        return text.strip("\x00 ")
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        value = bytes(v & 0xFF for v in value)
    if not isinstance(value, bytes):
        return str(value)
    charset = EXIF_CHARSETS.get(value[:8])
    if charset == "utf-16":
        body = value[8:]
        candidates = [body.decode(enc, "replace") for enc in ("utf-16-be", "utf-16-le")]
        # The byte order follows the EXIF block's; the right guess is the one that reads as text.
        text = max(candidates, key=lambda t: sum(ch.isascii() and ch.isprintable() for ch in t))
    elif charset is not None:
        text = value[8:].decode(charset, "replace")
    elif len(value) > 1 and value[1:2] == b"\x00":  # XPComment: UTF-16LE without prefix
        text = value.decode("utf-16-le", "replace")
    else:
        text = value.decode("utf-8", "replace")
    return text.strip("\x00 ")


def parse_json(text: str, limit: int) -> Any:
    """json.loads with a size limit (ValueError beyond it, like any malformed JSON)."""
    if len(text) > limit:
        raise ValueError(f"{len(text)} characters is over the {limit}-character JSON limit")
    return json.loads(text)


def aigc_object(value: Any) -> dict[str, Any] | None:
    """The GB 45438 AIGC object, whether given bare or wrapped as {"AIGC": {...}} (possibly as a string)."""
    if isinstance(value, dict) and "AIGC" in value:
        inner = value["AIGC"]
        if isinstance(inner, str):
            inner = json.loads(inner)
        return inner if isinstance(inner, dict) else None
    return value if isinstance(value, dict) else None


def source_code(uri: str) -> str:
    """The IPTC digital source type code of a NewsCodes URI (or of a bare code)."""
    return re.split(r"[/#.]", uri.strip().rstrip("/"))[-1]


def is_sd_parameters(text: str) -> bool:
    return "Steps:" in text and any(k in text for k in ("Sampler:", "CFG scale:", "Seed:", "Model hash:"))
