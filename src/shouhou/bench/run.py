"""Run the screening engine and the baselines on benchmark cases, in worker processes.

Each worker builds its cases from their specs, screens them with one warm engine, scores localisation
against the true mask, and returns a flat, JSON-ready record per case (no pixels cross processes).
"""

from __future__ import annotations

import hashlib
import logging
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from shouhou.bench.cases import Case, CaseSpec, build_case

log = logging.getLogger(__name__)

_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class RunConfig:
    thresholds_file: str | None
    baselines: bool = True
    features_dir: str | None = None  # reference-feature cache of this run (run_cases makes one when None)


def _init(config: RunConfig) -> None:
    # One thread per worker: the benchmark parallelises over cases, and oversubscribed OpenMP/OpenCV
    # threads would distort the per-signal times it reports.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)
    logging.getLogger("shouhou").setLevel(logging.ERROR)
    from shouhou.config import Settings
    from shouhou.evidence.engine import Engine

    settings = Settings(
        home=Path(os.environ.get("TMPDIR", "/tmp")) / "shouhou-bench",
        thresholds_file=Path(config.thresholds_file) if config.thresholds_file else None,
    )
    _STATE["engine"] = Engine(settings, record=False)
    _STATE["config"] = config
    # One cache folder per worker: two processes never write the same cache file.
    root = Path(config.features_dir) if config.features_dir else settings.home / "reference-features"
    _STATE["features"] = root / str(os.getpid())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(spec: CaseSpec) -> dict[str, Any]:
    """Screen one case; never raises (a failure is recorded on the case)."""
    try:
        return _run_case(spec)
    except Exception as exc:  # one broken case must not stop a 40-minute run; it is counted and shown
        log.exception("case %s failed", spec.id)
        return {**_spec_fields(spec), "error": f"{type(exc).__name__}: {exc}"}


def _spec_fields(spec: CaseSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "split": spec.split,
        "kind": spec.kind,
        "family": spec.family,
        "strength": spec.strength,
        "labelled": spec.labelled,
        "source": Path(spec.source).name,
        "reference": Path(spec.reference).name if spec.reference else None,
    }


def _run_case(spec: CaseSpec) -> dict[str, Any]:
    from shouhou.evidence.item import ScreenContext
    from shouhou.evidence.references import ReferenceLibrary

    engine = _STATE["engine"]
    config: RunConfig = _STATE["config"]
    case = build_case(spec)
    # Features are cached by content as in production, so a reference shared by many cases is extracted
    # once; the extraction time is recorded where it ran.
    library = ReferenceLibrary(_STATE["features"], engine.settings.limits)
    fresh = [_uncached(library, data) for data in case.references]
    started = time.perf_counter()
    refs = [library.add(data, name=f"reference-{i + 1}.jpg") for i, data in enumerate(case.references)]
    ref_seconds = time.perf_counter() - started if any(fresh) else None
    started = time.perf_counter()
    suffix = ".png" if case.claim[:4] == b"\x89PNG" else ".jpg"
    item, screening = engine.screen(
        case.claim, name=f"{spec.id}{suffix}", references=refs, context=ScreenContext(claim_id=spec.id)
    )
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        **_spec_fields(spec),
        "post": case.post,
        "width": screening.width,
        "height": screening.height,
        "risk": screening.risk,
        "score": screening.score,
        "seconds": round(seconds, 4),
        "reference_features_seconds": None if ref_seconds is None else round(ref_seconds, 4),
        "signals": {},
    }
    regions: list[tuple[int, int, int, int]] = []
    for f in screening.findings:
        rec: dict[str, Any] = {
            "status": f.status,
            "flagged": f.flagged,
            "severity": f.severity,
            "score": f.score,
            "seconds": f.seconds,
        }
        o = f.output or {}
        if f.signal == "reference" and f.status == "ok":
            rec.update(
                relation=o.get("relation"),
                derived_score=o.get("derived_score"),
                recapture_score=o.get("recapture_score"),
                edit_fraction=o.get("edit_fraction"),
            )
            measured = [c for c in o.get("candidates", []) if c.get("fine_correlation") is not None]
            if measured:
                rec.update(
                    fine_correlation=measured[0]["fine_correlation"],
                    noise_correlation=measured[0].get("noise_correlation"),
                    lighting_match=measured[0]["lighting_match"],
                    reproj_error=measured[0]["reproj_error"],
                )
        if f.flagged and f.status == "ok":
            regions.extend((r[0], r[1], r[2], r[3]) for r in f.regions)
        out["signals"][f.signal] = rec
    out["n_regions"] = len(regions)
    out.update(_localisation(case, item, regions))
    if config.baselines and spec.kind != "provenance":
        out["baselines"] = _baselines(case, item.image.pixels)
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return out


def _uncached(library: Any, data: bytes) -> bool:
    path = library.cache_path(hashlib.sha256(data).hexdigest())
    return path is None or not path.is_file()


def _localisation(case: Case, item: Any, regions: list[tuple[int, int, int, int]]) -> dict[str, Any]:
    from shouhou.bench.metrics import box_union_iou, mask_boxes, pixel_f1

    if case.mask is None:
        return {}
    true = case.mask
    h, w = true.shape
    if int(true.sum()) == 0:
        return {"edit_visible": False}
    merge = max(3, int(0.04 * np.hypot(h, w)))
    true_boxes = mask_boxes(true, merge_px=merge)
    iou = box_union_iou(regions, true_boxes, (h, w))
    pred = np.zeros((h, w), bool)
    ref_mask = item.artifacts.get("reference.mask")
    if ref_mask is not None and regions:
        import cv2

        pred = cv2.resize(np.asarray(ref_mask, np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    else:
        for x, y, bw, bh in regions:
            pred[y : y + bh, x : x + bw] = True
    return {
        "edit_visible": True,
        "edit_fraction_true": round(float(true.mean()), 5),
        "iou": round(iou, 4),
        "pixel_f1": round(pixel_f1(pred, true), 4),
    }


def _baselines(case: Case, claim_rgb: np.ndarray) -> dict[str, Any]:
    from shouhou.bench import baselines as bl
    from shouhou.bench.metrics import box_union_iou, mask_boxes
    from shouhou.evidence.image import load_image

    refs = [load_image(data).pixels for data in case.references]
    out: dict[str, Any] = {}
    methods: list[tuple[str, Callable[[], bl.BaselineResult]]] = [
        ("phash", lambda: bl.phash_match(claim_rgb, refs)),
        ("ela", lambda: bl.ela(case.claim)),
        ("inliers", lambda: bl.inlier_count(claim_rgb, refs)),
    ]
    for name, fn in methods:
        started = time.perf_counter()
        r = fn() if (refs or name == "ela") else bl.BaselineResult(0.0)
        rec: dict[str, Any] = {
            "score": round(float(r.score), 5),
            "seconds": round(time.perf_counter() - started, 4),
        }
        if case.mask is not None and case.mask.any():
            h, w = case.mask.shape
            boxes = [(g.x, g.y, g.w, g.h) for g in r.regions]
            rec["iou"] = round(
                box_union_iou(
                    boxes, mask_boxes(case.mask, merge_px=max(3, int(0.04 * np.hypot(h, w)))), (h, w)
                ),
                4,
            )
        out[name] = rec
    return out


def run_cases(
    specs: Sequence[CaseSpec],
    config: RunConfig,
    *,
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one record per case, in completion order. Reference features are cached for the run only (a
    fresh folder, removed at the end), so every run extracts each reference once and times it."""
    if config.features_dir is None:
        with tempfile.TemporaryDirectory(prefix="shouhou-bench-features-") as folder:
            yield from run_cases(
                specs, replace(config, features_dir=folder), workers=workers, progress=progress
            )
        return
    if workers <= 1:
        _init(config)
        for spec in specs:
            yield run_case(spec)
            if progress:
                progress(1)
        return
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init, initargs=(config,)
    ) as pool:
        # Large chunks would leave one worker idle at the end; 4 balances that against IPC cost.
        for rec in pool.map(run_case, specs, chunksize=4):
            yield rec
            if progress:
                progress(1)


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
