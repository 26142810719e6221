"""The pipeline prepares needs, isolates failures, records status/time and builds the verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pytest

from shouhou.errors import ConfigError, SignalInputMissing, UnreadableImage
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, SignalOutput, Tier
from shouhou.evidence.pipeline import Screener
from shouhou.evidence.registry import build_registry
from shouhou.evidence.signal import Signal, SignalParams
from shouhou.evidence.thresholds import Thresholds, load_thresholds
from shouhou.evidence.verdict import NO_LABEL_NOTE, Finding, decide


class _Params(SignalParams):
    level: str = "high"
    score: float = 0.9


class _Out(SignalOutput):
    pass


class Flags(Signal[_Params, _Out]):
    """Flags everything (test double for the pipeline). It cannot tell anything."""

    name: ClassVar[str] = "flags"
    version: ClassVar[str] = "1"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.PREVIEW})
    tier: ClassVar[Tier] = Tier.FAST
    params_model: ClassVar[type[SignalParams]] = _Params
    output_model: ClassVar[type[SignalOutput]] = _Out

    def run(self, item: Evidence, params: _Params) -> _Out:
        return _Out(flagged=True, severity=params.level, score=params.score, summary="flagged")  # type: ignore[arg-type]


class Crashes(Flags):
    """Raises a bug. It cannot tell anything."""

    name: ClassVar[str] = "crashes"

    def run(self, item: Evidence, params: _Params) -> _Out:
        raise ZeroDivisionError("boom")


class FailsCleanly(Flags):
    """Raises a signal error. It cannot tell anything."""

    name: ClassVar[str] = "fails"

    def run(self, item: Evidence, params: _Params) -> _Out:
        raise UnreadableImage("cannot decode")


class NeedsRefs(Flags):
    """Needs references. It cannot tell anything."""

    name: ClassVar[str] = "needs_refs"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.REFERENCES, Need.DELIVERY_TIME})
    tier: ClassVar[Tier] = Tier.FULL


class Optional(Flags):
    """Skips itself. It cannot tell anything."""

    name: ClassVar[str] = "optional"

    def run(self, item: Evidence, params: _Params) -> _Out:
        raise SignalInputMissing("no model configured")


def _item(make_evidence, **kw):  # type: ignore[no-untyped-def]
    return make_evidence(np.full((40, 40, 3), 128, np.uint8), **kw)


def test_one_crashing_signal_does_not_stop_the_others(make_evidence) -> None:  # type: ignore[no-untyped-def]
    result = Screener(signals=[Crashes, FailsCleanly, Flags, Optional]).screen(_item(make_evidence))
    status = {f.signal: f.status for f in result.findings}
    assert status == {"crashes": "failed", "fails": "failed", "flags": "ok", "optional": "skipped"}
    crashed = next(f for f in result.findings if f.signal == "crashes")
    assert "ZeroDivisionError" in (crashed.error or "")
    assert result.risk == "high"
    assert all(f.seconds >= 0 for f in result.findings)
    assert any("crashes failed" in n for n in result.notes)


def test_missing_needs_are_skipped_with_the_reason(make_evidence) -> None:  # type: ignore[no-untyped-def]
    result = Screener(signals=[NeedsRefs]).screen(_item(make_evidence))
    (finding,) = result.findings
    assert finding.status == "skipped" and "reference" in (finding.error or "")
    assert result.risk == "none" and result.score == 0.0


def test_needs_met_runs_the_signal(make_evidence) -> None:  # type: ignore[no-untyped-def]
    item = _item(make_evidence, references=["r"], delivered_at=datetime(2026, 1, 1, tzinfo=UTC))
    (finding,) = Screener(signals=[NeedsRefs]).screen(item).findings
    assert finding.status == "ok"


def test_fast_tier_runs_only_fast_signals(make_evidence) -> None:  # type: ignore[no-untyped-def]
    screener = Screener(signals=[Flags, NeedsRefs], tier=Tier.FAST)
    assert [s.name for s in screener.signals] == ["flags"]


def test_params_come_from_thresholds_and_are_hashed(make_evidence) -> None:  # type: ignore[no-untyped-def]
    base = Thresholds(signals={"flags": {"level": "low", "score": 0.5}})
    result = Screener(signals=[Flags], thresholds=base).screen(_item(make_evidence))
    (f,) = result.findings
    assert f.severity == "low" and result.risk == "low"
    other = Screener(signals=[Flags]).screen(_item(make_evidence)).findings[0]
    assert f.params_hash != other.params_hash


def test_invalid_threshold_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="flags"):
        Screener(signals=[Flags], thresholds=Thresholds(signals={"flags": {"nope": 1}}))


def test_registry_refuses_duplicate_names() -> None:
    class Dup(Flags):
        """Same name. It cannot tell anything."""

    with pytest.raises(ConfigError, match="two signals are named 'flags'"):
        build_registry([Flags, Dup])


def test_shipped_thresholds_are_marked() -> None:
    t = load_thresholds()
    assert isinstance(t.calibrated, bool) and t.source


def _f(signal: str, severity: str, score: float, flagged: bool = True, status: str = "ok") -> Finding:
    return Finding(
        signal=signal,
        version="1",
        status=status,
        score=score,
        flagged=flagged,  # type: ignore[arg-type]
        severity=severity,
        summary=f"{signal} says {severity}",
    )  # type: ignore[arg-type]


def test_verdict_takes_the_strongest_level_and_keeps_score_in_band() -> None:
    policy = load_thresholds().verdict
    v = decide([_f("a", "medium", 0.5), _f("b", "low", 0.99)], policy)
    assert v.risk == "medium" and policy.band_medium <= v.score < policy.band_high
    assert [r.signal for r in v.reasons] == ["a", "b"]
    v2 = decide([_f("a", "medium", 0.5), _f("c", "medium", 0.5)], policy)
    assert v2.score > v.score  # two findings at one level weigh more than one


def test_verdict_ignores_unflagged_failed_and_skipped() -> None:
    policy = load_thresholds().verdict
    v = decide(
        [
            _f("a", "high", 1.0, flagged=False),
            _f("b", "high", 1.0, status="failed"),
            _f("c", "high", 1.0, status="skipped"),
        ],
        policy,
    )
    assert v.risk == "none" and v.score == 0.0 and v.reasons == []


def test_verdict_high_band() -> None:
    policy = load_thresholds().verdict
    v = decide([_f("a", "high", 1.0)], policy)
    assert v.risk == "high" and v.score == 1.0


def test_no_label_note_text_says_absence_is_not_evidence() -> None:
    assert "not evidence" in NO_LABEL_NOTE


def test_a_screening_without_reference_photos_says_what_that_leaves_out(make_evidence) -> None:  # type: ignore[no-untyped-def]
    from shouhou.evidence.signals.reference import ReferenceMatchSignal
    from shouhou.evidence.verdict import NO_REFERENCE_NOTE

    bare = Screener(signals=[ReferenceMatchSignal, Flags]).screen(_item(make_evidence))
    assert NO_REFERENCE_NOTE in bare.notes
    assert not any(n.startswith("reference skipped") for n in bare.notes)  # said once, in plain words
    other = Screener(signals=[NeedsRefs]).screen(_item(make_evidence))  # another signal lacking references
    assert NO_REFERENCE_NOTE not in other.notes and any("needs_refs skipped" in n for n in other.notes)
