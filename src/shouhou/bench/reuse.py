"""Reuse benchmark: is a resized, recompressed, flipped or cropped copy of an indexed photo found, and how
often does an unrelated photo match? Fits the reuse index's distance on the calibration split.

The engine side goes through the real `ReuseIndex` (what users get); false matches are counted over every
(query, stored photo of another scene) pair by exact minimum Hamming distance. The baseline is a plain
64-bit pHash of the whole frame, as image-dedup tools use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from shouhou.bench.cases import _read_rgb, _stored, final_save
from shouhou.bench.sources import SourcePhoto, Split
from shouhou.evidence.image import load_image
from shouhou.evidence.synth import postprocess as pp
from shouhou.index.hashing import PhotoHashes, index_hashes, min_distance, query_hashes

RGB = Any


def _crop(rgb: RGB, left: float, right: float, top: float, bottom: float) -> RGB:
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(
        rgb[round(top * h) : h - round(bottom * h), round(left * w) : w - round(right * w)]
    )


def random_crop(kind: str, rgb: RGB, rng: np.random.Generator) -> RGB:
    """A crop removing 2-20% of the area: one side (`side`), all four equally (`centre`), one corner kept
    (`corner`), or a random cut on all four sides (`mixed`: each axis's share of the area drawn from
    30-70%, each axis's cut split at random between its two sides)."""
    area = float(rng.uniform(0.02, 0.20))
    if kind == "side":
        cuts = [0.0] * 4
        cuts[int(rng.integers(4))] = area
        return _crop(rgb, *cuts)
    if kind == "centre":
        c = (1 - math.sqrt(1 - area)) / 2
        return _crop(rgb, c, c, c, c)
    f = float(rng.uniform(0.3, 0.7))
    cx, cy = 1 - (1 - area) ** f, 1 - (1 - area) ** (1 - f)
    if kind == "corner":
        options = [(cx, 0, cy, 0), (0, cx, cy, 0), (cx, 0, 0, cy), (0, cx, 0, cy)]
        return _crop(rgb, *options[int(rng.integers(4))])
    if kind != "mixed":
        raise ValueError(f"unknown crop kind {kind!r}")
    sx, sy = float(rng.uniform()), float(rng.uniform())
    return _crop(rgb, cx * sx, cx * (1 - sx), cy * sy, cy * (1 - sy))


TRANSFORMS: Final[dict[str, Callable[[RGB, np.random.Generator], RGB]]] = {
    "resize": lambda x, r: pp.resize(x, float(r.uniform(0.3, 1.0))).image,
    "recompress": lambda x, r: pp.jpeg(x, int(r.integers(60, 96))).image,
    "flip": lambda x, r: np.ascontiguousarray(x[:, ::-1]),
    "crop_side": lambda x, r: random_crop("side", x, r),
    "crop_centre": lambda x, r: random_crop("centre", x, r),
    "crop_corner": lambda x, r: random_crop("corner", x, r),
    "crop_mixed": lambda x, r: random_crop("mixed", x, r),
    "crop_resize_recompress": lambda x, r: (
        pp.jpeg(
            pp.resize(random_crop("mixed", x, r), float(r.uniform(0.5, 1.0))).image, int(r.integers(60, 96))
        ).image
    ),
}
# Transforms the acceptance target (recall >= 0.99) covers; the others are reported for information.
TARGET_TRANSFORMS: Final = (
    "resize",
    "recompress",
    "flip",
    "crop_side",
    "crop_centre",
    "crop_corner",
    "crop_mixed",
)


@dataclass
class ReuseData:
    split: Split
    stored_key: list[str]
    query_key: list[str]
    stored_scene: list[str]
    stored_hashes: list[PhotoHashes]
    stored_phash: list[np.ndarray]
    query_scene: list[str]
    query_transform: list[str]
    query_hashes: list[PhotoHashes]
    query_phash: list[np.ndarray]

    def distances(self) -> np.ndarray:
        """(queries, stored) matrix of minimum PDQ Hamming distances."""
        return np.array([[min_distance(q, s) for s in self.stored_hashes] for q in self.query_hashes])

    def phash_distances(self) -> np.ndarray:
        q = np.array(self.query_phash, bool)
        s = np.array(self.stored_phash, bool)
        return np.asarray((q[:, None, :] != s[None, :, :]).sum(axis=2), dtype=np.int64)


def build(sources: list[SourcePhoto], split: Split, seed: int, *, limit: int | None = None) -> ReuseData:
    from shouhou.bench.baselines import phash_bits

    mine = [s for s in sources if s.split == split][:limit]
    rng = np.random.default_rng([seed, 7, 0 if split == "calibration" else 1])
    data = ReuseData(split, [], [], [], [], [], [], [], [], [])
    for s in mine:
        stored_rgb, stored_file = _stored(_read_rgb(str(s.path)))
        stored = load_image(stored_file)
        data.stored_key.append(s.key)
        data.stored_scene.append(s.scene)
        data.stored_hashes.append(index_hashes(stored.preview))
        data.stored_phash.append(phash_bits(stored.pixels))
        for name, fn in TRANSFORMS.items():
            query = load_image(final_save(fn(stored_rgb, rng), rng))
            data.query_key.append(s.key)
            data.query_scene.append(s.scene)
            data.query_transform.append(name)
            data.query_hashes.append(query_hashes(query.preview))
            data.query_phash.append(phash_bits(query.pixels))
    return data


def _unrelated_mask(data: ReuseData) -> np.ndarray:
    qs = np.array(data.query_scene)[:, None]
    ss = np.array(data.stored_scene)[None, :]
    return np.asarray(qs != ss)


def fit_max_distance(data: ReuseData, distances: np.ndarray, *, max_fmr: float, ceiling: int) -> int:
    """The middle of the gap between copies and unrelated photos, never past the largest distance whose
    false-match rate on unrelated pairs stays within `max_fmr` (the gap's middle leaves room both ways)."""
    unrelated = distances[_unrelated_mask(data)]
    limit = 0
    for d in range(ceiling + 1):
        if float((unrelated <= d).mean()) <= max_fmr:
            limit = d
    own = own_distances(data, distances)
    targets = np.isin(np.array(data.query_transform), TARGET_TRANSFORMS)
    copies = own[targets & (own <= limit)]
    if copies.size == 0 or unrelated.size == 0:
        return limit
    gap_low, gap_high = int(copies.max()), int(unrelated.min())
    return min(limit, (gap_low + gap_high) // 2) if gap_low < gap_high else limit


def evaluate(data: ReuseData, distances: np.ndarray, max_distance: int) -> dict[str, Any]:
    from shouhou.bench.metrics import wilson_interval

    unrelated = _unrelated_mask(data)
    found = _found_via_index(data, max_distance)
    transforms = np.array(data.query_transform)
    recall: dict[str, dict[str, Any]] = {}
    for name in TRANSFORMS:
        sel = transforms == name
        k, n = int(found[sel].sum()), int(sel.sum())
        lo, hi = wilson_interval(k, n)
        recall[name] = {
            "recall": round(k / n, 4) if n else None,
            "k": k,
            "n": n,
            "ci95": [round(lo, 4), round(hi, 4)],
        }
    fm = distances[unrelated] <= max_distance
    lo, hi = wilson_interval(int(fm.sum()), int(fm.size))
    return {
        "max_distance": max_distance,
        "recall_by_transform": recall,
        "false_match_rate": {
            "value": round(float(fm.mean()), 6) if fm.size else None,
            "k": int(fm.sum()),
            "n_pairs": int(fm.size),
            "ci95": [round(lo, 6), round(hi, 6)],
        },
        "target_transforms_min_recall": _worst(recall),
    }


def _found_via_index(data: ReuseData, max_distance: int) -> np.ndarray:
    """Whether the real index, searched as the reuse signal searches it, returns each query's own photo."""
    from shouhou.index.store import Entry, ReuseIndex

    index = ReuseIndex.open(None)
    try:
        index.add_many(
            (h, Entry(key=k, source="catalog"))
            for h, k in zip(data.stored_hashes, data.stored_key, strict=True)
        )
        found = []
        for q, own in zip(data.query_hashes, data.query_key, strict=True):
            hits = index.search(q, max_distance=max_distance, limit=len(data.stored_key))
            found.append(any(m.key == own for m in hits))
        return np.array(found, bool)
    finally:
        index.close()


def _worst(recall: dict[str, dict[str, Any]]) -> float | None:
    values = [
        float(v["recall"]) for t, v in recall.items() if t in TARGET_TRANSFORMS and v["recall"] is not None
    ]
    return min(values) if values else None


def _own_mask(data: ReuseData) -> np.ndarray:
    """Each query's own stored photo (pair scenes store two captures; the other is neither own nor
    unrelated: a re-shot is not a copy, and its matches are reported apart)."""
    return np.asarray(np.array(data.stored_key)[None, :] == np.array(data.query_key)[:, None])


def same_scene_matches(data: ReuseData, distances: np.ndarray, max_distance: int) -> dict[str, int]:
    other = (np.array(data.stored_scene)[None, :] == np.array(data.query_scene)[:, None]) & ~_own_mask(data)
    return {"pairs": int(other.sum()), "matched": int((distances[other] <= max_distance).sum())}


def own_distances(data: ReuseData, distances: np.ndarray) -> np.ndarray:
    own = _own_mask(data)
    return np.array([distances[i][own[i]].min() for i in range(len(distances))])


def evaluate_phash(data: ReuseData, max_distance: int) -> dict[str, Any]:
    """The same recall and false-match numbers for a whole-frame 64-bit pHash at a fitted distance."""
    from shouhou.bench.metrics import wilson_interval

    d = data.phash_distances()
    own = _own_mask(data)
    found = np.array([d[i][own[i]].min() <= max_distance for i in range(len(d))])
    transforms = np.array(data.query_transform)
    recall: dict[str, dict[str, Any]] = {}
    for name in TRANSFORMS:
        sel = transforms == name
        k, n = int(found[sel].sum()), int(sel.sum())
        recall[name] = {"recall": round(k / n, 4) if n else None, "k": k, "n": n}
    fm = d[_unrelated_mask(data)] <= max_distance
    lo, hi = wilson_interval(int(fm.sum()), int(fm.size))
    return {
        "max_distance": max_distance,
        "recall_by_transform": recall,
        "false_match_rate": {
            "value": round(float(fm.mean()), 6),
            "k": int(fm.sum()),
            "n_pairs": int(fm.size),
            "ci95": [round(lo, 6), round(hi, 6)],
        },
        "target_transforms_min_recall": _worst(recall),
    }
