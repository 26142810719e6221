"""Deadlines as pure functions: (state, entered_at, policy) → the timer running in that state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shouhou.claims.states import ClaimState, DeadlineKind
from shouhou.config import ClaimPolicy


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    at: datetime


def deadline_for(
    state: ClaimState,
    entered_at: datetime,
    policy: ClaimPolicy,
    *,
    shop_response_hours: float | None = None,
) -> Deadline | None:
    """The timer that starts when a claim enters `state` (None: no timer runs there)."""
    if entered_at.tzinfo is None:
        raise ValueError("deadlines are computed from aware times")
    if state is ClaimState.AWAITING_MERCHANT:
        hours = shop_response_hours or policy.merchant_response_hours
        return Deadline(DeadlineKind.MERCHANT_RESPONSE, entered_at + timedelta(hours=hours))
    if state in (ClaimState.IN_REVIEW, ClaimState.APPEALED):
        return Deadline(DeadlineKind.REVIEW_SLA, entered_at + timedelta(hours=policy.review_sla_hours))
    if state is ClaimState.AWAITING_BUYER:
        return Deadline(
            DeadlineKind.BUYER_EVIDENCE, entered_at + timedelta(hours=policy.buyer_evidence_hours)
        )
    if state is ClaimState.DECIDED:
        return Deadline(DeadlineKind.APPEAL_WINDOW, entered_at + timedelta(days=policy.appeal_window_days))
    return None


def remaining(deadline_at: datetime | None, now: datetime) -> timedelta | None:
    return None if deadline_at is None else deadline_at - now
