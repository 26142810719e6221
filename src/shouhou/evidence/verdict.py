"""Combine signal findings into one risk level with a score and the reasons behind it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shouhou.evidence.model import SEVERITY_LEVEL, RiskLevel, Severity
from shouhou.evidence.thresholds import VerdictPolicy

Status = Literal["ok", "failed", "skipped"]

NO_LABEL_NOTE = (
    "No AI-provenance label was found. Labels are easily stripped (screenshots, re-saves, chat apps), "
    "so their absence is not evidence that the photo is authentic."
)
NO_REFERENCE_NOTE = (
    "No reference photo of the item was compared. Most forged claim photos are the shop's own photo with "
    "damage added, and only that comparison finds them, so a low risk here says little about such edits."
)


class Finding(BaseModel):
    """What one signal said about one photo, as stored and printed."""

    model_config = ConfigDict(frozen=True)

    signal: str
    version: str
    status: Status
    params_hash: str = ""
    score: float | None = None
    flagged: bool = False
    severity: Severity = "info"
    summary: str
    regions: list[list[int]] = Field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    output: dict[str, object] | None = None


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    signal: str
    level: str
    text: str


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    risk: str
    score: float
    reasons: list[Reason]


def decide(findings: Sequence[Finding], policy: VerdictPolicy) -> Verdict:
    """Risk is the strongest severity among flagged findings; the score sits in that level's band.

    Within the band, the score rises with the flagged findings' own scores (noisy-OR), so two
    findings at one level score higher than one. Failed or skipped signals never raise the risk.
    """
    flagged = [f for f in findings if f.status == "ok" and f.flagged]
    if not flagged:
        return Verdict(risk=RiskLevel.NONE.label, score=0.0, reasons=[])
    level = max(SEVERITY_LEVEL[f.severity] for f in flagged)
    top = [f for f in flagged if SEVERITY_LEVEL[f.severity] == level]
    miss = 1.0
    for f in top:
        miss *= 1.0 - min(max(f.score or 0.0, 0.0), 1.0)
    strength = 1.0 - miss
    lo, hi = _band(level, policy)
    score = round(lo + (hi - lo) * strength, 4)
    reasons = [
        Reason(signal=f.signal, level=SEVERITY_LEVEL[f.severity].label, text=f.summary)
        for f in sorted(flagged, key=lambda f: (-SEVERITY_LEVEL[f.severity], -(f.score or 0.0)))
    ]
    return Verdict(risk=level.label, score=score, reasons=reasons)


def _band(level: RiskLevel, policy: VerdictPolicy) -> tuple[float, float]:
    edges = {
        RiskLevel.NONE: (0.0, policy.band_low),
        RiskLevel.LOW: (policy.band_low, policy.band_medium),
        RiskLevel.MEDIUM: (policy.band_medium, policy.band_high),
        RiskLevel.HIGH: (policy.band_high, 1.0),
    }
    lo, hi = edges[level]
    # Keep the score strictly inside its band so the level can be read back from it.
    return lo, max(lo, hi - 1e-3) if level != RiskLevel.HIGH else 1.0
