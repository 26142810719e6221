"""Reuse index benchmark: 1M-hash lookup latency on one core, false matches on unrelated real photos,
and recall under resize/recompression/flip/rotation/crop.
Run: .venv/bin/python benchmarks/reuse_index_speed.py

Filler hashes are "random but realistic": drawn from a Gaussian fitted to PDQ's 16x16 DCT coefficients
of generated scenes (never the shared photos), thresholded at the median as PDQ does, 18 per photo.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pdqhash

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.index.test_store import crop, resize, scene  # noqa: E402

from shouhou.evidence.image import encode_image, load_image  # noqa: E402
from shouhou.evidence.signals.reuse import ReuseParams  # noqa: E402
from shouhou.index.hashing import INDEX_WINDOWS, PhotoHashes, index_hashes, query_hashes  # noqa: E402
from shouhou.index.store import Entry, ReuseIndex  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def realistic_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    coeffs = []
    for i in range(150):
        img = scene(50_000 + i)
        for k in range(4):
            x = np.ascontiguousarray(np.rot90(img, k) if k % 2 == 0 else img[:, ::-1])
            h, w = x.shape[:2]
            t, left = rng.uniform(0, 0.2, 2)
            for part in (x, x[int(t * h) :, int(left * w) :]):
                coeffs.append(pdqhash.compute_float(np.ascontiguousarray(part))[0])
    f = np.asarray(coeffs, np.float64)
    chol = np.linalg.cholesky(np.cov(f.T) + 1e-6 * np.eye(256)).astype(np.float32)
    mu = f.mean(0).astype(np.float32)
    out = []
    for start in range(0, n, 100_000):
        z = rng.standard_normal((min(100_000, n - start), 256)).astype(np.float32) @ chol.T + mu
        out.append(np.packbits(z > np.median(z, axis=1, keepdims=True), axis=1))
    return np.concatenate(out)


def real_photos() -> list[Path]:
    folders = [SHARED / "real" / "photos", SHARED / "real" / "pairs", SHARED / "ai"]
    return sorted(p for d in folders for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def jpeg(rgb: np.ndarray, quality: int) -> bytes:
    return encode_image(rgb, "JPEG", quality=quality)


def transforms(rgb: np.ndarray, rng: np.random.Generator) -> dict[str, bytes]:
    def cut(kind: str) -> np.ndarray:
        area = rng.uniform(0.05, 0.2)
        if kind == "side":
            w = [0.0] * 4
            w[rng.integers(4)] = area
            return crop(rgb, *w)
        if kind == "centre":
            c = (1 - np.sqrt(1 - area)) / 2
            return crop(rgb, c, c, c, c)
        f = rng.uniform(0.3, 0.7) if kind == "corner" else rng.uniform(0.2, 0.8)
        cx, cy = 1 - (1 - area) ** f, 1 - (1 - area) ** (1 - f)
        if kind == "corner":
            i = rng.integers(4)
            return crop(rgb, *[(cx, 0, cy, 0), (0, cx, cy, 0), (cx, 0, 0, cy), (0, cx, 0, cy)][i])
        sx, sy = rng.uniform(), rng.uniform()
        return crop(rgb, cx * sx, cx * (1 - sx), cy * sy, cy * (1 - sy))

    return {
        "resize 0.3-0.9": jpeg(resize(rgb, rng.uniform(0.3, 0.9)), 92),
        "recompress q60-95": jpeg(rgb, int(rng.integers(60, 96))),
        "flip h/v": jpeg(np.ascontiguousarray(rgb[:, ::-1] if rng.random() < 0.5 else rgb[::-1]), 92),
        "rotate 90": jpeg(np.ascontiguousarray(np.rot90(rgb, 1 if rng.random() < 0.5 else -1)), 92),
        "crop side <=20%": jpeg(cut("side"), 92),
        "crop centre <=20%": jpeg(cut("centre"), 92),
        "crop corner <=20%": jpeg(cut("corner"), 92),
        "crop any <=20%": jpeg(cut("any"), 92),
    }


def pair_min(q: np.ndarray, s: np.ndarray) -> int:
    return int(POP[q[:, None, :] ^ s[None, :, :]].sum(-1).min())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hashes", type=int, default=1_000_000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(2026)
    threshold = ReuseParams().max_distance
    paths = real_photos()
    print(f"{len(paths)} real photos (real/photos, real/pairs, ai); threshold {threshold} bits", flush=True)

    images = [load_image(p) for p in paths]
    stored = [index_hashes(im.preview) for im in images]
    queried = [query_hashes(im.preview) for im in images]

    # --- false matches between unrelated real photos (every ordered pair, all window pairs)
    n = len(images)
    dmin = np.full((n, n), 999)
    for i in range(n):
        for j in range(n):
            if i != j and stored[j].reliable and queried[i].reliable:
                dmin[i, j] = pair_min(queried[i].hashes, stored[j].hashes)
    names = [p.name for p in paths]
    same_scene = np.zeros((n, n), bool)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            same_scene[i, j] = (
                i != j and "pairs" in str(paths[i]) and "pairs" in str(paths[j]) and (a[:-5] == b[:-5])
            )
    off = ~np.eye(n, dtype=bool) & ~same_scene
    fp = (dmin[off] <= threshold).mean()
    print(f"unreliable (PDQ quality < 50): {sum(not s.reliable for s in stored)} of {n}")
    print(
        f"unrelated ordered pairs: {off.sum()}, false matches at <= {threshold}: "
        f"{(dmin[off] <= threshold).sum()} (rate {fp:.5f}); smallest distance {dmin[off].min()}; "
        f"0.1% quantile {np.quantile(dmin[off], 0.001):.0f}"
    )
    print(
        f"same-scene re-shot pairs (pairs/ A-B, different photos): {same_scene.sum()}, matched "
        f"{(dmin[same_scene] <= threshold).sum()}; distances {sorted(dmin[same_scene].tolist())[:8]} ..."
    )

    # --- the 1M index: filler plus the real photos
    t0 = time.perf_counter()
    filler = realistic_hashes(args.hashes - sum(len(s) for s in stored), rng)
    t_gen = time.perf_counter() - t0
    per = len(INDEX_WINDOWS)
    window_names = tuple(INDEX_WINDOWS)
    idx = ReuseIndex.open(None)
    t0 = time.perf_counter()
    idx.add_many(
        (
            PhotoHashes(filler[k : k + per], window_names[: len(filler[k : k + per])], 90),
            Entry(key=f"filler{k}"),
        )
        for k in range(0, len(filler), per)
    )
    idx.add_many(
        (s, Entry(key=im.sha256, claim_id=f"c{i}"))
        for i, (s, im) in enumerate(zip(stored, images, strict=True))
    )
    t_build = time.perf_counter() - t0
    print(
        f"index: {idx.hash_count} hashes, {len(idx)} photos, faiss {idx.faiss_kind}; "
        f"filler drawn in {t_gen:.1f}s, built in {t_build:.1f}s",
        flush=True,
    )

    # --- timing and recall on transformed copies
    hash_ms, look_ms, decode_ms = [], [], []
    recall: dict[str, list[bool]] = {}
    false_hits = {"filler": 0, "same-scene re-shot": 0, "other real photo": 0}
    scene_of = {
        im.sha256: p.name[:-5] if "pairs" in str(p) else im.sha256
        for p, im in zip(paths, images, strict=True)
    }
    for path, im in zip(paths, images, strict=True):
        rgb = im.pixels
        for name, raw in transforms(rgb, rng).items():
            t0 = time.perf_counter()
            q = load_image(raw, name="q.jpg")
            t1 = time.perf_counter()
            qh = query_hashes(q.preview)
            t2 = time.perf_counter()
            found = idx.search(qh, max_distance=threshold)
            t3 = time.perf_counter()
            decode_ms.append((t1 - t0) * 1e3)
            hash_ms.append((t2 - t1) * 1e3)
            look_ms.append((t3 - t2) * 1e3)
            recall.setdefault(name, []).append(any(m.key == im.sha256 for m in found))
            for m in found:
                if m.key.startswith("filler"):
                    false_hits["filler"] += 1
                elif m.key != im.sha256:
                    same = scene_of.get(m.key) == scene_of[im.sha256] and "pairs" in str(path)
                    false_hits["same-scene re-shot" if same else "other real photo"] += 1
    total = np.array(hash_ms) + np.array(look_ms)
    print("\n| measure | mean | p95 |\n|---|---|---|")
    for label, v in (
        ("decode to preview (ms, ≤1 MP inputs)", decode_ms),
        ("PDQ query hashes (ms)", hash_ms),
        (f"lookup in {idx.hash_count:,} hashes (ms)", look_ms),
        ("hash + lookup (ms)", total),
    ):
        print(f"| {label} | {np.mean(v):.2f} | {np.quantile(v, 0.95):.2f} |")
    print("\n| transform | recall | n |\n|---|---|---|")
    for name, hits in recall.items():
        print(f"| {name} | {np.mean(hits):.3f} | {len(hits)} |")
    print(
        f"\nwrong photos returned, by kind: {false_hits} "
        f"over {len(hash_ms)} queries"
    )
    print(
        f"faiss search: IndexBinary{idx.faiss_kind.upper()} , cores: {os.sched_getaffinity(0)}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
