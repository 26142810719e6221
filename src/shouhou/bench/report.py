"""The scorecard as Markdown: the numbers a risk team asks for, targets first, then the detail."""

from __future__ import annotations

from typing import Any

from shouhou.bench.cases import FAMILIES


def _f(v: Any, nd: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _ci(v: list[Any] | None) -> str:
    return "–" if not v else f"[{_f(v[0])}, {_f(v[1])}]"


def _rate(r: dict[str, Any] | None) -> str:
    if not r or r.get("n") in (None, 0):
        return "–"
    return f"{_f(r['value'])} ({r['k']}/{r['n']}, 95% CI {_ci(r['ci95'])})"


def markdown(card: dict[str, Any]) -> str:
    L: list[str] = []
    add = L.append
    add("# Forged-evidence scorecard")
    add("")
    add(f"- Command: `{card['command']}`")
    add(
        f"- Engine {card['engine_version']}; seeds: calibration {card['seed']['calibration']}, "
        f"report {card['seed']['report']}; wall time {card.get('wall_seconds', 0) / 60:.1f} min"
        + (" (quick run: shipped thresholds, small case set)" if card.get("quick") else "")
    )
    t = card["thresholds"]
    add(f"- Thresholds: {'calibrated' if t['calibrated'] else 'provisional'} — {t['source']} ({t['date']})")
    d = card["data"]
    add(
        f"- Data: `{d['dir']}`; source photos by group/split {d['sources']}; reporting cases {d['report_cases']}"
        f"; case errors {d['n_report_case_errors']}"
    )
    add("")
    add("## Targets (reporting split)")
    add("")
    add("| criterion | value | target | met |")
    add("|---|---|---|---|")
    for a in card["acceptance"]:
        add(f"| {a['criterion']} | {_f(a['value'])} | {a['target']} | {_f(a['met'])} |")
    add("")
    f = card["forged_from_reference"]
    add("## Forged from reference")
    add("")
    add(
        f"Positives: {f['n_pos']} forged cases; negatives: {f['n_neg']} genuine same-scene re-shots "
        "(real second captures and re-shots of flat objects). Score: the engine's verdict score. "
        f"Flagged at shipped thresholds = risk medium or high (score >= {_f(card['thresholds']['engine_flag_cut'], 2)})."
    )
    add("")
    add(
        f"- AUC {_f(f.get('auc'), 4)}; TPR at FPR <= 1%: {_f(f.get('tpr_at_fpr_1pct'))} "
        f"(95% CI {_ci(f.get('tpr_at_fpr_1pct_ci95'))}); TPR at FPR <= 0.1%: "
        f"{_f(f.get('tpr_at_fpr_01pct')) if f.get('tpr_at_fpr_01pct') is not None else f.get('tpr_at_fpr_01pct_note')}"
    )
    add(f"- Flagged at shipped thresholds: {_rate(f.get('flagged_at_shipped_thresholds'))}")
    add(
        f"- Localisation: IoU median {_f(f.get('iou_median'))} (mean {_f(f.get('iou_mean'))}, "
        f"share >= 0.5: {_f(f.get('iou_at_least_0_5'))}, N {f.get('n')}); pixel-F1 median {_f(f.get('pixel_f1_median'))}; "
        f"{f.get('edit_cropped_away', 0)} cases had the edit cropped away"
    )
    add("")
    add("| family | N | AUC | TPR@FPR1% | 95% CI | flagged (shipped) | IoU median | pixel-F1 median |")
    add("|---|---|---|---|---|---|---|---|")
    for fam in FAMILIES:
        b = f["by_family"].get(fam, {})
        add(
            f"| {fam} | {b.get('n_pos')} | {_f(b.get('auc'), 4)} | {_f(b.get('tpr_at_fpr_1pct'))} | "
            f"{_ci(b.get('tpr_at_fpr_1pct_ci95'))} | {_f((b.get('flagged_at_shipped_thresholds') or {}).get('value'))} | "
            f"{_f(b.get('iou_median'))} | {_f(b.get('pixel_f1_median'))} |"
        )
    add("")
    add(
        "By first post-processing step (TPR at the 1%-FPR cut of all families; flagged at shipped thresholds):"
    )
    add("")
    add("| post-processing | N | TPR@cut | flagged (shipped) | IoU median |")
    add("|---|---|---|---|---|")
    for name, b in f["by_post"].items():
        add(
            f"| {name} | {b['n']} | {_f(b['tpr_at_fpr_1pct_cut'])} | {_f(b['flagged_at_shipped_thresholds'])} | "
            f"{_f(b['iou_median'])} |"
        )
    add("")
    add(
        "By damage strength: "
        + ", ".join(
            f"{k}: TPR@cut {_f(v['tpr_at_fpr_1pct_cut'])}, IoU {_f(v['iou_median'])} (N {v['n']})"
            for k, v in f["by_strength"].items()
        )
    )
    add("")
    g = card["genuine"]
    add("## Honest photos at the shipped thresholds")
    add("")
    add(f"- Genuine same-scene re-shots flagged (false-flag rate): {_rate(g['false_flag_rate'])}")
    for k, v in g["by_kind"].items():
        add(f"  - {k}: {_rate(v)}")
    add(
        "  - by post-processing: "
        + ", ".join(f"{k} {_f(v['value'])} ({v['k']}/{v['n']})" for k, v in g["by_post"].items() if v["n"])
    )
    add(f"- Unrelated honest photos flagged: {_rate(card['unrelated']['false_flag_rate'])}")
    add(
        f"- Reused reference photos without an edit, flagged medium or higher: {_rate(card['reused']['flagged_rate'])}"
    )
    add("")
    w = card.get("without_reference")
    if w:
        add("## Without a reference photo")
        add("")
        add(
            "The same cases decided again without the reference signal's finding (a shop that uploaded no "
            f"reference): {w['note']}."
        )
        add("")
        add(f"- Forged cases flagged: {_rate(w['flagged'])}")
        add("- " + ", ".join(f"{k} {_f(v['value'])} ({v['k']}/{v['n']})" for k, v in w["by_family"].items()))
        add(f"- Honest photos (genuine and unrelated) flagged: {_rate(w['honest_false_flag_rate'])}")
        add("")
    p = card["provenance"]
    add("## Provenance labels")
    add("")
    add(
        f"- Found: {_rate(p['recall_detail'])}; false marks on unlabelled twins: {p['false_marks']} of {p['unlabelled_n']}"
    )
    add("- " + ", ".join(f"{k} {_f(v['value'])} ({v['k']}/{v['n']})" for k, v in p["by_label"].items()))
    add("")
    r = card.get("reuse") or {}
    if r:
        add("## Reuse index")
        add("")
        fm = r["false_match_rate"]
        add(
            f"PDQ distance <= {r['max_distance']} (fitted on the calibration split"
            + (f": {r['calibration']}" if "calibration" in r else "")
            + "). "
            f"False-match rate on unrelated pairs: {_f(fm['value'], 6)} ({fm['k']}/{fm['n_pairs']}, "
            f"95% CI {_ci(fm['ci95'])}). Other capture of the same scene matched: "
            f"{r.get('same_scene_reshots', {}).get('matched')} of {r.get('same_scene_reshots', {}).get('pairs')} pairs."
        )
        add("")
        ph = (card.get("baselines", {}).get("phash") or {}).get("reuse")
        add("| transform | recall | 95% CI | N | pHash baseline recall |")
        add("|---|---|---|---|---|")
        for name, v in r["recall_by_transform"].items():
            base = ph["recall_by_transform"][name]["recall"] if ph else None
            add(f"| {name} | {_f(v['recall'])} | {_ci(v['ci95'])} | {v['n']} | {_f(base)} |")
        if ph:
            add("")
            add(
                f"pHash baseline: distance <= {ph['max_distance']} of 64, false-match rate "
                f"{_f(ph['false_match_rate']['value'], 6)} ({ph['false_match_rate']['k']}/{ph['false_match_rate']['n_pairs']})."
            )
        add("")
    if card.get("baselines"):
        add("## Baselines (same cases, cuts fitted on the calibration split at FPR 1%)")
        add("")
        add(
            "| method | AUC | TPR@FPR1% (report ROC) | 95% CI | TPR at calibrated cut | FPR at calibrated cut | IoU median | s/photo |"
        )
        add("|---|---|---|---|---|---|---|---|")
        add(
            f"| engine | {_f(f.get('auc'), 4)} | {_f(f.get('tpr_at_fpr_1pct'))} | {_ci(f.get('tpr_at_fpr_1pct_ci95'))} | "
            f"{_f((f.get('tpr_at_cut') or {}).get('value'))} | {_f((f.get('fpr_at_cut') or {}).get('value'))} | "
            f"{_f(f.get('iou_median'))} | {_f(card['speed']['secs_per_photo_mean'])} |"
        )
        for name, b in card["baselines"].items():
            add(
                f"| {name} | {_f(b.get('auc'), 4)} | {_f(b.get('tpr_at_fpr_1pct'))} | {_ci(b.get('tpr_at_fpr_1pct_ci95'))} | "
                f"{_f((b.get('tpr_at_cut') or {}).get('value'))} | {_f((b.get('fpr_at_cut') or {}).get('value'))} | "
                f"{_f(b.get('iou_median')) if b.get('localises') else 'n/a'} | {_f(b.get('secs_per_photo_mean'))} |"
            )
        add("")
        add("Engine minus baseline, TPR at FPR 1% (paired bootstrap, 95% CI) and ratio:")
        add("")
        for name, c in card.get("comparison", {}).items():
            add(f"- {name}: {_f(c['difference'])} {_ci(c['difference_ci95'])}, ratio {_f(c['ratio'], 2)}")
        add("")
        add("By family, TPR at FPR 1% (engine / " + " / ".join(card["baselines"]) + "):")
        add("")
        for fam in FAMILIES:
            e = f["by_family"].get(fam, {}).get("tpr_at_fpr_1pct")
            bs = [
                card["baselines"][b]["by_family"].get(fam, {}).get("tpr_at_fpr_1pct")
                for b in card["baselines"]
            ]
            add(f"- {fam}: {_f(e)} / " + " / ".join(_f(x) for x in bs))
        add("")
    s = card["speed"]
    add("## Speed and memory")
    add("")
    add(
        f"Whole screening per photo: mean {_f(s['secs_per_photo_mean'])} s, p95 {_f(s['secs_per_photo_p95'])} s "
        f"(N {s['n']}, median claim {s['claim_megapixels_median']} MP); reference features "
        f"{_f(s['reference_features_secs_mean'])} s per reference (cached in production); peak memory "
        f"{s['peak_rss_mb']} MB per process. {s['note']}."
    )
    add("")
    add("| signal | mean s | p95 s |")
    add("|---|---|---|")
    for name, v in s["by_signal"].items():
        add(f"| {name} | {_f(v['mean'])} | {_f(v['p95'])} |")
    add("")
    if not card.get("quick"):
        add("Plots: `roc.png`, `pr.png`, `iou.png`, `speed.png`.")
    return "\n".join(L) + "\n"
