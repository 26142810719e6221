"""The reuse index: robustness of lookups, idempotent adds, persistence and crash-safe saves."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from shouhou.errors import IndexUnreadable
from shouhou.evidence.image import PreparedImage
from shouhou.index import store as store_module
from shouhou.index.hashing import HASH_BYTES, HASH_SCHEME, INDEX_WINDOWS, PhotoHashes
from shouhou.index.store import Entry, ReuseIndex
from tests.conftest import prepared, sample

MAX_DISTANCE = 48  # ReuseParams.max_distance
INDEXED = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "hubble_deep_field")
UNRELATED = ("camera", "immunohistochemistry", "coins", "clock", "moon")


def scene(seed: int, h: int = 384, w: int = 512) -> np.ndarray:
    """A generated photo-like picture: 1/f textured background, a light gradient and shaded shapes."""
    rng = np.random.default_rng(seed)
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        spec = (rng.normal(size=(h, w)) + 1j * rng.normal(size=(h, w))) / f ** rng.uniform(1.0, 1.6)
        noise = np.real(np.fft.ifft2(spec))
        img[..., c] = (noise - noise.mean()) / (noise.std() + 1e-6) * rng.uniform(10, 35)
    img += rng.uniform(60, 200, 3) + (np.linspace(0, 1, h)[:, None] * rng.uniform(-120, 120))[..., None]
    for _ in range(int(rng.integers(3, 12))):
        mask = np.zeros((h, w), np.uint8)
        cx, cy = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        kind = int(rng.integers(3))
        if kind == 0:
            axes = (int(rng.uniform(10, w / 3)), int(rng.uniform(10, h / 3)))
            cv2.ellipse(mask, (cx, cy), axes, rng.uniform(0, 180), 0, 360, 255, -1)
        elif kind == 1:
            pts = rng.uniform([0, 0], [w, h], size=(int(rng.integers(3, 7)), 2)).astype(np.int32)
            cv2.fillPoly(mask, [pts], 255)
        else:
            cv2.rectangle(
                mask, (cx, cy), (cx + int(rng.uniform(10, w / 2)), cy + int(rng.uniform(10, h / 2))), 255, -1
            )
        m = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), rng.uniform(0.5, 3))[..., None]
        shade = np.linspace(rng.uniform(0.6, 1), rng.uniform(0.6, 1.2), w)[None, :, None]
        img = img * (1 - m) + (rng.uniform(0, 255, 3) * shade + img * 0.3 - img.mean() * 0.3) * m
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.2)) + rng.normal(0, rng.uniform(1, 4), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def originals() -> dict[str, np.ndarray]:
    photos = {name: sample(name) for name in INDEXED}
    photos.update({f"scene{i}": scene(i) for i in range(6)})
    return photos


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return originals()


@pytest.fixture(scope="module")
def index(photos: dict[str, np.ndarray]) -> ReuseIndex:
    idx = ReuseIndex.open(None)
    for i, (name, rgb) in enumerate(photos.items()):
        idx.add(prepared(rgb), key=name, source="claim", claim_id=f"c{i}", submitter_id=f"u{i}")
    return idx


def crop(rgb: np.ndarray, left: float, right: float, top: float, bottom: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(
        rgb[round(top * h) : h - round(bottom * h), round(left * w) : w - round(right * w)]
    )


def resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.asarray(
        Image.fromarray(rgb).resize(
            (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS
        )
    )


def best_key(idx: ReuseIndex, image: PreparedImage) -> str | None:
    found = idx.search(image, max_distance=MAX_DISTANCE)
    return found[0].key if found else None


def _area_cut(area: float, *, sides: str) -> tuple[float, float, float, float]:
    """Cut `area` of the frame off the named sides ("l", "lt", "lrtb", ...), equally per axis."""
    axes = {"x": sum(s in sides for s in "lr"), "y": sum(s in sides for s in "tb")}
    keep = (1 - area) ** (1 / sum(1 for n in axes.values() if n))  # per cut axis
    per = {k: (1 - keep) / n if n else 0.0 for k, n in axes.items()}
    return (
        per["x"] if "l" in sides else 0.0,
        per["x"] if "r" in sides else 0.0,
        per["y"] if "t" in sides else 0.0,
        per["y"] if "b" in sides else 0.0,
    )


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    **{f"resize-{s}": (lambda a, s=s: resize(a, s)) for s in (0.3, 0.5, 0.75, 1.0)},
    "flip-horizontal": lambda a: np.ascontiguousarray(a[:, ::-1]),
    "flip-vertical": lambda a: np.ascontiguousarray(a[::-1]),
    "rotate-90": lambda a: np.ascontiguousarray(np.rot90(a)),
    **{
        f"crop-{int(area * 100)}-{sides}": (
            lambda a, area=area, sides=sides: crop(a, *_area_cut(area, sides=sides))
        )
        for area in (0.05, 0.1, 0.15, 0.2)
        for sides in ("l", "r", "t", "b", "lrtb", "lt", "rb")
    },
    "crop-12-offcentre": lambda a: crop(a, 0.02, 0.05, 0.04, 0.01),
    "crop-18-lopsided": lambda a: crop(a, 0.09, 0.01, 0.0, 0.07),
    "flip-crop-15-lopsided": lambda a: np.ascontiguousarray(crop(a, 0.02, 0.08, 0.06, 0.01)[:, ::-1]),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transformed_copies_are_found(
    index: ReuseIndex, photos: dict[str, np.ndarray], transform: str
) -> None:
    missed = [
        name for name, rgb in photos.items() if best_key(index, prepared(TRANSFORMS[transform](rgb))) != name
    ]
    assert not missed, f"{transform}: not found for {missed}"


@pytest.mark.parametrize("quality", [60, 75, 95])
def test_recompressed_copies_are_found(
    index: ReuseIndex, photos: dict[str, np.ndarray], quality: int
) -> None:
    for name, rgb in photos.items():
        assert best_key(index, prepared(rgb, quality=quality)) == name


def test_unrelated_photos_are_not_found(index: ReuseIndex) -> None:
    unrelated = [sample(n) for n in UNRELATED] + [scene(100 + i) for i in range(25)]
    for rgb in unrelated:
        assert index.search(prepared(rgb), max_distance=MAX_DISTANCE) == []


def test_same_key_and_claim_is_idempotent() -> None:
    idx = ReuseIndex.open(None)
    img = prepared(sample("astronaut"))
    assert idx.add(img, claim_id="c1", submitter_id="u1")
    hashes = idx.hash_count
    assert not idx.add(img, claim_id="c1", submitter_id="u1")
    assert (len(idx), idx.entry_count, idx.hash_count) == (1, 1, hashes)
    assert idx.add(img, claim_id="c2", submitter_id="u2")  # the same photo in another claim: a new entry
    assert (len(idx), idx.entry_count, idx.hash_count) == (1, 2, hashes)
    assert idx.add(img, claim_id=None) and not idx.add(img, claim_id=None)
    found = idx.search(img, max_distance=MAX_DISTANCE)
    assert {m.claim_id for m in found} == {"c1", "c2", None} and all(
        m.exact and m.distance == 0 for m in found
    )


def test_flat_photo_is_recorded_but_matched_by_bytes_only() -> None:
    idx = ReuseIndex.open(None)
    flat = prepared(np.full((200, 300, 3), 90, np.uint8))
    idx.add(flat, claim_id="c1")
    assert idx.hash_count == 0 and len(idx) == 1
    assert [m.exact for m in idx.search(flat, max_distance=MAX_DISTANCE)] == [True]
    other_flat = prepared(np.full((200, 300, 3), 91, np.uint8))
    assert idx.search(other_flat, max_distance=MAX_DISTANCE) == []


def test_bare_hashes_need_a_key() -> None:
    idx = ReuseIndex.open(None)
    with pytest.raises(ValueError, match="key"):
        idx.add(PhotoHashes(np.zeros((1, HASH_BYTES), np.uint8), ("whole",), 90))


def _filled(path: Path | None) -> ReuseIndex:
    idx = ReuseIndex.open(path)
    idx.add(
        prepared(sample("astronaut")),
        key="a",
        claim_id="c1",
        submitter_id="u1",
        added_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    idx.add(prepared(sample("coffee")), key="b", source="catalog")
    return idx


def test_persistence_round_trip(tmp_path: Path) -> None:
    idx = _filled(tmp_path / "idx")
    idx.save()
    idx.close()
    reopened = ReuseIndex.open(tmp_path / "idx")
    assert (len(reopened), reopened.entry_count, reopened.hash_count) == (2, 2, 2 * len(INDEX_WINDOWS))
    found = reopened.search(prepared(resize(sample("astronaut"), 0.5)), max_distance=MAX_DISTANCE)
    assert [(m.key, m.claim_id, m.submitter_id, m.added_at.year) for m in found] == [("a", "c1", "u1", 2026)]
    reopened.add(prepared(sample("chelsea")), key="c", claim_id="c3")
    reopened.save()
    again = ReuseIndex.open(tmp_path / "idx")
    assert len(again) == 3 and best_key(again, prepared(sample("chelsea"))) == "c"
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == ["CURRENT", "gen-2.faiss", "gen-2.sqlite"]


def test_crash_mid_save_keeps_the_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = _filled(tmp_path / "idx")
    idx.save()
    idx.add(prepared(sample("chelsea")), key="c", claim_id="c3")

    def crash(index: object, path: Path) -> None:
        path.write_bytes(b"half a faiss file")
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_write_faiss", crash)
    with pytest.raises(OSError, match="disk full"):
        idx.save()
    monkeypatch.undo()
    survivor = ReuseIndex.open(tmp_path / "idx")
    assert len(survivor) == 2 and best_key(survivor, prepared(sample("chelsea"))) is None
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == ["CURRENT", "gen-1.faiss", "gen-1.sqlite"]
    idx.save()  # the interrupted writer can still save once the fault is gone
    assert len(ReuseIndex.open(tmp_path / "idx")) == 3


def test_missing_or_damaged_faiss_file_is_rebuilt(tmp_path: Path) -> None:
    idx = _filled(tmp_path / "idx")
    idx.save()
    (tmp_path / "idx" / "gen-1.faiss").write_bytes(b"garbage")
    reopened = ReuseIndex.open(tmp_path / "idx")
    assert reopened.hash_count == 2 * len(INDEX_WINDOWS)
    assert best_key(reopened, prepared(sample("coffee"))) == "b"


def _set_scheme(db_file: Path, scheme: str | None) -> None:
    con = sqlite3.connect(db_file)
    with con:
        con.execute("DELETE FROM meta WHERE k = 'hash_scheme'")
        if scheme is not None:
            con.execute("INSERT INTO meta VALUES ('hash_scheme', ?)", (scheme,))
    con.close()


def test_index_records_its_hash_scheme_and_refuses_another(tmp_path: Path) -> None:
    idx = _filled(tmp_path / "idx")
    idx.save()
    idx.close()
    db_file = tmp_path / "idx" / "gen-1.sqlite"
    con = sqlite3.connect(db_file)
    assert con.execute("SELECT v FROM meta WHERE k = 'hash_scheme'").fetchone() == (HASH_SCHEME,)
    con.close()
    _set_scheme(db_file, "pdq-someday-9")
    with pytest.raises(IndexUnreadable, match=r"pdq-someday-9.*do not compare"):
        ReuseIndex.open(tmp_path / "idx")
    _set_scheme(db_file, None)  # written before schemes were recorded: the old 18-window scheme
    with pytest.raises(IndexUnreadable, match="pdq128-windows-1"):
        ReuseIndex.open(tmp_path / "idx")


def test_empty_index_without_a_scheme_is_stamped(tmp_path: Path) -> None:
    idx = ReuseIndex.open(tmp_path / "idx")
    idx.add(PhotoHashes(np.zeros((0, HASH_BYTES), np.uint8), (), 0), key="flat")
    idx.save()
    idx.close()
    db_file = tmp_path / "idx" / "gen-1.sqlite"
    con = sqlite3.connect(db_file)
    with con:
        con.execute("DELETE FROM photos")
        con.execute("DELETE FROM entries")
    con.close()
    _set_scheme(db_file, None)
    reopened = ReuseIndex.open(tmp_path / "idx")
    reopened.add(prepared(sample("coffee")), key="b")
    reopened.save()
    assert best_key(ReuseIndex.open(tmp_path / "idx"), prepared(sample("coffee"))) == "b"


def test_in_memory_save_is_a_no_op() -> None:
    idx = _filled(None)
    idx.save()
    assert len(idx) == 2


@pytest.mark.slow
def test_large_index_switches_to_ivf_and_still_finds(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    idx = ReuseIndex.open(tmp_path / "big")
    idx.add(prepared(sample("rocket")), key="rocket", claim_id="c1")
    n = store_module.IVF_FROM // 10 + 1
    filler = (
        (
            PhotoHashes(rng.integers(0, 256, (10, HASH_BYTES), dtype=np.uint8), ("whole",) * 10, 90),
            Entry(key=f"k{i}"),
        )
        for i in range(n)
    )
    idx.add_many(filler)
    assert idx.faiss_kind == "ivf"
    assert best_key(idx, prepared(crop(sample("rocket"), 0.1, 0, 0, 0))) == "rocket"
    idx.save()
    reopened = ReuseIndex.open(tmp_path / "big")
    assert reopened._faiss.nprobe == store_module.IVF_PROBES
    assert (
        reopened.faiss_kind == "ivf"
        and best_key(reopened, prepared(resize(sample("rocket"), 0.5))) == "rocket"
    )


def test_jpeg_helper_round_trip() -> None:
    buf = io.BytesIO()
    Image.fromarray(sample("coffee")).save(buf, "JPEG", quality=80)
    assert prepared(buf.getvalue()).format == "JPEG"
