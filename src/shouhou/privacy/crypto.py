"""AES-256-GCM encryption of personal fields and evidence files with a rotating key ring.

Every ciphertext names the key that made it, so old keys keep decrypting after a rotation while the newest
key encrypts; `KeyRing.rotate_*` re-encrypts under the newest key. Associated data binds a field ciphertext
to its column and an evidence ciphertext to the hash of its plaintext, so ciphertexts cannot be swapped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shouhou.errors import BlobCorrupt, ConfigError

FIELD_PREFIX: Final = "g1"
BLOB_MAGIC: Final = b"SHB1"
_NONCE: Final = 12
_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def parse_keys(spec: str) -> dict[str, bytes]:
    """ "kid:base64key,kid2:base64key" → ordered {kid: key}; the first entry is the encrypting key."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not _KID.match(kid):
            raise ConfigError(f"field key {kid!r}: expected 'kid:base64key' with kid of [A-Za-z0-9_-]")
        try:
            key = _unb64(b64.strip())
        except ValueError as exc:
            raise ConfigError(f"field key {kid!r} is not base64") from exc
        if len(key) != 32:
            raise ConfigError(f"field key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
        if kid in keys:
            raise ConfigError(f"field key id {kid!r} appears twice")
        keys[kid] = key
    if not keys:
        raise ConfigError("no field keys given")
    return keys


def format_keys(keys: Mapping[str, bytes]) -> str:
    return ",".join(f"{kid}:{_b64(key)}" for kid, key in keys.items())


@dataclass(frozen=True)
class KeyRing:
    """Ordered keys: the first encrypts; any decrypts what it made."""

    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigError("a key ring needs at least one key")

    @property
    def current_kid(self) -> str:
        return next(iter(self.keys))

    def _key(self, kid: str) -> AESGCM:
        try:
            return AESGCM(self.keys[kid])
        except KeyError:
            raise BlobCorrupt(f"ciphertext names key {kid!r}, which is not in the key ring") from None

    # ----- personal fields

    def encrypt_field(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE)
        kid = self.current_kid
        ct = self._key(kid).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{FIELD_PREFIX}.{kid}.{_b64(nonce + ct)}"

    def decrypt_field(self, token: str, *, context: str) -> str:
        prefix, kid, body = _split_field(token)
        if prefix != FIELD_PREFIX:
            raise BlobCorrupt(f"unknown field ciphertext format {prefix!r}")
        try:
            raw = _unb64(body)
        except ValueError as exc:
            raise BlobCorrupt(f"field ciphertext for {context} is not base64") from exc
        if len(raw) < _NONCE + 16:
            raise BlobCorrupt(f"field ciphertext for {context} is cut short")
        try:
            plain = self._key(kid).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise BlobCorrupt(f"field ciphertext for {context} does not authenticate") from exc
        return plain.decode("utf-8")

    def field_kid(self, token: str) -> str:
        return _split_field(token)[1]

    def rotate_field(self, token: str, *, context: str) -> str:
        """The same plaintext under the current key (unchanged when it already is)."""
        if self.field_kid(token) == self.current_kid:
            return token
        return self.encrypt_field(self.decrypt_field(token, context=context), context=context)

    # ----- evidence files

    def encrypt_blob(self, plaintext: bytes, *, sha256: str) -> bytes:
        kid = self.current_kid.encode("ascii")
        nonce = os.urandom(_NONCE)
        ct = self._key(self.current_kid).encrypt(nonce, plaintext, sha256.encode("ascii"))
        return BLOB_MAGIC + bytes([len(kid)]) + kid + nonce + ct

    def decrypt_blob(self, data: bytes, *, sha256: str) -> bytes:
        if data[:4] != BLOB_MAGIC or len(data) < 5:
            raise BlobCorrupt(f"evidence file {sha256[:12]}… has no shouhou header")
        n = data[4]
        kid = data[5 : 5 + n].decode("ascii", "replace")
        body = data[5 + n :]
        if len(body) < _NONCE + 16:
            raise BlobCorrupt(f"evidence file {sha256[:12]}… is cut short")
        try:
            plain = self._key(kid).decrypt(body[:_NONCE], body[_NONCE:], sha256.encode("ascii"))
        except InvalidTag as exc:
            raise BlobCorrupt(f"evidence file {sha256[:12]}… does not authenticate") from exc
        if hashlib.sha256(plain).hexdigest() != sha256:
            raise BlobCorrupt(f"evidence file {sha256[:12]}… does not match its name")
        return plain

    def blob_kid(self, data: bytes) -> str:
        if data[:4] != BLOB_MAGIC or len(data) < 5:
            raise BlobCorrupt("no shouhou header")
        return data[5 : 5 + data[4]].decode("ascii", "replace")


def _split_field(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3:
        raise BlobCorrupt("malformed field ciphertext")
    return parts[0], parts[1], parts[2]


def keyed_hash(key: bytes, value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value, domain-separated by purpose (hex)."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
