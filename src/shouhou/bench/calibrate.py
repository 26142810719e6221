"""Fit the engine's decision thresholds on the calibration split and write them as a thresholds file.

Only thresholds that act on a score the engine records for every case are fitted, so one screening pass
suffices: the reference signal's `derived_threshold` (on `derived_score`), the forensics signal's
`min_flag_score` and the reuse index's `max_distance`. Everything else keeps its declared default.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

# A false flag sends an honest buyer to review and delays their refund; a miss costs the merchant one
# refund. Fits weigh a false flag this many times a miss.
FALSE_FLAG_COST: Final = 10.0
# The reuse target is a false-match rate <= 0.1%; fitting to half of it leaves room for the
# calibration sample's own error.
REUSE_FIT_FMR: Final = 0.0005


def fit_cut(pos: Sequence[float], neg: Sequence[float], *, lo: float, hi: float) -> float:
    """The cut t (flag when score >= t) minimising misses + FALSE_FLAG_COST * false flags on the sample,
    searched in [lo, hi]; among equally good cuts, the middle of the widest run of them."""
    p = np.asarray(pos, float)
    n = np.asarray(neg, float)
    values = np.unique(np.concatenate([p, n, [lo, hi]]))
    values = values[(values >= lo) & (values <= hi)]
    mids = np.unique(np.concatenate([[lo, hi], (values[:-1] + values[1:]) / 2]))
    costs = np.array([(p < t).sum() + FALSE_FLAG_COST * (n >= t).sum() for t in mids])
    best = costs.min()
    good = mids[costs == best]
    # The run of optimal cuts containing the most candidates; its centre is the most robust choice.
    runs: list[list[float]] = [[float(good[0])]]
    idx = {float(t): i for i, t in enumerate(mids)}
    for t in good[1:]:
        if idx[float(t)] == idx[runs[-1][-1]] + 1:
            runs[-1].append(float(t))
        else:
            runs.append([float(t)])
    run = max(runs, key=lambda r: (r[-1] - r[0], len(r)))
    return round((run[0] + run[-1]) / 2, 4)


def _score(rec: dict[str, Any], signal: str, field: str) -> float | None:
    value = rec.get("signals", {}).get(signal, {}).get(field)
    return None if value is None else float(value)


def fit(records: Sequence[dict[str, Any]], reuse_max_distance: int | None) -> dict[str, Any]:
    """Fitted values and the evidence behind each (counts), from calibration-split records."""
    ok = [r for r in records if "error" not in r]
    copies = [r for r in ok if r["kind"] in ("forged", "reused")]
    genuine = [r for r in ok if r["kind"] == "genuine"]
    reference, ref_evidence = _fit_reference(copies, genuine)
    # Forensics sees no reference: fit its flag cut so honest photos are not flagged, at the same cost.
    f_pos = [_score(r, "forensics", "score") or 0.0 for r in ok if r["kind"] == "forged"]
    f_neg = [
        _score(r, "forensics", "score") or 0.0 for r in genuine + [r for r in ok if r["kind"] == "unrelated"]
    ]
    forensics = fit_cut(f_pos, f_neg, lo=0.05, hi=1.0)
    fitted: dict[str, Any] = {
        "reference": reference,
        "forensics": {"min_flag_score": forensics},
    }
    evidence: dict[str, Any] = {
        "reference": ref_evidence,
        "forensics.min_flag_score": {"positives": len(f_pos), "negatives": len(f_neg)},
    }
    if reuse_max_distance is not None:
        fitted["reuse"] = {"max_distance": int(reuse_max_distance)}
        evidence["reuse.max_distance"] = {"target_false_match_rate": REUSE_FIT_FMR}
    return {"signals": fitted, "evidence": evidence}


_Measures = tuple[float, float, float, float | None] | None


def _measures(rec: dict[str, Any]) -> _Measures:
    sig = rec.get("signals", {}).get("reference", {})
    if sig.get("fine_correlation") is None:
        return None  # not registered to the reference: no copy score whatever the thresholds
    err = sig.get("reproj_error")
    noise = sig.get("noise_correlation")
    return (
        float(sig["fine_correlation"]),
        float(sig["lighting_match"]),
        float(err) if err is not None else 99.0,
        None if noise is None else float(noise),
    )


# Candidate ramps; (0, 0) and (-1, -1) switch a measure off (its factor is always 1).
_LIGHT: Final = ((0.0, 0.0), *((lo, hi) for lo in (0.3, 0.5, 0.7, 0.8) for hi in (0.8, 0.9, 0.99) if hi > lo))
_EXACT: Final = (0.95, 0.97, 0.99, 1.0)
_NOISE: Final = ((-1.0, -1.0), (0.0, 0.25), (0.05, 0.3), (0.1, 0.4), (0.2, 0.5))


def _fit_reference(
    copies: Sequence[dict[str, Any]], genuine: Sequence[dict[str, Any]]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Grid-search the lighting ramp, the fine-band override and the shared-noise ramp of the copy score,
    fitting the copy cut for each, at the least cost; ties go to the values closest to the hand-set ones."""
    from shouhou.evidence.signals.reference import ReferenceParams, derived_score

    base = ReferenceParams()
    pos_m = [_measures(r) for r in copies]
    neg_m = [_measures(r) for r in genuine]

    def scores(ms: list[_Measures], p: ReferenceParams) -> list[float]:
        return [0.0 if m is None else derived_score(m[0], m[1], m[2], p, noise=m[3]) for m in ms]

    best: tuple[tuple[float, float], dict[str, float]] | None = None
    for (light_lo, light_hi), exact, (noise_lo, noise_hi) in itertools.product(_LIGHT, _EXACT, _NOISE):
        values: dict[str, float] = {
            "light_lo": light_lo,
            "light_hi": light_hi,
            "fine_exact_lo": exact,
            "fine_exact_hi": min(1.0, exact + 0.04),
            "noise_lo": noise_lo,
            "noise_hi": noise_hi,
        }
        p = base.model_copy(update=values)
        pos, neg = scores(pos_m, p), scores(neg_m, p)
        cut = fit_cut(pos, neg, lo=0.2, hi=0.95)
        misses = sum(v < cut for v in pos)
        false = sum(v >= cut for v in neg)
        cost = misses + FALSE_FLAG_COST * false
        distance = sum(abs(float(values[k]) - float(getattr(base, k))) for k in values)
        if best is None or (cost, distance) < best[0]:
            best = (
                (cost, distance),
                {**values, "derived_threshold": cut, "misses": misses, "false_flags": false},
            )
    assert best is not None
    values = dict(best[1])
    evidence = {
        "positives": len(pos_m),
        "negatives": len(neg_m),
        "misses": values.pop("misses"),
        "false_flags": values.pop("false_flags"),
    }
    return values, evidence


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def thresholds_toml(fitted: dict[str, Any], *, source: str, verdict: dict[str, float]) -> str:
    """A complete thresholds file (the format of shouhou/evidence/data/thresholds.toml)."""
    date = datetime.now(UTC).date().isoformat()
    lines = [
        "# Engine thresholds. Values not listed here use the defaults declared in each signal's Params.",
        "# FITTED by `shouhou bench evidence` on its calibration split (scenes disjoint from the reporting",
        "# split); see benchmarks/evidence/scorecard.md for what they achieve on the reporting split.",
        "[meta]",
        "calibrated = true",
        f"source = {_toml_value(source)}",
        f'date = "{date}"',
        "",
        "[verdict]",
        *(f"{k} = {_toml_value(v)}" for k, v in verdict.items()),
        "",
    ]
    for signal, values in sorted(fitted["signals"].items()):
        lines.append(f"[signals.{signal}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in sorted(values.items()))
        lines.append("")
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
