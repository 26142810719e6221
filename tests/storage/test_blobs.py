"""The evidence store: exact round trips, one file per content, nothing readable or replaceable on disk."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from shouhou.errors import BlobCorrupt, NotFound, ValidationFailed
from shouhou.evidence.image import encode_image
from shouhou.privacy.crypto import KeyRing, format_keys, new_key
from shouhou.storage.blobs import TEMP_PREFIX, BlobStore, media_type_of
from tests.conftest import sample

OWNER = "张三 Zhang San"


def _photo_with_owner() -> bytes:
    exif = Image.Exif()
    # Phones write UTF-8 into these ASCII fields; bytes keep Pillow from replacing the Chinese with '?'.
    exif[0x013B] = OWNER.encode("utf-8")  # Artist
    exif.get_ifd(0x8769)[0xA430] = OWNER.encode("utf-8")  # CameraOwnerName
    buf = io.BytesIO()
    Image.fromarray(sample("coffee")).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing({"k1": new_key()})


@pytest.fixture
def store(tmp_path: Path, ring: KeyRing) -> BlobStore:
    return BlobStore(tmp_path / "evidence", ring)


def _temps(root: Path) -> list[Path]:
    return sorted(root.glob(f"*/*/{TEMP_PREFIX}*"))


def _tamper(path: Path, data: bytes) -> None:
    path.chmod(0o600)
    path.write_bytes(data)


@pytest.mark.parametrize("fsync", [True, False])
def test_round_trip_returns_the_exact_bytes(tmp_path: Path, ring: KeyRing, fsync: bool) -> None:
    store = BlobStore(tmp_path / "evidence", ring, fsync=fsync)
    data = _photo_with_owner()
    sha = hashlib.sha256(data).hexdigest()

    stored = store.put(data)

    assert (stored.sha256, stored.size, stored.created) == (sha, len(data), True)
    assert stored.media_type == "image/jpeg"
    assert store.path_for(sha) == tmp_path / "evidence" / sha[:2] / sha[2:4] / sha
    assert store.exists(sha)
    assert store.get(sha) == data
    assert _temps(store.root) == []


def test_empty_and_binary_contents_round_trip(store: BlobStore) -> None:
    for data in (b"", bytes(range(256)) * 1000):
        stored = store.put(data)
        assert store.get(stored.sha256) == data
        assert stored.media_type == "application/octet-stream"


def test_the_same_bytes_twice_keep_the_first_file_untouched(store: BlobStore) -> None:
    data = _photo_with_owner()
    first = store.put(data)
    path = store.path_for(first.sha256)
    before, raw_before = path.stat(), path.read_bytes()

    second = store.put(data)

    after = path.stat()
    assert second.sha256 == first.sha256
    assert (first.created, second.created) == (True, False)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # Encryption uses a fresh nonce each time, so equal ciphertext proves the file was not rewritten.
    assert path.read_bytes() == raw_before
    assert list(path.parent.iterdir()) == [path]


def test_stored_files_are_read_only(store: BlobStore) -> None:
    stored = store.put(b"packing photo")
    mode = stat.S_IMODE(store.path_for(stored.sha256).stat().st_mode)
    assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0


def test_the_file_on_disk_shows_neither_the_photo_nor_its_owner(store: BlobStore) -> None:
    data = _photo_with_owner()
    assert data.count(OWNER.encode("utf-8")) == 2  # the fixture really carries the owner's name, twice

    raw = store.path_for(store.put(data).sha256).read_bytes()

    assert raw.startswith(b"SHB1")
    for needle in (OWNER.encode("utf-8"), "张三".encode(), b"Zhang San", b"Exif", b"\xff\xd8\xff"):
        assert needle not in raw
    windows = {data[i : i + 32] for i in range(0, len(data) - 32, 997)}
    assert not any(window in raw for window in windows)


def test_a_flipped_byte_is_refused(store: BlobStore) -> None:
    data = _photo_with_owner()
    sha = store.put(data).sha256
    path = store.path_for(sha)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    _tamper(path, bytes(raw))

    with pytest.raises(BlobCorrupt, match="does not authenticate"):
        store.get(sha)


@pytest.mark.parametrize("keep", [0, 3, 10, 30])
def test_a_cut_off_file_is_refused(store: BlobStore, keep: int) -> None:
    sha = store.put(b"x" * 1000).sha256
    path = store.path_for(sha)
    _tamper(path, path.read_bytes()[:keep])
    with pytest.raises(BlobCorrupt):
        store.get(sha)


def test_a_file_moved_under_another_name_is_refused(store: BlobStore) -> None:
    a, b = store.put(b"photo A"), store.put(b"photo B")
    _tamper(store.path_for(b.sha256), store.path_for(a.sha256).read_bytes())
    with pytest.raises(BlobCorrupt):
        store.get(b.sha256)


def test_a_different_key_cannot_read(tmp_path: Path, store: BlobStore) -> None:
    sha = store.put(b"label with an address").sha256
    with pytest.raises(BlobCorrupt, match="does not authenticate"):
        BlobStore(store.root, KeyRing({"k1": new_key()})).get(sha)
    with pytest.raises(BlobCorrupt, match="not in the key ring"):
        BlobStore(store.root, KeyRing({"k9": new_key()})).get(sha)


def test_a_rotated_ring_reads_old_files_and_writes_with_the_new_key(store: BlobStore, ring: KeyRing) -> None:
    old = store.put(b"before the rotation").sha256
    rotated = BlobStore(store.root, KeyRing({"k2": new_key(), **ring.keys}))

    new = rotated.put(b"after the rotation").sha256

    assert rotated.get(old) == b"before the rotation"
    assert rotated.get(new) == b"after the rotation"
    assert (rotated.key_id(old), rotated.key_id(new)) == ("k1", "k2")
    with pytest.raises(BlobCorrupt, match="'k2'"):
        store.get(new)


@pytest.mark.parametrize(
    "bad",
    [
        "../" * 21 + "a",
        "../../etc/passwd",
        "A" * 64,
        "0" * 63,
        "0" * 65,
        "0" * 64 + "\n",
        "g" * 64,
        "0" * 62 + "/x",
        "",
    ],
)
def test_names_that_are_not_a_sha256_are_refused(store: BlobStore, bad: str) -> None:
    for call in (store.path_for, store.exists, store.get, store.key_id):
        with pytest.raises(ValidationFailed):
            call(bad)


def test_a_missing_file_is_not_found(store: BlobStore) -> None:
    assert not store.exists("0" * 64)
    with pytest.raises(NotFound):
        store.get("0" * 64)


def _video(tmp_path: Path, name: str, fourcc: str) -> bytes:
    path = tmp_path / name
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10, (64, 48))
    assert writer.isOpened(), f"this OpenCV build cannot write {fourcc} into {name}"
    for k in range(5):
        writer.write(np.full((48, 64, 3), k * 40, np.uint8))
    writer.release()
    return path.read_bytes()


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "GIF")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda _: encode_image(sample("coffee"), "JPEG"), "image/jpeg"),
        (lambda _: encode_image(sample("coffee"), "PNG"), "image/png"),
        (lambda _: encode_image(sample("coffee"), "WEBP"), "image/webp"),
        (lambda _: encode_image(sample("coffee"), "HEIF"), "image/heic"),
        (lambda _: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
        (lambda _: _gif(), "image/gif"),
        (lambda tmp: _video(tmp, "a.mp4", "mp4v"), "video/mp4"),
        (lambda tmp: _video(tmp, "a.avi", "MJPG"), "video/x-msvideo"),
        (lambda tmp: _video(tmp, "a.mkv", "MJPG"), "video/x-matroska"),
        (lambda _: b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "video/webm"),
        (lambda _: b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "video/quicktime"),
        (lambda _: b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x02\x00isom3gp4", "video/3gpp"),
        (lambda _: b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom", "application/octet-stream"),
        (lambda _: b"%PDF-1.7\n", "application/octet-stream"),
        (lambda _: bytes(range(256)), "application/octet-stream"),
    ],
)
def test_the_media_type_comes_from_the_bytes(
    tmp_path: Path, store: BlobStore, make: Callable[[Path], bytes], expected: str
) -> None:
    data = make(tmp_path)
    assert media_type_of(data) == expected
    assert store.put(data).media_type == expected


def test_concurrent_puts_of_the_same_bytes_publish_one_file(store: BlobStore) -> None:
    data = _photo_with_owner()
    barrier = threading.Barrier(8)
    results = []

    def put() -> None:
        barrier.wait()
        results.append(store.put(data))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(r.created for r in results) == [False] * 7 + [True]
    assert store.get(results[0].sha256) == data
    assert list(store.path_for(results[0].sha256).parent.iterdir()) == [store.path_for(results[0].sha256)]


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from shouhou.privacy.crypto import KeyRing, parse_keys
    from shouhou.storage.blobs import BlobStore

    root, spec, data_file, when = sys.argv[1:]
    real_link = os.link

    def link_then_die(src, dst, **kwargs):
        if when == "after-link":
            real_link(src, dst, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    os.link = link_then_die
    BlobStore(Path(root), KeyRing(parse_keys(spec))).put(Path(data_file).read_bytes())
    """
)


def _killed_put(store: BlobStore, ring: KeyRing, data: bytes, tmp_path: Path, when: str) -> None:
    data_file = tmp_path / "upload.bin"
    data_file.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(store.root), format_keys(ring.keys), str(data_file), when],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr.decode()


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_writer_killed_before_publishing_leaves_only_an_ignored_temp(
    tmp_path: Path, store: BlobStore, ring: KeyRing
) -> None:
    data = _photo_with_owner()
    sha = hashlib.sha256(data).hexdigest()

    _killed_put(store, ring, data, tmp_path, "before-link")

    (temp,) = _temps(store.root)
    assert not store.exists(sha)
    with pytest.raises(NotFound):
        store.get(sha)
    assert store.put(data).created
    assert store.get(sha) == data
    _age(temp, 7200)
    assert store.sweep_temp(timedelta(hours=1)) == 1
    assert _temps(store.root) == []
    assert store.get(sha) == data


def test_a_writer_killed_after_publishing_leaves_a_complete_file(
    tmp_path: Path, store: BlobStore, ring: KeyRing
) -> None:
    data = _photo_with_owner()
    sha = hashlib.sha256(data).hexdigest()

    _killed_put(store, ring, data, tmp_path, "after-link")

    (temp,) = _temps(store.root)
    assert store.get(sha) == data
    assert store.put(data).created is False
    _age(temp, 7200)
    # The temp is a second link to the published file; removing it leaves the published name intact.
    assert store.sweep_temp(timedelta(hours=1)) == 1
    assert store.get(sha) == data


def test_sweep_keeps_fresh_temps_and_published_files(store: BlobStore) -> None:
    kept = store.put(b"published")
    folder = store.path_for(kept.sha256).parent
    fresh, stale = folder / f"{TEMP_PREFIX}fresh", folder / f"{TEMP_PREFIX}stale"
    fresh.write_bytes(b"half a ciph")
    stale.write_bytes(b"half a ciph")
    _age(stale, 7200)
    _age(store.path_for(kept.sha256), 7200)

    assert store.sweep_temp(timedelta(hours=1)) == 1

    assert fresh.exists() and not stale.exists()
    assert store.get(kept.sha256) == b"published"
    assert store.sweep_temp(timedelta(hours=1)) == 0
