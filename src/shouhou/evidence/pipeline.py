"""The screening pipeline: prepare what each signal needs, run them all, record status and time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shouhou import __version__
from shouhou.config import Settings
from shouhou.errors import ConfigError, DependencyUnavailable, InputError, SignalError, SignalInputMissing
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, Tier
from shouhou.evidence.registry import SignalClass, all_signals
from shouhou.evidence.signal import Signal
from shouhou.evidence.thresholds import Thresholds, load_thresholds
from shouhou.evidence.verdict import NO_LABEL_NOTE, NO_REFERENCE_NOTE, Finding, Reason, decide

log = logging.getLogger(__name__)

ENGINE_VERSION = __version__
_NO_REFERENCES = "no reference photos were given"


class Screening(BaseModel):
    """The engine's answer for one photo."""

    model_config = ConfigDict(frozen=True)

    source: str
    sha256: str
    format: str
    width: int
    height: int
    risk: str
    score: float
    matched_reference: str | None
    reasons: list[Reason]
    notes: list[str]
    findings: list[Finding]
    tier: str
    engine_version: str = ENGINE_VERSION
    thresholds: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0


def _missing_need(signal: Signal[Any, Any], item: Evidence) -> str | None:
    needs = signal.needs
    if Need.REFERENCES in needs and not item.references:
        return _NO_REFERENCES
    if Need.INDEX in needs and item.index is None:
        return "no reuse index is open"
    if Need.DELIVERY_TIME in needs and item.context.delivered_at is None:
        return "the order's delivery time was not given"
    return None


class Screener:
    """Runs a fixed set of signals on evidence items. Cheap to call repeatedly; build once."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        tier: Tier = Tier.FULL,
        signals: Sequence[SignalClass] | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.tier = tier
        self.thresholds = thresholds or load_thresholds(self.settings.thresholds_file)
        classes = list(signals) if signals is not None else list(all_signals().values())
        self.signals: list[Signal[Any, Any]] = [cls(self.settings) for cls in classes if cls.tier <= tier]
        self.params = {s.name: self.thresholds.params_for(s) for s in self.signals}
        self.after_screen: list[Callable[[Evidence, Screening], None]] = []

    def screen(self, item: Evidence) -> Screening:
        started = time.perf_counter()
        findings = [self._run_one(signal, item) for signal in self.signals]
        verdict = decide(findings, self.thresholds.verdict)
        notes: list[str] = []
        provenance = next((f for f in findings if f.signal == "provenance"), None)
        if provenance is not None and provenance.status == "ok" and not provenance.flagged:
            notes.append(NO_LABEL_NOTE)
        for f in findings:
            if f.signal == "reference" and f.status == "skipped" and f.error == _NO_REFERENCES:
                # The benchmark's "without a reference photo" block measures how little is left.
                notes.append(NO_REFERENCE_NOTE)
            elif f.status != "ok":
                notes.append(f"{f.signal} {f.status}: {f.error or f.summary}")
        image = item.image
        result = Screening(
            source=image.name,
            sha256=image.sha256,
            format=image.format,
            width=image.width,
            height=image.height,
            risk=verdict.risk,
            score=verdict.score,
            matched_reference=item.facts.get("reference.matched"),
            reasons=verdict.reasons,
            notes=notes,
            findings=findings,
            tier=self.tier.name.lower(),
            thresholds={
                "calibrated": self.thresholds.calibrated,
                "source": self.thresholds.source,
                "date": self.thresholds.date,
            },
            seconds=round(time.perf_counter() - started, 4),
        )
        for hook in self.after_screen:
            hook(item, result)
        return result

    def _run_one(self, signal: Signal[Any, Any], item: Evidence) -> Finding:
        params = self.params[signal.name]
        base = {"signal": signal.name, "version": signal.version, "params_hash": params.digest()}
        missing = _missing_need(signal, item)
        if missing is not None:
            return Finding(**base, status="skipped", summary=f"skipped: {missing}", error=missing)
        started = time.perf_counter()
        try:
            out = signal.run(item, params)
        except (SignalInputMissing, DependencyUnavailable) as exc:
            return Finding(
                **base,
                status="skipped",
                summary=f"skipped: {exc}",
                error=str(exc),
                seconds=round(time.perf_counter() - started, 4),
            )
        except (SignalError, InputError, ConfigError) as exc:
            return Finding(
                **base,
                status="failed",
                summary=f"failed: {exc}",
                error=str(exc),
                seconds=round(time.perf_counter() - started, 4),
            )
        except Exception as exc:  # a bug in one signal must not stop the others; it is logged and recorded
            log.exception("signal %s crashed on %s", signal.name, item.image.name)
            return Finding(
                **base,
                status="failed",
                summary=f"internal error: {type(exc).__name__}: {exc}",
                error=f"{type(exc).__name__}: {exc}",
                seconds=round(time.perf_counter() - started, 4),
            )
        return Finding(
            **base,
            status="ok",
            score=round(out.score, 4),
            flagged=out.flagged,
            severity=out.severity,
            summary=out.summary,
            regions=[r.as_list() for r in out.regions],
            seconds=round(time.perf_counter() - started, 4),
            output=out.model_dump(mode="json"),
        )
