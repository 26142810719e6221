"""The claim lifecycle as data: states, the transition table, outcomes and who may move what."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"
    AWAITING_MERCHANT = "awaiting_merchant"
    IN_REVIEW = "in_review"
    AWAITING_BUYER = "awaiting_buyer"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


S = ClaimState

TRANSITIONS: Final[Mapping[ClaimState, frozenset[ClaimState]]] = {
    S.SUBMITTED: frozenset({S.SCREENING, S.WITHDRAWN}),
    # → decided: fast-track approval; → in_review: new evidence on a claim a reviewer already holds.
    S.SCREENING: frozenset({S.DECIDED, S.AWAITING_MERCHANT, S.IN_REVIEW, S.WITHDRAWN}),
    S.AWAITING_MERCHANT: frozenset({S.DECIDED, S.IN_REVIEW, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.DECIDED, S.AWAITING_BUYER, S.WITHDRAWN}),
    # → decided: the evidence window lapsed (rejected for missing evidence).
    S.AWAITING_BUYER: frozenset({S.SCREENING, S.DECIDED, S.WITHDRAWN}),
    # → in_review: the merchant contests an automated decision.
    S.DECIDED: frozenset({S.APPEALED, S.CLOSED, S.IN_REVIEW}),
    S.APPEALED: frozenset({S.DECIDED, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

OPEN_STATES: Final = frozenset(
    {S.SUBMITTED, S.SCREENING, S.AWAITING_MERCHANT, S.IN_REVIEW, S.AWAITING_BUYER, S.APPEALED}
)
TERMINAL_STATES: Final = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class ClaimKind(StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款
    RETURN_AND_REFUND = "return_and_refund"  # 退货退款


class Outcome(StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"
    PARTIAL_REFUND = "partial_refund"
    REJECTED = "rejected"


class DeadlineKind(StrEnum):
    MERCHANT_RESPONSE = "merchant_response"
    REVIEW_SLA = "review_sla"
    BUYER_EVIDENCE = "buyer_evidence"
    APPEAL_WINDOW = "appeal_window"


class Party(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"


def allowed(src: ClaimState, dst: ClaimState) -> bool:
    return dst in TRANSITIONS[src]
