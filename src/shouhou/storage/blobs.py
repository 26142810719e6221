"""The evidence file store: content-addressed by the sha256 of the original bytes, encrypted at rest,
written once and never replaced. The `blobs` table row (uploader, time) is the repository's job."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from shouhou.errors import BlobCorrupt, NotFound, StorageError, ValidationFailed
from shouhou.evidence.image import sniff_format
from shouhou.evidence.video import sniff_video
from shouhou.privacy.crypto import KeyRing

TEMP_PREFIX: Final = ".tmp-"
OCTET_STREAM: Final = "application/octet-stream"
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_IMAGE_TYPES: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
# Images shouhou does not screen, recorded under their own type rather than as anonymous bytes.
_OTHER_IMAGES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class StoredBlob:
    """What `put` stored; `created` is False when a file of the same content was already there."""

    sha256: str
    size: int
    media_type: str
    created: bool


def media_type_of(data: bytes) -> str:
    """The media type the bytes themselves declare (never the file name or the client's word)."""
    head = data[:512]
    image = sniff_format(head)
    if image is not None:
        return _IMAGE_TYPES.get(image, OCTET_STREAM)
    video = sniff_video(head)
    if video is not None:
        return video
    for magic, media_type in _OTHER_IMAGES:
        if head.startswith(magic):
            return media_type
    return OCTET_STREAM


def check_sha256(sha256: str) -> str:
    """The name unchanged if it is 64 lowercase hex digits (so it can never leave the store's folder)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValidationFailed(f"not a sha256 name (64 lowercase hex digits): {sha256!r:.80}")
    return sha256


class BlobStore:
    """Files at `<root>/<sha[:2]>/<sha[2:4]>/<sha>`, each `keys.encrypt_blob(original, sha256=name)`.

    A file appears under its name only complete (written to a temporary name, fsynced, then hard-linked),
    and an existing name is never replaced. Temporary files a killed process left are ignored by readers
    and removed by `sweep_temp`.
    """

    def __init__(self, root: Path, keys: KeyRing, *, fsync: bool = True) -> None:
        self.root = root
        self._keys = keys
        self._fsync = fsync

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put(self, data: bytes) -> StoredBlob:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        try:
            if path.is_file():
                self._make_durable(path)
                created = False
            else:
                self._make_folder(path.parent)
                created = self._publish(path, self._keys.encrypt_blob(data, sha256=sha256))
        except OSError as exc:
            raise StorageError(f"evidence store {self.root}: cannot write {sha256[:12]}…: {exc}") from exc
        return StoredBlob(sha256=sha256, size=len(data), media_type=media_type_of(data), created=created)

    def get(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no evidence file {sha256[:12]}…") from None
        except OSError as exc:
            raise StorageError(f"evidence store {self.root}: cannot read {sha256[:12]}…: {exc}") from exc
        try:
            return self._keys.decrypt_blob(data, sha256=sha256)
        except ValueError as exc:  # a header cut so short that the nonce is malformed
            raise BlobCorrupt(f"evidence file {sha256[:12]}… is malformed: {exc}") from exc

    def key_id(self, sha256: str) -> str:
        """The id of the key that encrypted the stored file (to plan a key rotation)."""
        path = self.path_for(sha256)
        try:
            with path.open("rb") as fh:
                head = fh.read(64)
        except FileNotFoundError:
            raise NotFound(f"no evidence file {sha256[:12]}…") from None
        except OSError as exc:
            raise StorageError(f"evidence store {self.root}: cannot read {sha256[:12]}…: {exc}") from exc
        if len(head) < 5:
            raise BlobCorrupt(f"evidence file {sha256[:12]}… has no shouhou header")
        return self._keys.blob_kid(head)

    def sweep_temp(self, older_than: timedelta) -> int:
        """Remove temporary files older than `older_than` (left by killed writers); returns how many."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for temp in self.root.glob(f"[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/{TEMP_PREFIX}*"):
            try:
                if temp.is_file() and temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # its writer finished (or another sweeper won) meanwhile
            except OSError as exc:
                raise StorageError(f"evidence store {self.root}: cannot remove {temp.name}: {exc}") from exc
        return removed

    # ----- internals

    def _publish(self, path: Path, ciphertext: bytes) -> bool:
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(ciphertext)
                fh.flush()
                # Read-only: the store never rewrites a file in place.
                os.fchmod(fh.fileno(), 0o400)
                if self._fsync:
                    os.fsync(fh.fileno())
            try:
                # link() fails rather than replace an existing name, unlike rename().
                os.link(temp, path)
                created = True
            except FileExistsError:
                created = False
            except OSError as exc:
                if exc.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                    raise StorageError(
                        f"evidence store {self.root}: the file system does not support hard links, "
                        "which the store needs to publish files without ever replacing one"
                    ) from exc
                raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        if not created:
            self._make_durable(path)
        elif self._fsync:
            _fsync_dir(path.parent)
        return created

    def _make_durable(self, path: Path) -> None:
        # The earlier writer may have been killed before its folder fsync; the caller is about to record
        # this name in the database, so make sure it survives a power cut first.
        if self._fsync:
            self._fsync_file(path)
            _fsync_dir(path.parent)

    @staticmethod
    def _fsync_file(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _make_folder(self, folder: Path) -> None:
        if folder.is_dir():
            return
        made = []
        for level in (self.root, folder.parent, folder):
            if not level.is_dir():
                level.mkdir(parents=True, exist_ok=True)
                made.append(level)
        if self._fsync:
            for level in made:
                _fsync_dir(level.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
