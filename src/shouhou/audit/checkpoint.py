"""The checkpoint file: an append-only JSON-lines anchor of the chain's head, outside the database.

Each line carries its own HMAC, so a line written without the audit key is refused. Deleting whole lines
from the end of this file is not detectable from the file alone; that is why `shouhou audit checkpoint`
also prints the line for keeping off-site.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from shouhou.audit.chain import format_at, same_mac
from shouhou.errors import AuditTampered

_PURPOSE: Final = b"shouhou-audit-checkpoint\x00"  # keeps a checkpoint MAC from ever equalling an entry MAC


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    mac: str
    at: datetime

    def line(self) -> str:
        """The one-line form printed for off-site keeping."""
        return f"seq={self.seq} mac={self.mac} at={format_at(self.at)}"


@dataclass(frozen=True)
class BadLine:
    line_no: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.reason}"


def _body(seq: int, mac: str, at: datetime) -> bytes:
    text = json.dumps({"seq": seq, "mac": mac, "at": format_at(at)}, sort_keys=True, separators=(",", ":"))
    return text.encode("ascii")


def _line_mac(key: bytes, body: bytes) -> str:
    if not key:
        raise ValueError("the audit key is empty")
    return hmac.new(key, _PURPOSE + body, hashlib.sha256).hexdigest()


def append_checkpoint(path: Path, *, seq: int, mac: str, at: datetime, key: bytes) -> Checkpoint:
    """Append one signed line and fsync it before returning."""
    if seq < 0 or len(mac) != 64:
        raise ValueError("a checkpoint needs a seq >= 0 and a 64-digit mac")
    body = _body(seq, mac, at)
    record = json.loads(body)
    record["hmac"] = _line_mac(key, body)
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and _last_byte(path, size) != b"\n":
            # A torn last line (power cut mid-write) stays as it is, reported by verify; ours starts afresh.
            line = "\n" + line
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)
    return Checkpoint(seq=seq, mac=mac, at=datetime.fromisoformat(record["at"]))


def _last_byte(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def scan_checkpoints(path: Path, key: bytes) -> tuple[list[Checkpoint], list[BadLine]]:
    """Every good checkpoint in file order, and every line that is malformed or fails its MAC."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise AuditTampered(f"{path}: the checkpoint file cannot be read: {exc}") from exc
    good: list[Checkpoint] = []
    bad: list[BadLine] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        parsed = _parse(line, key)
        if isinstance(parsed, str):
            bad.append(BadLine(number, parsed))
        else:
            good.append(parsed)
    return good, bad


def read_checkpoints(path: Path, key: bytes) -> list[Checkpoint]:
    """The checkpoints in file order (a missing file has none); any bad line raises AuditTampered."""
    good, bad = scan_checkpoints(path, key)
    if bad:
        raise AuditTampered(f"{path}: {bad[0]}")
    return good


def _parse(line: bytes, key: bytes) -> Checkpoint | str:
    try:
        record = json.loads(line)
    except ValueError:
        return "not a JSON line"
    if not isinstance(record, dict) or set(record) != {"seq", "mac", "at", "hmac"}:
        return "not a checkpoint record"
    seq, mac, at_text, line_mac = record["seq"], record["mac"], record["at"], record["hmac"]
    if not (isinstance(seq, int) and isinstance(mac, str) and isinstance(at_text, str)):
        return "fields of the wrong type"
    if not isinstance(line_mac, str):
        return "fields of the wrong type"
    try:
        at = datetime.fromisoformat(at_text)
        body = _body(seq, mac, at)
    except (ValueError, UnicodeError):
        return "malformed time or mac"
    if not same_mac(_line_mac(key, body), line_mac):
        return "its MAC does not match (written without the audit key, or edited)"
    if seq < 0 or len(mac) != 64:
        return "seq or mac out of range"
    return Checkpoint(seq=seq, mac=mac, at=at)
