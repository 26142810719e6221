"""Buyer credit across shops and platforms: one record per person (keyed hash of the verified phone), the
sum of decided claims' events with their reasons. Shown to reviewers of the buyer's claims and to the buyer;
it informs a reviewer and never decides a claim by itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shouhou.storage import tables as t

NOTICE = (
    "依据《个人信息保护法》告知：平台会记录您的售后申请结果（申请次数、退款、经审核确认的伪造凭证、争议结果），"
    "用于审核人员评估后续申请；该记录不会单独决定任何申请，您可随时查看并对每一条记录提出异议。"
    " / Notice (PIPL): the platform keeps a record of your after-sales claims (claims, refunds, "
    "forged evidence "
    "confirmed by a reviewer, dispute outcomes) which reviewers see when assessing your later claims; "
    "it never "
    "decides a claim by itself, and you may view it and contest any entry."
)


@dataclass(frozen=True)
class CreditLine:
    claim_id: str
    shop_id: str
    platform_id: str
    at: datetime
    refunded: bool
    forgery_confirmed: bool
    disputed: bool
    buyer_won: bool
    reason: str


@dataclass(frozen=True)
class CreditRecord:
    claims: int
    refunds: int
    forgeries_confirmed: int
    disputes_won: int
    disputes_lost: int
    shops: int
    platforms: int
    lines: Sequence[CreditLine] = field(default_factory=tuple)
    explanation: Sequence[str] = field(default_factory=tuple)
    notice: str = NOTICE


def build_record(events: Sequence[t.CreditEvent], claims_filed: int) -> CreditRecord:
    """The record from its events (superseded ones — decided again on appeal — are left out)."""
    live = [e for e in events if not e.superseded]
    lines = [
        CreditLine(
            claim_id=e.claim_id,
            shop_id=e.shop_id,
            platform_id=e.platform_id,
            at=e.created_at,
            refunded=e.refunded,
            forgery_confirmed=e.forgery_confirmed,
            disputed=e.disputed,
            buyer_won=e.buyer_won,
            reason=e.reason,
        )
        for e in live
    ]
    refunds = sum(e.refunded for e in live)
    forged = sum(e.forgery_confirmed for e in live)
    won = sum(e.disputed and e.buyer_won for e in live)
    lost = sum(e.disputed and not e.buyer_won for e in live)
    explanation = [
        f"{claims_filed} claim(s) filed; {len(live)} decided, at {len({e.shop_id for e in live})} shop(s).",
        f"{refunds} refund(s) granted.",
    ]
    if forged:
        explanation.append(f"{forged} claim(s) where a reviewer confirmed the evidence was forged.")
    if won or lost:
        explanation.append(f"Merchant disputes: {won} decided for the buyer, {lost} for the merchant.")
    explanation.append("This record is context for a reviewer; it never decides a claim by itself.")
    return CreditRecord(
        claims=claims_filed,
        refunds=refunds,
        forgeries_confirmed=forged,
        disputes_won=won,
        disputes_lost=lost,
        shops=len({e.shop_id for e in live}),
        platforms=len({e.platform_id for e in live}),
        lines=tuple(lines),
        explanation=tuple(explanation),
    )
