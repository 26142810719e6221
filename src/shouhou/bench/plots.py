"""Scorecard plots (matplotlib, headless): ROC and precision-recall per family, IoU, time by signal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shouhou.bench.cases import FAMILIES
from shouhou.bench.metrics import pr_curve, roc_curve
from shouhou.bench.score import BASELINES, baseline_score, engine_score

Rec = dict[str, Any]
_STYLE = {
    "engine": ("tab:red", "-"),
    "phash": ("tab:blue", "--"),
    "ela": ("tab:green", ":"),
    "inliers": ("tab:purple", "-."),
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _scorers() -> list[tuple[str, Any]]:
    return [("engine", engine_score), *((b, baseline_score(b)) for b in BASELINES)]


def _grid(plt: Any, title: str) -> tuple[Any, Any]:
    panels = ["all", *FAMILIES]
    fig, axes = plt.subplots(2, 4, figsize=(18, 9), dpi=90)
    fig.suptitle(title, fontsize=14)
    return fig, list(zip(panels, axes.ravel(), strict=True))


def _per_family(records: Sequence[Rec], path: Path, *, roc_axes: bool) -> None:
    """One panel per family (and all together): ROC or precision-recall of the engine and the baselines."""
    plt = _plt()
    forged = [r for r in records if r["kind"] == "forged" and "baselines" in r]
    genuine = [r for r in records if r["kind"] == "genuine" and "baselines" in r]
    title = (
        f"ROC, forged from reference vs genuine re-shots (N genuine = {len(genuine)})"
        if roc_axes
        else "Precision-recall, forged from reference vs genuine re-shots"
    )
    fig, panels = _grid(plt, title)
    for fam, ax in panels:
        pos = forged if fam == "all" else [r for r in forged if r["family"] == fam]
        for name, sc in _scorers():
            sp, sn = np.array([sc(r) for r in pos]), np.array([sc(r) for r in genuine])
            x, y = roc_curve(sp, sn)[:2] if roc_axes else pr_curve(sp, sn)
            colour, ls = _STYLE[name]
            ax.plot(x, y, color=colour, linestyle=ls, label=name, linewidth=2 if name == "engine" else 1.4)
        if roc_axes:
            ax.axvline(0.01, color="grey", linewidth=0.8)
            ax.set_xscale("symlog", linthresh=0.01)
            ax.set_xlim(0, 1)
            ax.set_xlabel("false-positive rate (genuine flagged)")
            ax.set_ylabel("true-positive rate")
        else:
            ax.set_xlim(0, 1.02)
            ax.set_xlabel("recall")
            ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{fam} (N = {len(pos)})")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if roc_axes else "lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def roc(records: Sequence[Rec], path: Path) -> None:
    _per_family(records, path, roc_axes=True)


def pr(records: Sequence[Rec], path: Path) -> None:
    _per_family(records, path, roc_axes=False)


def iou_histogram(records: Sequence[Rec], path: Path) -> None:
    plt = _plt()
    forged = [r for r in records if r["kind"] == "forged" and r.get("edit_visible")]
    fig, ax = plt.subplots(figsize=(9, 5), dpi=90)
    bins = np.linspace(0, 1, 21)
    data = [[r["iou"] for r in forged if r["family"] == f] for f in FAMILIES]
    ax.hist(data, bins=bins, stacked=True, label=list(FAMILIES))
    ious = [r["iou"] for r in forged]
    med = float(np.median(ious)) if ious else 0.0
    ax.axvline(med, color="black", linestyle="--", label=f"median {med:.2f}")
    ax.set_xlabel("IoU of predicted region boxes vs the true edit's boxes")
    ax.set_ylabel("forged cases")
    ax.set_title(f"Edited-region localisation (N = {len(ious)} forged cases with a visible edit)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def speed(scorecard: dict[str, Any], path: Path) -> None:
    plt = _plt()
    sig = scorecard["speed"]["by_signal"]
    names = [n for n in sig if sig[n]["mean"] is not None]
    fig, ax = plt.subplots(figsize=(9, 5), dpi=90)
    x = np.arange(len(names))
    ax.bar(x - 0.2, [sig[n]["mean"] for n in names], 0.4, label="mean")
    ax.bar(x + 0.2, [sig[n]["p95"] for n in names], 0.4, label="p95")
    ax.set_xticks(x, names)
    ax.set_ylabel("seconds per photo")
    s = scorecard["speed"]
    ax.set_title(
        f"Time per photo by signal (whole screening: mean {s['secs_per_photo_mean']:.2f} s, "
        f"p95 {s['secs_per_photo_p95']:.2f} s; median claim {s['claim_megapixels_median']} MP)"
    )
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
