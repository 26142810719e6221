"""Scorecard numbers from per-case records, the Markdown rendering and the CI floor."""

from __future__ import annotations

import copy
from typing import Any

from shouhou.bench.evidence import acceptance, check_floor
from shouhou.bench.report import markdown
from shouhou.bench.score import forged_block, genuine_block, provenance_block, speed_block


def _case(kind: str, risk: str, score: float, family: str = "crack", **kw: Any) -> dict[str, Any]:
    sig = {
        "reference": {"status": "ok", "seconds": 0.2, "flagged": risk != "none"},
        "provenance": {"status": "ok", "seconds": 0.01, "flagged": kw.pop("marked", False)},
    }
    return {
        "id": f"{kind}-{family}-{score}",
        "kind": kind,
        "family": family,
        "risk": risk,
        "score": score,
        "post": kw.pop("post", "none"),
        "strength": 0.6,
        "labelled": kw.pop("labelled", False),
        "seconds": 0.3,
        "reference_features_seconds": 0.1,
        "width": 800,
        "height": 600,
        "signals": sig,
        **kw,
    }


def _records() -> list[dict[str, Any]]:
    recs = [
        _case("forged", "high", 0.9 + i / 1000, edit_visible=True, iou=0.7, pixel_f1=0.6) for i in range(50)
    ]
    recs += [_case("forged", "none", 0.0, family="stain", edit_visible=True, iou=0.0, pixel_f1=0.0)]
    recs += [_case("genuine", "none", 0.0, family="reshot") for _ in range(30)]
    recs += [_case("genuine", "medium", 0.5, family="flat_reshoot")]
    recs += [_case("unrelated", "none", 0.0, family="unrelated")]
    recs += [
        _case("provenance", "high", 0.9, family="gb45438_xmp", labelled=True, marked=True),
        _case("provenance", "none", 0.0, family="gb45438_xmp"),
    ]
    return recs


def _card() -> dict[str, Any]:
    recs = _records()
    card: dict[str, Any] = {
        "engine_version": "0",
        "command": "shouhou bench evidence --quick",
        "quick": True,
        "seed": {"calibration": None, "report": 2},
        "data": {"dir": "d", "sources": {}, "report_cases": {}, "n_report_case_errors": 0},
        "thresholds": {"calibrated": True, "source": "s", "date": "2026-11-23", "engine_flag_cut": 0.4},
        "forged_from_reference": forged_block(recs, 0.4),
        **genuine_block(recs),
        "provenance": provenance_block(recs),
        "reuse": {},
        "speed": speed_block(recs, 100.0),
    }
    card["acceptance"] = acceptance(card)
    return card


def test_forged_block_counts_misses_and_false_flags() -> None:
    card = _card()
    f = card["forged_from_reference"]
    assert f["n_pos"] == 51 and f["n_neg"] == 31
    assert f["flagged_at_shipped_thresholds"]["k"] == 50
    assert f["tpr_at_fpr_1pct"] == round(50 / 51, 4)  # the missed stain scores below an honest photo
    assert f["by_family"]["stain"]["flagged_at_shipped_thresholds"]["k"] == 0
    assert f["iou_median"] == 0.7
    g = card["genuine"]["false_flag_rate"]
    assert (g["k"], g["n"]) == (1, 31) and g["ci95"][0] < g["value"] < g["ci95"][1]
    assert card["provenance"]["recall"] == 1.0 and card["provenance"]["false_marks"] == 0


def test_markdown_lists_every_criterion() -> None:
    card = _card()
    text = markdown(card)
    for a in card["acceptance"]:
        assert a["criterion"] in text
    assert "| stain |" in text


def test_floor_passes_itself_and_fails_a_broken_signal() -> None:
    card = _card()
    assert check_floor(card, card) == []
    broken = copy.deepcopy(card)
    broken["forged_from_reference"]["flagged_at_shipped_thresholds"]["value"] = 0.5
    broken["provenance"]["false_marks"] = 2
    failures = check_floor(broken, card)
    assert any("forged flagged" in f for f in failures) and any("false marks" in f for f in failures)


def test_without_reference_decides_again_from_the_other_findings() -> None:
    from shouhou.bench.score import without_reference_block
    from shouhou.evidence.thresholds import VerdictPolicy

    def case(kind: str, family: str, **flags: str) -> dict[str, Any]:
        rec = _case(kind, "high" if flags else "none", 0.9 if flags else 0.0, family=family)
        for name, severity in flags.items():
            rec["signals"][name] = {"status": "ok", "flagged": True, "severity": severity, "score": 0.8}
        return rec

    recs = [
        case("forged", "crack", reference="high"),  # caught only by the reference match
        case("forged", "copy_move", reference="high", forensics="medium"),  # the copy found without it
        case("forged", "stain", reference="high", capture="low"),  # low risk is not a flag
        case("genuine", "reshot", capture="medium"),  # an honest photo flagged without any reference
        case("unrelated", "unrelated"),
    ]
    recs[3]["signals"]["forensics"] = {"status": "failed", "flagged": True, "severity": "high", "score": 1.0}
    block = without_reference_block(recs, VerdictPolicy())
    assert (block["flagged"]["k"], block["flagged"]["n"]) == (1, 3)
    assert block["by_family"]["copy_move"]["k"] == 1 and block["by_family"]["crack"]["k"] == 0
    assert block["by_family"]["stain"]["k"] == 0
    h = block["honest_false_flag_rate"]
    assert (h["k"], h["n"]) == (1, 2)  # the failed forensics finding does not count, capture's does
    assert "Without a reference photo" in markdown({**_card(), "without_reference": block})


def test_recorded_findings_reproduce_the_engine_risk_of_every_committed_case() -> None:
    """The without-reference block re-decides cases from their recorded findings; that is only exact if the
    engine's risk is nothing but `decide` over those findings. Checked on the committed run."""
    import gzip
    import json
    from pathlib import Path

    from shouhou.bench.score import _risk_without
    from shouhou.evidence.thresholds import load_thresholds

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "evidence" / "cases.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [r for r in map(json.loads, fh) if "error" not in r]
    policy = load_thresholds().verdict
    assert len(records) > 1000
    assert [r["id"] for r in records if _risk_without(r, "none-removed", policy) != r["risk"]] == []
