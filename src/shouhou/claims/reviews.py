"""What every decision path shares: recording a decision (with its credit event and audit entry) and giving a
claim to a reviewer."""

from __future__ import annotations

from datetime import datetime, timedelta

from shouhou.claims.assign import pick_reviewer
from shouhou.claims.states import Outcome
from shouhou.errors import RuleViolation
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

# ----- decisions and credit


def record_decision(
    uow: UnitOfWork,
    claim: t.Claim,
    *,
    outcome: Outcome,
    refund_fen: int,
    automated: bool,
    stage: str,
    reason: str,
    decided_by: str,
    now: datetime,
    forgery_confirmed: bool,
) -> t.Decision:
    if automated and outcome is Outcome.REJECTED and stage != "lapse":
        raise RuleViolation("a rejection always needs a human")
    decision = t.Decision(
        id=new_id("dec"),
        claim_id=claim.id,
        outcome=outcome.value,
        refund_fen=refund_fen,
        automated=automated,
        stage=stage,
        reason=reason,
        forgery_confirmed=forgery_confirmed,
        decided_by=decided_by,
        created_at=now,
    )
    uow.add(decision)
    uow.audit.append(
        at=now,
        actor=decided_by,
        action="claim.decided",
        subject_type="claim",
        subject_id=claim.id,
        detail={
            "outcome": outcome.value,
            "refund_fen": refund_fen,
            "automated": automated,
            "stage": stage,
            "reason": reason,
            "forgery_confirmed": forgery_confirmed,
        },
    )
    buyer = uow.buyers.get_or_raise(id=claim.buyer_id)
    shop = uow.shops.get_or_raise(id=claim.shop_id)
    disputed = any(r.action in ("dispute", "contest") for r in uow.claims.responses(claim_id=claim.id))
    uow.credit.supersede(claim_id=claim.id)
    refunded = outcome is not Outcome.REJECTED
    uow.credit.add(
        t.CreditEvent(
            person_key=buyer.person_key,
            claim_id=claim.id,
            decision_id=decision.id,
            shop_id=claim.shop_id,
            platform_id=shop.platform_id,
            refunded=refunded,
            forgery_confirmed=forgery_confirmed,
            disputed=disputed,
            buyer_won=refunded,
            superseded=False,
            created_at=now,
            reason=f"{stage} decision {outcome.value}"
            + (" (automated)" if automated else "")
            + f": {reason}",
        )
    )
    return decision


# ----- reviewer assignment and timers


def ensure_review(
    uow: UnitOfWork, claim: t.Claim, *, now: datetime, rt: Runtime, kind: str
) -> t.Review | None:
    """Keep (re-date) the open review, or give the claim to an on-shift reviewer; None: nobody on shift yet
    (the scheduler retries)."""
    due = now + timedelta(hours=rt.settings.claims.review_sla_hours)
    current = uow.reviews.open_for_claim(claim_id=claim.id)
    if current is not None and (kind == "review" or current.kind == "appeal"):
        current.due_at = due
        return current
    exclude: set[str] = set()
    if kind == "appeal":
        exclude = {d.decided_by for d in uow.claims.decisions(claim_id=claim.id) if not d.automated}
        if current is not None:
            current.completed_at = now
    reviewer = pick_reviewer(
        [u.id for u in uow.users.reviewers_on_shift()],
        uow.reviews.open_load(),
        uow.reviews.assigned_count(),
        exclude=exclude,
    )
    if reviewer is None:
        return None
    review = uow.reviews.add(
        t.Review(
            id=new_id("rvw"),
            claim_id=claim.id,
            reviewer_id=reviewer,
            kind=kind,
            assigned_at=now,
            due_at=due,
            breached=False,
        )
    )
    uow.audit.append(
        at=now,
        actor="system",
        action="review.assigned",
        subject_type="claim",
        subject_id=claim.id,
        detail={"reviewer_id": reviewer, "kind": kind, "due": due.isoformat()},
    )
    return review
