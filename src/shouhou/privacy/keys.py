"""Where the keys come from: settings (environment) first; in development, a generated key file under
<home>/secrets/ (mode 0600) so `shouhou serve` works on a laptop. Keys never enter the database."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shouhou.config import Settings
from shouhou.errors import ConfigError
from shouhou.privacy.crypto import KeyRing, format_keys, keyed_hash, new_key, parse_keys

_PLACEHOLDERS: Final = frozenset({"changeme", "change-me", "secret", "placeholder", "xxx", "todo"})


@dataclass(frozen=True)
class Keys:
    fields: KeyRing
    lookup: bytes
    audit: bytes

    def phone_key(self, normalised_phone: str) -> str:
        return keyed_hash(self.lookup, normalised_phone, purpose="phone")


def _secret(value: str, name: str) -> bytes:
    if value.strip().lower() in _PLACEHOLDERS or len(value.strip()) < 16:
        raise ConfigError(f"{name} is a placeholder or too short; give at least 16 random characters")
    return value.strip().encode("utf-8")


def load_keys(settings: Settings) -> Keys:
    """Keys from settings; missing ones come from (or are generated into) the development key file."""
    file_keys = _dev_file(settings) if _missing(settings) else {}
    fields_spec = settings.field_keys.get_secret_value() if settings.field_keys else file_keys.get("fields")
    lookup = settings.lookup_key.get_secret_value() if settings.lookup_key else file_keys.get("lookup")
    audit = settings.audit_key.get_secret_value() if settings.audit_key else file_keys.get("audit")
    if not fields_spec or not lookup or not audit:  # pragma: no cover - _dev_file fills all three
        raise ConfigError("encryption keys are missing")
    return Keys(
        fields=KeyRing(parse_keys(fields_spec)),
        lookup=_secret(lookup, "SHOUHOU_LOOKUP_KEY"),
        audit=_secret(audit, "SHOUHOU_AUDIT_KEY"),
    )


def _missing(settings: Settings) -> bool:
    return not (settings.field_keys and settings.lookup_key and settings.audit_key)


def _dev_file(settings: Settings) -> dict[str, str]:
    path = settings.secrets_file
    if path.exists():
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: unreadable key file: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not a key file")
        return {str(k): str(v) for k, v in data.items()}
    if settings.env != "development":
        raise ConfigError(
            "SHOUHOU_FIELD_KEYS, SHOUHOU_LOOKUP_KEY and SHOUHOU_AUDIT_KEY must be set outside development"
        )
    data = generate_key_file(path)
    return data


def generate_key_file(path: Path) -> dict[str, str]:
    """Write a fresh development key file (refuses to overwrite one: that would orphan every ciphertext)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    data = {
        "fields": format_keys({"k1": new_key()}),
        "lookup": base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"),
        "audit": base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    return data
