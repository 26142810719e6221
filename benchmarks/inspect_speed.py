"""Speed of `shouhou inspect` in one warm process pinned to one core.

Measures (a) the full tier on a 12-megapixel phone JPEG against 5 references (≤ 3 MP, features cached
when the reference is added), with a per-signal breakdown, and (b) the fast tier (provenance metadata,
C2PA, reuse lookup in an index of 1,000,000 hashes) in photos per second on 12-MP JPEGs.

    .venv/bin/python benchmarks/inspect_speed.py [--data ../shared/data] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image

from shouhou.config import Settings
from shouhou.evidence.engine import Engine
from shouhou.evidence.image import load_image
from shouhou.evidence.item import ScreenContext
from shouhou.evidence.model import Tier
from shouhou.evidence.references import ReferenceLibrary
from shouhou.evidence.synth.damage import add_crack
from shouhou.index.hashing import INDEX_WINDOWS, PhotoHashes
from shouhou.index.store import Entry, ReuseIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reuse_index_speed import realistic_hashes

TWELVE_MP = (4000, 3000)


def phone_jpeg(src: Path, size: tuple[int, int], quality: int = 92) -> bytes:
    """A 4:3 phone-like JPEG with camera EXIF, made from a real photo (centre crop, resized)."""
    rgb = np.asarray(Image.open(src).convert("RGB"))
    h, w = rgb.shape[:2]
    target = size[0] / size[1]
    if w / h > target:
        cw = int(h * target)
        rgb = rgb[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = int(w / target)
        rgb = rgb[(h - ch) // 2 : (h - ch) // 2 + ch]
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
    return encode_with_exif(rgb, quality)


def encode_with_exif(rgb: np.ndarray, quality: int) -> bytes:
    import io

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Xiaomi"
    exif[ExifTags.Base.Model] = "23127PN0CC"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:11:21 10:00:00"
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--fast-photos", type=int, default=40)
    parser.add_argument("--index-size", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    photos = sorted((args.data / "real" / "photos").glob("*.jpg"))
    work = Path(tempfile.mkdtemp(prefix="shouhou-speed-"))
    settings = Settings(home=work)

    # --- full tier: one 12 MP claim derived from reference 3 (crack added), 5 references ≤ 3 MP
    refs_src = photos[:5]
    library = ReferenceLibrary(settings.reference_cache_dir, settings.limits)
    ref_bytes = [phone_jpeg(p, (2000, 1500), 90) for p in refs_src]
    t0 = time.perf_counter()
    references = [library.add(b, name=f"ref{i}.jpg") for i, b in enumerate(ref_bytes)]
    ref_add_s = time.perf_counter() - t0
    ref_rgb = load_image(ref_bytes[3]).pixels
    cracked = add_crack(ref_rgb, seed=1, strength=0.8).image
    claim = encode_with_exif(cv2.resize(cracked, TWELVE_MP, interpolation=cv2.INTER_CUBIC), 90)
    engine = Engine(settings, tier=Tier.FULL, index=ReuseIndex.open(None), record=False)
    engine.screen(claim, name="claim.jpg", references=references)  # warm-up
    totals, decode, per_signal = [], [], {}
    for _ in range(args.runs):
        t = time.perf_counter()
        _, result = engine.screen(claim, name="claim.jpg", references=references, context=ScreenContext())
        totals.append(time.perf_counter() - t)
        t1 = time.perf_counter()
        load_image(claim, name="c.jpg").pixels  # noqa: B018 — the full decode on its own
        decode.append(time.perf_counter() - t1)
        for f in result.findings:
            per_signal.setdefault(f.signal, []).append(f.seconds)
    full = {
        "claim": f"{TWELVE_MP[0]}x{TWELVE_MP[1]} JPEG q90",
        "references": "5 x 2000x1500 JPEG, features cached",
        "risk": result.risk,
        "matched_reference": result.matched_reference,
        "seconds_mean": statistics.mean(totals),
        "seconds_p95": float(np.percentile(totals, 95)),
        "full_decode_seconds_mean": statistics.mean(decode),
        "by_signal_mean": {k: statistics.mean(v) for k, v in per_signal.items()},
        "reference_add_seconds_each": ref_add_s / len(references),
    }

    # --- fast tier: 12 MP JPEGs, index of N hashes
    index = ReuseIndex.open(None)
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    filler = realistic_hashes(args.index_size, rng)
    per, names = len(INDEX_WINDOWS), tuple(INDEX_WINDOWS)
    index.add_many(
        (PhotoHashes(filler[k : k + per], names[: len(filler[k : k + per])], 90), Entry(key=f"filler{k}"))
        for k in range(0, len(filler), per)
    )
    build_s = time.perf_counter() - t
    fast_engine = Engine(settings, tier=Tier.FAST, index=index, record=False)
    fast_inputs = [
        phone_jpeg(photos[i % len(photos)], TWELVE_MP, 90) for i in range(min(args.fast_photos, 12))
    ]
    fast_engine.screen(fast_inputs[0], name="w.jpg")
    times, fast_signal = [], {}
    for i in range(args.fast_photos):
        raw = fast_inputs[i % len(fast_inputs)]
        t = time.perf_counter()
        _, r = fast_engine.screen(raw, name=f"f{i}.jpg")
        times.append(time.perf_counter() - t)
        for f in r.findings:
            fast_signal.setdefault(f.signal, []).append(f.seconds)
    fast = {
        "photos": args.fast_photos,
        "index_hashes": index.hash_count, "index_photos": len(index),
        "index_build_seconds": build_s,
        "seconds_per_photo_mean": statistics.mean(times),
        "seconds_per_photo_p95": float(np.percentile(times, 95)),
        "photos_per_second": 1.0 / statistics.mean(times),
        "by_signal_mean": {k: statistics.mean(v) for k, v in fast_signal.items()},
    }
    report = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cores_used": 1,
        "full_tier": full,
        "fast_tier": fast,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "inspect_speed.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
