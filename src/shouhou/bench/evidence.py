"""`shouhou bench evidence`: calibrate on one split, score on the other, write the scorecard.

Steps: discover source photos → calibration cases (seed) → screen → fit thresholds (+ reuse distance,
baseline cuts) → reporting cases (seed + 1) screened with the fitted thresholds → scorecard.json/.md,
plots, per-case records.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from shouhou import __version__
from shouhou.bench import calibrate, score
from shouhou.bench import reuse as reuse_bench
from shouhou.bench.cases import Plan, plan_cases
from shouhou.bench.metrics import threshold_for_fpr
from shouhou.bench.run import RunConfig, children_peak_rss_mb, run_cases
from shouhou.bench.sources import SourcePhoto, discover
from shouhou.evidence.thresholds import load_thresholds

FULL_PLAN: Final = Plan()
# No provenance cases: no threshold is fitted on them (the reporting split measures the labels).
CALIBRATION_PLAN: Final = Plan(
    forged_per_photo=1, genuine_posts_per_pair=4, flat_reshoots_per_photo=2, provenance_photos=0
)
QUICK_PLAN: Final = Plan(
    forged_per_photo=1, genuine_posts_per_pair=1, flat_reshoots_per_photo=1, provenance_photos=2
)
QUICK_PHOTOS: Final = 6  # report-split photos a quick run uses (of each group, in order)


@dataclass(frozen=True)
class Options:
    data: Path
    out: Path
    seed: int = 1
    workers: int = 2
    quick: bool = False
    command: str = ""


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quick_sources(sources: list[SourcePhoto]) -> list[SourcePhoto]:
    picked: list[SourcePhoto] = []
    for group in ("pairs", "photos", "variants"):
        members = [s for s in sources if s.group == group and s.split == "report"]
        picked.extend(members[: QUICK_PHOTOS if group == "pairs" else 3])
    return picked


def _screen(
    specs: list[Any], config: RunConfig, workers: int, stage: str, progress: Progress | None
) -> list[Any]:
    done = 0
    records = []

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(stage, done, len(specs))

    for rec in run_cases(specs, config, workers=workers, progress=tick):
        records.append(rec)
    return records


def run_benchmark(opts: Options, progress: Progress | None = None) -> dict[str, Any]:
    started = time.time()
    opts.out.mkdir(parents=True, exist_ok=True)
    sources = discover(opts.data)
    shipped = load_thresholds()
    thresholds_path = opts.out / "thresholds.toml"
    fitted: dict[str, Any] | None = None
    baseline_cuts: dict[str, float] = {}
    reuse_calibration: dict[str, Any] = {}
    if opts.quick:
        sources = _quick_sources(sources)
        thresholds_file = None
        from shouhou.evidence.signals.reuse import ReuseParams, ReuseSignal

        reuse_params = shipped.params_for(ReuseSignal)
        assert isinstance(reuse_params, ReuseParams)
        reuse_distance = reuse_params.max_distance
    else:
        cal_specs = plan_cases(sources, "calibration", opts.seed, CALIBRATION_PLAN)
        cal = _screen(cal_specs, RunConfig(None), opts.workers, "calibration", progress)
        if progress:
            progress("reuse calibration", 0, 1)
        cal_reuse = reuse_bench.build(sources, "calibration", opts.seed)
        cal_dist = cal_reuse.distances()
        if progress:
            progress("reuse calibration", 1, 1)
        reuse_distance = reuse_bench.fit_max_distance(
            cal_reuse, cal_dist, max_fmr=calibrate.REUSE_FIT_FMR, ceiling=96
        )
        phash_cut = reuse_bench.fit_max_distance(
            cal_reuse, cal_reuse.phash_distances(), max_fmr=calibrate.REUSE_FIT_FMR, ceiling=32
        )
        reuse_calibration = {
            "max_distance": reuse_distance,
            "phash_max_distance": phash_cut,
            "queries": len(cal_reuse.query_key),
            "stored": len(cal_reuse.stored_key),
        }
        fitted = calibrate.fit(cal, reuse_distance)
        n_scenes = len({s.scene for s in sources if s.split == "calibration"})
        source = (
            f"shouhou bench evidence, calibration split of {opts.data.name}/ ({n_scenes} scenes, "
            f"{len(cal_specs)} cases, seed {opts.seed}), engine {__version__}"
        )
        calibrate.write(
            thresholds_path,
            calibrate.thresholds_toml(fitted, source=source, verdict=shipped.verdict.model_dump()),
        )
        thresholds_file = str(thresholds_path)
        genuine = [r for r in cal if r.get("kind") == "genuine" and "baselines" in r]
        for name in score.BASELINES:
            cut = threshold_for_fpr([r["baselines"][name]["score"] for r in genuine], 0.01)
            baseline_cuts[name] = float(cut) if math.isfinite(cut) else 0.0
        (opts.out / "calibration-cases.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in cal), "utf-8"
        )
    plan = QUICK_PLAN if opts.quick else FULL_PLAN
    report_specs = plan_cases(sources, "report", opts.seed + 1, plan)
    report = _screen(report_specs, RunConfig(thresholds_file), opts.workers, "report", progress)
    (opts.out / "cases.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in report), "utf-8"
    )
    if progress:
        progress("reuse report", 0, 1)
    rep_reuse = reuse_bench.build(sources, "report", opts.seed + 1)
    rep_dist = rep_reuse.distances()
    if progress:
        progress("reuse report", 1, 1)
    reuse_block: dict[str, Any] = {}
    reuse_block = reuse_bench.evaluate(rep_reuse, rep_dist, reuse_distance)
    reuse_block["same_scene_reshots"] = reuse_bench.same_scene_matches(rep_reuse, rep_dist, reuse_distance)
    if reuse_calibration:
        reuse_block["calibration"] = reuse_calibration
        phash = reuse_bench.evaluate_phash(rep_reuse, reuse_calibration["phash_max_distance"])
    else:
        phash = None
    effective = load_thresholds(Path(thresholds_file) if thresholds_file else None)
    engine_cut = effective.verdict.band_medium
    ok = [r for r in report if "error" not in r]
    card: dict[str, Any] = {
        "engine_version": __version__,
        "command": opts.command,
        "seed": {"calibration": None if opts.quick else opts.seed, "report": opts.seed + 1},
        "quick": opts.quick,
        "data": _data_block(opts, sources, report_specs, report),
        "thresholds": {
            "calibrated": effective.calibrated,
            "source": effective.source,
            "date": effective.date,
            "fitted": fitted,
            "engine_flag_cut": engine_cut,
            "baseline_cuts": baseline_cuts,
        },
        "forged_from_reference": score.forged_block(ok, engine_cut),
        **score.genuine_block(ok),
        "provenance": score.provenance_block(ok),
        "without_reference": score.without_reference_block(ok, effective.verdict),
        "reuse": reuse_block,
        "speed": score.speed_block(
            ok, max(children_peak_rss_mb(), max((r.get("peak_rss_mb", 0) for r in ok), default=0))
        ),
    }
    if not opts.quick:
        baselines, comparison = score.baselines_block(ok, baseline_cuts, engine_cut)
        if phash is not None:
            baselines["phash"]["reuse"] = phash
        card["baselines"] = baselines
        card["comparison"] = comparison
    card["acceptance"] = acceptance(card)
    card["wall_seconds"] = round(time.time() - started, 1)
    (opts.out / "scorecard.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")
    from shouhou.bench import plots
    from shouhou.bench.report import markdown

    if not opts.quick:
        plots.roc(ok, opts.out / "roc.png")
        plots.pr(ok, opts.out / "pr.png")
        plots.iou_histogram(ok, opts.out / "iou.png")
        plots.speed(card, opts.out / "speed.png")
    (opts.out / "scorecard.md").write_text(markdown(card), "utf-8")
    return card


def _data_block(
    opts: Options, sources: list[SourcePhoto], specs: list[Any], report: list[Any]
) -> dict[str, Any]:
    from collections import Counter

    return {
        "dir": str(opts.data),
        "sources": dict(Counter(f"{s.group}/{s.split}" for s in sources)),
        "report_cases": dict(Counter(s.kind for s in specs)),
        "report_case_errors": [r["id"] + ": " + r["error"] for r in report if "error" in r][:20],
        "n_report_case_errors": sum(1 for r in report if "error" in r),
    }


def acceptance(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    f = card["forged_from_reference"]
    out: list[dict[str, Any]] = []

    def check(name: str, value: Any, target: str, met: bool | None) -> None:
        out.append({"criterion": name, "value": value, "target": target, "met": met})

    tpr = f.get("tpr_at_fpr_1pct")
    check(
        "forged-from-reference TPR at FPR <= 1% (all families)",
        tpr,
        ">= 0.99",
        None if tpr is None else tpr >= 0.99,
    )
    for fam, fb in f.get("by_family", {}).items():
        v = fb.get("tpr_at_fpr_1pct")
        check(f"  {fam}: TPR at FPR <= 1%", v, ">= 0.99", None if v is None else v >= 0.99)
    iou = f.get("iou_median")
    check("edited-region IoU, median", iou, ">= 0.6", None if iou is None else iou >= 0.6)
    p = card["provenance"]
    check("provenance markers found", p["recall"], "1.0", p["recall"] == 1.0)
    check("false provenance marks on unlabelled photos", p["false_marks"], "0", p["false_marks"] == 0)
    r = card.get("reuse", {})
    if r:
        worst = r.get("target_transforms_min_recall")
        fmr = r["false_match_rate"]["value"]
        check(
            "reuse recall, worst of resize/recompress/flip/crops <= 20% area",
            worst,
            ">= 0.99",
            None if worst is None else worst >= 0.99,
        )
        check(
            "reuse false-match rate on unrelated pairs",
            fmr,
            "<= 0.001",
            None if fmr is None else fmr <= 0.001,
        )
    for name, c in card.get("comparison", {}).items():
        check(
            f"engine TPR@1% minus {name} TPR@1% (95% CI low end)",
            c["difference_ci95"][0],
            ">= 0.10",
            c["engine_beats_by_10_points"],
        )
    return out


# How far a quick run (a few dozen cases) may fall below the committed full scorecard before CI fails:
# wide enough for the quick sample's own noise, narrow enough to catch a broken signal.
FLOOR_MARGIN: Final = 0.15


def check_floor(quick: dict[str, Any], committed: dict[str, Any]) -> list[str]:
    """Reasons the quick run falls below the floor set from the committed scorecard (empty: it passes)."""
    failures: list[str] = []

    def below(name: str, value: float | None, floor: float) -> None:
        if value is None or value < floor:
            failures.append(f"{name} = {value} is below the floor {floor:.3f}")

    qf, cf = quick["forged_from_reference"], committed["forged_from_reference"]
    below(
        "forged flagged at shipped thresholds",
        qf["flagged_at_shipped_thresholds"]["value"],
        cf["flagged_at_shipped_thresholds"]["value"] - FLOOR_MARGIN,
    )
    if qf.get("iou_median") is not None and cf.get("iou_median") is not None:
        below("edited-region IoU median", qf["iou_median"], cf["iou_median"] - FLOOR_MARGIN)
    qg, cg = quick["genuine"]["false_flag_rate"], committed["genuine"]["false_flag_rate"]
    ceiling = (cg["value"] or 0.0) + FLOOR_MARGIN
    if qg["value"] is not None and qg["value"] > ceiling:
        failures.append(f"genuine false-flag rate = {qg['value']} is above the ceiling {ceiling:.3f}")
    qp, cp = quick["provenance"], committed["provenance"]
    below("provenance recall", qp["recall"], (cp["recall"] or 0.0) - 1e-9)
    if qp["false_marks"] > cp["false_marks"]:
        failures.append(f"provenance false marks = {qp['false_marks']} (committed: {cp['false_marks']})")
    qr, cr = quick.get("reuse") or {}, committed.get("reuse") or {}
    if qr and cr:
        below(
            "reuse worst-transform recall",
            qr.get("target_transforms_min_recall"),
            (cr.get("target_transforms_min_recall") or 0.0) - FLOOR_MARGIN,
        )
    return failures
