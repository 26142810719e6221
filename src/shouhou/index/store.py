"""The persistent reuse index: PDQ hashes in faiss, photo and claim metadata in SQLite, saved atomically.

On disk a directory holds `CURRENT` (the live generation number) and that generation's
`gen-N.sqlite` (metadata and every hash: the source of truth; it names the hash scheme) and `gen-N.faiss`
(the search structure, rebuilt from SQLite if missing or inconsistent). `save()` writes generation N+1 beside
N and only then replaces `CURRENT` by rename, so a crash mid-save leaves generation N intact.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import faiss
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from shouhou.errors import IndexUnreadable
from shouhou.evidence.image import PreparedImage
from shouhou.index.hashing import HASH_BITS, HASH_BYTES, HASH_SCHEME, PhotoHashes, index_hashes, query_hashes

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = "1"
# Indexes written before the hash scheme was recorded in `meta` hashed 18 windows of a 128-px copy.
_UNRECORDED_SCHEME: Final = "pdq128-windows-1"
FaissKind = Literal["flat", "ivf"]
# Below this many hashes an exact scan is cheap (a few ms for 40 query hashes). Above it an inverted
# file of 1024 Hamming k-means cells, trained once on the first IVF_FROM stored hashes, scans 96 cells
# (~9% of the index) per query hash. At 1M hashes, on 1710 crops of calibration photos within 48 bits,
# 64 cells missed 2 that the exact scan found and 96 missed none (lookup 6.4 -> 9.1 ms). PDQ hashes of
# new photos follow the same distribution, so the cells are not retrained as the index grows.
IVF_FROM: Final = 100_000
IVF_LISTS: Final = 1024
IVF_PROBES: Final = 96
_CANDIDATES_PER_HASH: Final = 32

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, quality INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hashes (
    id INTEGER PRIMARY KEY, photo_id INTEGER NOT NULL, window TEXT NOT NULL, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, photo_id INTEGER NOT NULL, source TEXT NOT NULL,
    claim_id TEXT, submitter_id TEXT, added_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS entries_once ON entries (photo_id, IFNULL(claim_id, ''));
CREATE INDEX IF NOT EXISTS hashes_photo ON hashes (photo_id);
"""


class Match(BaseModel):
    """One stored photo-and-claim entry that looks like the query photo."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str  # sha256 of the stored photo's bytes
    source: str  # "claim", "catalog", "internet", ...
    claim_id: str | None
    submitter_id: str | None
    added_at: datetime
    distance: int = Field(ge=0, le=HASH_BITS)  # PDQ Hamming distance of the best hash pair
    # which query hash matched: "whole", a dihedral ("flipped-horizontally", "rotated-cw90", ...), a crop
    # window ("cut-r4-t4-b5.5", or "flipped-horizontally+cut-..." mirrored), or "sha256"
    query_hash: str
    stored_hash: str  # which stored window matched ("whole", "cut-l4.5-r14-t5.5-b7.5", "cut-l16"), "sha256"
    quality: int  # PDQ quality of the stored photo
    exact: bool  # identical bytes


@dataclass(frozen=True)
class Entry:
    """Who screened or supplied a photo; one photo may have many entries (one per claim)."""

    key: str
    source: str = "claim"
    claim_id: str | None = None
    submitter_id: str | None = None
    added_at: datetime | None = None


def _hashes_for_index(image: PreparedImage | PhotoHashes) -> PhotoHashes:
    return image if isinstance(image, PhotoHashes) else index_hashes(image.preview)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ReuseIndex:
    """Every evidence photo ever screened (and catalog photos added on purpose), searchable by PDQ.

    Not thread-safe: one writer, searches from the same thread (or under the caller's lock).
    """

    def __init__(
        self, db: sqlite3.Connection, path: Path | None, generation: int, kind: FaissKind | None
    ) -> None:
        self._db = db
        self.path = path
        self._generation = generation
        self._dirty = False
        self._fixed_kind = kind
        self._faiss: Any = None

    # ----- opening and saving

    @classmethod
    def open(cls, path: Path | None, *, kind: FaissKind | None = None) -> ReuseIndex:
        """Open (or create) the index in directory `path`; None keeps it in memory only.

        `kind` forces the faiss structure; by default it is exact ("flat") below IVF_FROM hashes.
        """
        mem = sqlite3.connect(":memory:", check_same_thread=False)
        generation = 0
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            generation = _read_current(path)
            if generation:
                db_file = path / f"gen-{generation}.sqlite"
                try:
                    src = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
                    try:
                        src.backup(mem)
                    finally:
                        src.close()
                except sqlite3.Error as exc:
                    raise IndexUnreadable(f"{db_file}: {exc}") from exc
            _remove_stale(path, generation)
        mem.executescript(_SCHEMA)
        mem.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        _check_hash_scheme_or_raise(mem, path)
        index = cls(mem, path, generation, kind)
        index._faiss = index._load_faiss()
        return index

    def save(self) -> None:
        """Persist atomically (no-op in memory or when nothing changed)."""
        if self.path is None or not self._dirty:
            return
        nxt = self._generation + 1
        db_file, faiss_file = self.path / f"gen-{nxt}.sqlite", self.path / f"gen-{nxt}.faiss"
        for final in (db_file, faiss_file):
            final.unlink(missing_ok=True)
        tmp_db = db_file.with_suffix(".sqlite.tmp")
        tmp_db.unlink(missing_ok=True)
        dst = sqlite3.connect(tmp_db)
        try:
            self._db.backup(dst)
        finally:
            dst.close()
        _fsync(tmp_db)
        tmp_db.replace(db_file)
        tmp_faiss = faiss_file.with_suffix(".faiss.tmp")
        _write_faiss(self._faiss, tmp_faiss)
        _fsync(tmp_faiss)
        tmp_faiss.replace(faiss_file)
        tmp_current = self.path / "CURRENT.tmp"
        tmp_current.write_text(f"{nxt}\n", "ascii")
        _fsync(tmp_current)
        tmp_current.replace(self.path / "CURRENT")  # the commit point
        _fsync(self.path)
        self._generation = nxt
        self._dirty = False
        _remove_stale(self.path, nxt)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReuseIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- size

    def __len__(self) -> int:
        """Number of distinct photos (by sha256)."""
        return int(self._db.execute("SELECT COUNT(*) FROM photos").fetchone()[0])

    @property
    def hash_count(self) -> int:
        return int(self._faiss.ntotal)

    @property
    def entry_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    @property
    def faiss_kind(self) -> FaissKind:
        return "ivf" if isinstance(self._faiss, faiss.IndexBinaryIVF) else "flat"

    # ----- adding

    def add(
        self,
        image: PreparedImage | PhotoHashes,
        *,
        key: str | None = None,
        source: str = "claim",
        claim_id: str | None = None,
        submitter_id: str | None = None,
        added_at: datetime | None = None,
    ) -> bool:
        """Record a photo under a claim; False when that photo+claim was already recorded.

        `key` is the photo's sha256 (taken from a PreparedImage when omitted). A photo whose PDQ
        quality is too low is still recorded, so identical bytes are found, but it gets no hashes.
        """
        if key is None:
            if not isinstance(image, PreparedImage):
                raise ValueError("key (the photo's sha256) is required when adding bare hashes")
            key = image.sha256
        entry = Entry(key, source, claim_id, submitter_id, added_at)
        return self.add_many([(image, entry)]) == 1

    def add_many(self, items: Iterable[tuple[PreparedImage | PhotoHashes, Entry]]) -> int:
        """Bulk add; returns how many new photo+claim entries were recorded."""
        new_entries = 0
        new_rows: list[npt.NDArray[np.uint8]] = []
        next_id = self.hash_count
        with self._db:
            for image, entry in items:
                photo_id = self._photo_id(entry.key)
                if photo_id is None:
                    hashes = _hashes_for_index(image)
                    cur = self._db.execute(
                        "INSERT INTO photos (key, quality) VALUES (?, ?)", (entry.key, hashes.quality)
                    )
                    photo_id = int(cur.lastrowid or 0)
                    if hashes.reliable:
                        rows = [
                            (next_id + i, photo_id, name, bytes(h))
                            for i, (name, h) in enumerate(zip(hashes.names, hashes.hashes, strict=True))
                        ]
                        self._db.executemany("INSERT INTO hashes VALUES (?, ?, ?, ?)", rows)
                        next_id += len(rows)
                        new_rows.append(hashes.hashes)
                added = (entry.added_at or datetime.now(UTC)).isoformat()
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO entries (photo_id, source, claim_id, submitter_id, added_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (photo_id, entry.source, entry.claim_id, entry.submitter_id, added),
                )
                new_entries += cur.rowcount
        if new_rows:
            self._grow(np.ascontiguousarray(np.concatenate(new_rows), dtype=np.uint8))
        if new_entries or new_rows:
            self._dirty = True
        return new_entries

    def _photo_id(self, key: str) -> int | None:
        row = self._db.execute("SELECT id FROM photos WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    # ----- searching

    def search(
        self,
        image: PreparedImage | PhotoHashes,
        *,
        max_distance: int,
        limit: int = 20,
        key: str | None = None,
    ) -> list[Match]:
        """Entries whose photo is within `max_distance` bits of the query, best first; identical bytes first.

        A PreparedImage is hashed with the query windows and dihedral variants; bare hashes are used as
        given. Identical bytes (same sha256: `key`, or the image's own) always match, even when PDQ
        quality is too low to compare hashes.
        """
        if key is None and isinstance(image, PreparedImage):
            key = image.sha256
        best: dict[int, tuple[int, str, str]] = {}
        if key is not None:
            photo_id = self._photo_id(key)
            if photo_id is not None:
                best[photo_id] = (0, "sha256", "sha256")
        hashes = image if isinstance(image, PhotoHashes) else query_hashes(image.preview)
        if hashes.reliable and self.hash_count:
            for hash_id, distance, query_name in self._nearest(hashes, max_distance):
                photo_id, stored_name = self._hash_owner(hash_id)
                if photo_id not in best or distance < best[photo_id][0]:
                    best[photo_id] = (distance, query_name, stored_name)
        matches = [m for pid, hit in best.items() for m in self._entries(pid, hit, key)]
        matches.sort(key=lambda m: (not m.exact, m.distance, m.added_at, m.claim_id or ""))
        return matches[:limit]

    def _nearest(self, hashes: PhotoHashes, max_distance: int) -> Iterator[tuple[int, int, str]]:
        query = np.ascontiguousarray(hashes.hashes, dtype=np.uint8)
        # One photo's ~40 query hashes are too few to share among OpenMP threads: measured on 1M hashes
        # (with ~22 query hashes), one thread answered in ~5 ms, two threads on one core in ~36 ms.
        # Screening parallelises across photos (workers) instead.
        faiss.omp_set_num_threads(1)
        if isinstance(self._faiss, faiss.IndexBinaryFlat):
            lims, dist, ids = self._faiss.range_search(query, max_distance + 1)
            for q in range(len(query)):
                for j in range(int(lims[q]), int(lims[q + 1])):
                    yield int(ids[j]), int(dist[j]), hashes.names[q]
            return
        k = min(_CANDIDATES_PER_HASH, self.hash_count)
        dist, ids = self._faiss.search(query, k)
        for q, j in zip(*np.nonzero((dist <= max_distance) & (ids >= 0)), strict=True):
            yield int(ids[q, j]), int(dist[q, j]), hashes.names[int(q)]

    def _hash_owner(self, hash_id: int) -> tuple[int, str]:
        row = self._db.execute("SELECT photo_id, window FROM hashes WHERE id = ?", (hash_id,)).fetchone()
        return int(row[0]), str(row[1])

    def _entries(self, photo_id: int, hit: tuple[int, str, str], key: str | None) -> Iterator[Match]:
        distance, query_name, stored_name = hit
        rows = self._db.execute(
            "SELECT p.key, p.quality, e.source, e.claim_id, e.submitter_id, e.added_at "
            "FROM entries e JOIN photos p ON p.id = e.photo_id WHERE e.photo_id = ?",
            (photo_id,),
        )
        for stored_key, quality, source, claim_id, submitter_id, added_at in rows:
            exact = key is not None and stored_key == key
            yield Match(
                key=stored_key,
                source=source,
                claim_id=claim_id,
                submitter_id=submitter_id,
                added_at=datetime.fromisoformat(added_at),
                distance=0 if exact else distance,
                query_hash="sha256" if exact else query_name,
                stored_hash="sha256" if exact else stored_name,
                quality=int(quality),
                exact=exact,
            )

    # ----- the faiss structure

    def _want_kind(self, total: int) -> FaissKind:
        return self._fixed_kind or ("ivf" if total >= IVF_FROM else "flat")

    def _load_faiss(self) -> Any:
        stored = self._db.execute("SELECT COUNT(*) FROM hashes").fetchone()[0]
        if self.path is not None and self._generation:
            faiss_file = self.path / f"gen-{self._generation}.faiss"
            try:
                loaded = faiss.read_index_binary(str(faiss_file))
            except RuntimeError as exc:  # faiss reports I/O and format errors as RuntimeError
                log.warning("rebuilding %s from the metadata store: %s", faiss_file, exc)
            else:
                if int(loaded.ntotal) == stored and loaded.d == HASH_BITS:
                    if isinstance(loaded, faiss.IndexBinaryIVF):
                        loaded.nprobe = IVF_PROBES  # files keep the setting they were saved with
                    return loaded
                log.warning(
                    "rebuilding %s: it holds %d hashes, the metadata store %d",
                    faiss_file,
                    loaded.ntotal,
                    stored,
                )
        return self._build(self._all_hashes())

    def _all_hashes(self) -> npt.NDArray[np.uint8]:
        rows = self._db.execute("SELECT hash FROM hashes ORDER BY id").fetchall()
        if not rows:
            return np.zeros((0, HASH_BYTES), np.uint8)
        return np.frombuffer(b"".join(r[0] for r in rows), dtype=np.uint8).reshape(-1, HASH_BYTES).copy()

    def _build(self, codes: npt.NDArray[np.uint8]) -> Any:
        index: Any
        faiss.omp_set_num_threads(1)  # see _nearest; k-means training under thread contention was 10x slower
        if self._want_kind(len(codes)) == "ivf" and len(codes) >= IVF_LISTS * 40:
            index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(HASH_BITS), HASH_BITS, IVF_LISTS)
            index.nprobe = IVF_PROBES
            index.cp.seed = 1234  # training is deterministic for a given set of hashes
            index.train(codes[:IVF_FROM])
        else:
            index = faiss.IndexBinaryFlat(HASH_BITS)
        if len(codes):
            index.add(codes)
        return index

    def _grow(self, codes: npt.NDArray[np.uint8]) -> None:
        if self.faiss_kind != self._want_kind(self.hash_count + len(codes)) and self.hash_count + len(
            codes
        ) >= (IVF_LISTS * 40):
            self._faiss = self._build(self._all_hashes())  # the new rows are already in SQLite
        else:
            self._faiss.add(codes)


def _check_hash_scheme_or_raise(db: sqlite3.Connection, path: Path | None) -> None:
    """Stamp a new index with HASH_SCHEME; refuse one whose stored hashes were made another way."""
    row = db.execute("SELECT v FROM meta WHERE k = 'hash_scheme'").fetchone()
    if row is None:
        if db.execute("SELECT 1 FROM photos LIMIT 1").fetchone() is None:
            with db:
                db.execute("INSERT INTO meta VALUES ('hash_scheme', ?)", (HASH_SCHEME,))
            return
        found = _UNRECORDED_SCHEME
    else:
        found = str(row[0])
    if found != HASH_SCHEME:
        db.close()
        where = "the reuse index" if path is None else str(path)
        raise IndexUnreadable(
            f"{where}: its photos were hashed with scheme {found!r}, but this version hashes with "
            f"{HASH_SCHEME!r}; hashes of different schemes do not compare, so searching it would miss "
            "copies. Rebuild the index by adding its photos again, or open it with the version that built it."
        )


def _write_faiss(index: Any, path: Path) -> None:
    faiss.write_index_binary(index, str(path))


def _read_current(path: Path) -> int:
    current = path / "CURRENT"
    if not current.exists():
        return 0
    try:
        return int(current.read_text("ascii").strip())
    except (OSError, ValueError) as exc:
        raise IndexUnreadable(f"{current}: {exc}") from exc


def _remove_stale(path: Path, generation: int) -> None:
    """Delete leftovers of other generations and interrupted saves."""
    keep = {f"gen-{generation}.sqlite", f"gen-{generation}.faiss", "CURRENT"}
    for child in path.iterdir():
        if child.name not in keep and (child.name.startswith("gen-") or child.name == "CURRENT.tmp"):
            with contextlib.suppress(OSError):
                child.unlink()
