"""Timers the scheduler fires (merchant window, evidence window, appeal window, review SLA escalation), claims
waiting for a reviewer, and re-screening."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.assign import pick_reviewer
from shouhou.claims.reviews import ensure_review, record_decision
from shouhou.claims.service import queue_screening
from shouhou.claims.states import ClaimState, DeadlineKind, Outcome
from shouhou.claims.workflow import transition
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
S = ClaimState


def run_timers(rt: Runtime, *, limit: int = 200) -> int:
    """Fire every timer that is due; returns how many fired. Each claim in its own transaction."""
    now = rt.now()
    with rt.uow(write=False) as uow:
        due = list(uow.claims.due(now=now, limit=limit))
    fired = 0
    for claim_id in due:
        try:
            fired += _fire(rt, claim_id, now)
        except Exception:
            log.exception("timer on claim %s failed; it will be retried", claim_id)
    fired += _assign_waiting(rt, now)
    return fired


def _fire(rt: Runtime, claim_id: str, now: datetime) -> int:
    policy = rt.settings.claims
    with rt.uow(write=True) as uow:
        claim = uow.claims.lock_or_raise(id=claim_id)
        if claim.deadline_at is None or claim.deadline_at > now:
            return 0  # someone acted first
        kind = DeadlineKind(claim.deadline_kind) if claim.deadline_kind else None
        if kind is DeadlineKind.MERCHANT_RESPONSE:
            transition(
                uow,
                claim,
                to=S.IN_REVIEW,
                actor="system",
                now=now,
                policy=policy,
                reason="the merchant did not respond within the response window",
            )
            claim.reviewed = True
            ensure_review(uow, claim, now=now, rt=rt, kind="review")
        elif kind is DeadlineKind.BUYER_EVIDENCE:
            transition(
                uow,
                claim,
                to=S.DECIDED,
                actor="system",
                now=now,
                policy=policy,
                reason="the requested evidence did not arrive in time",
            )
            review = uow.reviews.open_for_claim(claim_id=claim_id)
            if review is not None:
                review.completed_at = now
            record_decision(
                uow,
                claim,
                outcome=Outcome.REJECTED,
                refund_fen=0,
                automated=True,
                stage="lapse",
                reason="rejected for missing evidence: a reviewer asked for more evidence and none "
                "arrived within the window",
                decided_by="system",
                now=now,
                forgery_confirmed=False,
            )
        elif kind is DeadlineKind.APPEAL_WINDOW:
            transition(
                uow,
                claim,
                to=S.CLOSED,
                actor="system",
                now=now,
                policy=policy,
                reason="the appeal window passed",
            )
        elif kind is DeadlineKind.REVIEW_SLA:
            _escalate(uow, claim, now=now, rt=rt)
        else:  # pragma: no cover - a timer kind added without a handler
            log.error("claim %s has an unknown timer %r", claim_id, claim.deadline_kind)
            return 0
        uow.commit()
        return 1


def _escalate(uow: UnitOfWork, claim: t.Claim, *, now: datetime, rt: Runtime) -> None:
    """Review SLA breached: flag it, log it, hand the claim to another on-shift reviewer if any."""
    claim.sla_breached = True
    review = uow.reviews.open_for_claim(claim_id=claim.id)
    detail: dict[str, object] = {"reviewer_id": review.reviewer_id if review else None}
    exclude = {review.reviewer_id} if review else set()
    if claim.state == S.APPEALED.value:
        exclude |= {d.decided_by for d in uow.claims.decisions(claim_id=claim.id) if not d.automated}
    nxt = pick_reviewer(
        [u.id for u in uow.users.reviewers_on_shift()],
        uow.reviews.open_load(),
        uow.reviews.assigned_count(),
        exclude=exclude,
    )
    due = now + timedelta(hours=rt.settings.claims.review_sla_hours)
    if review is not None:
        review.breached = True
    if nxt is not None:
        if review is not None:
            review.completed_at = now
        uow.reviews.add(
            t.Review(
                id=new_id("rvw"),
                claim_id=claim.id,
                reviewer_id=nxt,
                kind="appeal" if claim.state == S.APPEALED.value else "review",
                assigned_at=now,
                due_at=due,
                breached=False,
            )
        )
        detail["reassigned_to"] = nxt
    claim.deadline_at = due  # the next escalation, if this one is not handled either
    uow.audit.append(
        at=now,
        actor="system",
        action="review.sla_breached",
        subject_type="claim",
        subject_id=claim.id,
        detail=detail,
    )


def _assign_waiting(rt: Runtime, now: datetime) -> int:
    """Claims in review with no open review (nobody was on shift) get a reviewer when one is."""
    with rt.uow(write=False) as uow:
        waiting = [
            c.id
            for state in (S.IN_REVIEW.value, S.APPEALED.value)
            for c in uow.claims.list_scoped(
                scope=Principal("system", "system", Role.ADMIN).claim_scope(),
                state=state,
                risk=None,
                offset=0,
                limit=500,
            )[0]
            if uow.reviews.open_for_claim(claim_id=c.id) is None
        ]
        if not waiting or not uow.users.reviewers_on_shift():
            return 0
    n = 0
    for claim_id in waiting:
        with rt.uow(write=True) as uow:
            claim = uow.claims.lock_or_raise(id=claim_id)
            if uow.reviews.open_for_claim(claim_id=claim_id) is None and claim.state in (
                S.IN_REVIEW,
                S.APPEALED,
            ):
                kind = "appeal" if claim.state == S.APPEALED.value else "review"
                n += ensure_review(uow, claim, now=now, rt=rt, kind=kind) is not None
                uow.commit()
    return n


def rescreen(rt: Runtime, *, claim_ids: Sequence[str] | None, reason: str) -> int:
    """Queue a fresh screening of every photo of the given claims (all claims when None)."""
    now = rt.now()
    with rt.uow(write=True) as uow:
        ids = list(claim_ids) if claim_ids else list(uow.claims.ids())
        for claim_id in ids:
            uow.claims.get_or_raise(id=claim_id)
            queue_screening(uow, claim_id, now, rescreen=True, reason=reason)
        uow.audit.append(
            at=now,
            actor="system",
            action="claims.rescreen",
            subject_type="claims",
            subject_id=str(len(ids)),
            detail={"reason": reason, "claims": ids[:100]},
        )
        uow.after_commit(rt.wake_worker)
        uow.commit()
        return len(ids)
