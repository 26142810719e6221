"""The fair process after screening: merchant response, human review, requests for evidence, decisions,
appeals, timers (lapses, SLA escalation) and reviewer assignment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import Upload, require_role
from shouhou.claims.references import add_packing_video, add_reference_photos, prepare_photos, prepare_video
from shouhou.claims.reviews import ensure_review, record_decision
from shouhou.claims.service import locked_visible, queue_screening, visible_or_raise
from shouhou.claims.states import ClaimState, Outcome, Party
from shouhou.claims.workflow import transition
from shouhou.errors import Forbidden, IllegalTransition, RuleViolation, ValidationFailed
from shouhou.evidence.model import RiskLevel
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
S = ClaimState


# ----- after screening


def after_screening(
    rt: Runtime, uow: UnitOfWork, claim: t.Claim, *, now: datetime, screenings_ok: bool
) -> None:
    """Where a claim goes once every photo is screened (from `screening` only; elsewhere results update)."""
    if claim.state != S.SCREENING.value:
        return
    policy = rt.settings.claims
    if claim.reviewed:
        transition(
            uow, claim, to=S.IN_REVIEW, actor="system", reason="new evidence screened", now=now, policy=policy
        )
        ensure_review(uow, claim, now=now, rt=rt, kind="review")
        return
    shop = uow.shops.get_or_raise(id=claim.shop_id)
    risk = RiskLevel.parse(claim.risk or "high")
    eligible = (
        shop.fast_track
        and screenings_ok
        and risk <= RiskLevel.LOW
        and claim.amount_fen <= shop.fast_track_limit_fen
    )
    if not eligible:
        why = _why_not_fast_track(shop, risk, claim, screenings_ok)
        transition(uow, claim, to=S.AWAITING_MERCHANT, actor="system", reason=why, now=now, policy=policy)
        return
    reason = (
        f"automated approval (fast-track): the shop enables fast-track, every evidence photo "
        f"screened with risk "
        f"{risk.label} (score {claim.risk_score:.2f}), and ¥{claim.amount_fen / 100:.2f} is within "
        f"the shop's "
        f"¥{shop.fast_track_limit_fen / 100:.2f} limit. The merchant may contest this decision."
    )
    outcome = Outcome.REFUND_ONLY if claim.kind == "refund_only" else Outcome.RETURN_AND_REFUND
    transition(uow, claim, to=S.DECIDED, actor="system", reason="fast-track approval", now=now, policy=policy)
    record_decision(
        uow,
        claim,
        outcome=outcome,
        refund_fen=claim.amount_fen,
        automated=True,
        stage="fast_track",
        reason=reason,
        decided_by="system",
        now=now,
        forgery_confirmed=False,
    )


def _why_not_fast_track(shop: t.Shop, risk: RiskLevel, claim: t.Claim, screenings_ok: bool) -> str:
    if not shop.fast_track:
        return "the shop does not use fast-track: the merchant responds first"
    if not screenings_ok:
        return "a photo could not be fully screened: no automated decision"
    if risk > RiskLevel.LOW:
        return f"screening risk {risk.label}: never decided automatically"
    return (
        f"¥{claim.amount_fen / 100:.2f} is over the shop's fast-track limit "
        f"¥{shop.fast_track_limit_fen / 100:.2f}"
    )


# ----- merchant


def merchant_respond(
    rt: Runtime,
    *,
    actor: Principal,
    claim_id: str,
    action: str,
    note: str,
    photos: Sequence[Upload] = (),
    video: Upload | None = None,
) -> t.Claim:
    """accept (→ decided, refund as asked), dispute with counter-evidence (→ in_review), or contest an
    automated decision (decided → in_review)."""
    require_role(actor, Role.MERCHANT)
    if action not in ("accept", "dispute", "contest"):
        raise ValidationFailed("action must be accept, dispute or contest")
    note = note.strip()
    if action in ("dispute", "contest") and not note:
        raise ValidationFailed(f"a {action} needs a note saying why")
    if action == "accept" and (photos or video):
        raise ValidationFailed("counter-evidence goes with a dispute, not an acceptance")
    now = rt.now()
    policy = rt.settings.claims
    with rt.uow(write=False) as read:  # refuse before anything is decoded or written
        _check_response(read, visible_or_raise(read, actor, claim_id), action, now)
    prepared = prepare_photos(rt, photos)
    prepared_video = prepare_video(rt, video) if video is not None else None
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        _check_response(uow, claim, action, now)
        if prepared:
            add_reference_photos(
                uow,
                actor=actor,
                shop_id=claim.shop_id,
                kind="packing",
                photos=prepared,
                now=now,
                order_id=claim.order_id,
                claim_id=claim_id,
            )
        if prepared_video is not None:
            add_packing_video(
                uow,
                actor=actor,
                shop_id=claim.shop_id,
                order_id=claim.order_id,
                video=prepared_video,
                now=now,
                claim_id=claim_id,
            )
        uow.add(
            t.MerchantResponse(
                id=new_id("mrs"),
                claim_id=claim_id,
                action=action,
                note=note,
                responded_by=actor.user_id,
                created_at=now,
            )
        )
        if action == "accept":
            transition(
                uow,
                claim,
                to=S.DECIDED,
                actor=actor.user_id,
                reason="merchant accepted the claim",
                now=now,
                policy=policy,
            )
            outcome = Outcome.REFUND_ONLY if claim.kind == "refund_only" else Outcome.RETURN_AND_REFUND
            record_decision(
                uow,
                claim,
                outcome=outcome,
                refund_fen=claim.amount_fen,
                automated=False,
                stage="merchant",
                reason=note or "merchant accepted",
                decided_by=actor.user_id,
                now=now,
                forgery_confirmed=False,
            )
        else:
            transition(
                uow,
                claim,
                to=S.IN_REVIEW,
                actor=actor.user_id,
                reason=f"merchant {action} (note kept with the response)",
                now=now,
                policy=policy,
            )
            claim.reviewed = True
            ensure_review(uow, claim, now=now, rt=rt, kind="review")
        if photos or video is not None:
            # Packing photos are references too: the claim photos are screened again against them.
            queue_screening(uow, claim_id, now, rescreen=True, reason="merchant counter-evidence")
            uow.after_commit(rt.wake_worker)
        uow.commit()
        return claim


def _check_response(uow: UnitOfWork, claim: t.Claim, action: str, now: datetime) -> None:
    if action in ("accept", "dispute") and claim.state != S.AWAITING_MERCHANT.value:
        raise RuleViolation(
            f"claim {claim.id} is {claim.state}: the merchant responds only while awaiting_merchant"
        )
    if action == "contest":
        decisions = uow.claims.decisions(claim_id=claim.id)
        last = decisions[-1] if decisions else None
        if claim.state != S.DECIDED.value or last is None or not last.automated:
            raise RuleViolation("only an automated decision can be contested; appeal a reviewer's decision")
        if claim.deadline_at is not None and now > claim.deadline_at:
            raise RuleViolation("the 7-day window to contest has passed")


# ----- reviewer


def _require_assigned(uow: UnitOfWork, actor: Principal, claim: t.Claim) -> t.Review | None:
    if actor.role is Role.ADMIN:
        return uow.reviews.open_for_claim(claim_id=claim.id)
    require_role(actor, Role.REVIEWER)
    review = uow.reviews.open_for_claim(claim_id=claim.id)
    if review is None or review.reviewer_id != actor.user_id:
        raise Forbidden(f"claim {claim.id} is not in your review queue")
    return review


def request_evidence(rt: Runtime, *, actor: Principal, claim_id: str, message: str) -> t.Claim:
    if not message.strip():
        raise ValidationFailed("say what evidence is needed")
    now = rt.now()
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        if claim.state != S.IN_REVIEW.value:
            raise RuleViolation(
                f"claim {claim_id} is {claim.state}: more evidence is requested during review"
            )
        _require_assigned(uow, actor, claim)
        transition(
            uow,
            claim,
            to=S.AWAITING_BUYER,
            actor=actor.user_id,
            reason=f"more evidence: {message.strip()}",
            now=now,
            policy=rt.settings.claims,
        )
        uow.commit()
        return claim


def decide(
    rt: Runtime,
    *,
    actor: Principal,
    claim_id: str,
    outcome: str,
    reason: str,
    refund_fen: int | None = None,
    forgery_confirmed: bool = False,
) -> t.Claim:
    """A human decision: in_review → decided, or appealed → decided (then closed) by a different reviewer."""
    require_role(actor, Role.REVIEWER, Role.ADMIN)
    try:
        out = Outcome(outcome)
    except ValueError:
        raise ValidationFailed(f"outcome must be one of {[o.value for o in Outcome]}") from None
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason")
    if forgery_confirmed and out is not Outcome.REJECTED:
        raise ValidationFailed("forged evidence can only be confirmed with a rejection")
    now = rt.now()
    policy = rt.settings.claims
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        state = ClaimState(claim.state)
        if state not in (S.IN_REVIEW, S.APPEALED):
            raise IllegalTransition(
                f"claim {claim_id} is {state.value}: a reviewer decides only in_review or appealed claims"
            )
        review = _require_assigned(uow, actor, claim)
        refund = _refund_for(out, claim.amount_fen, refund_fen)
        if state is S.APPEALED:
            earlier = {d.decided_by for d in uow.claims.decisions(claim_id=claim_id) if not d.automated}
            if actor.user_id in earlier:
                raise RuleViolation("an appeal is decided by a different reviewer than the decision appealed")
        transition(
            uow, claim, to=S.DECIDED, actor=actor.user_id, reason=reason.strip(), now=now, policy=policy
        )
        record_decision(
            uow,
            claim,
            outcome=out,
            refund_fen=refund,
            automated=False,
            stage="appeal" if state is S.APPEALED else "review",
            reason=reason.strip(),
            decided_by=actor.user_id,
            now=now,
            forgery_confirmed=forgery_confirmed,
        )
        if review is not None:
            review.completed_at = now
        if state is S.APPEALED:
            transition(
                uow, claim, to=S.CLOSED, actor="system", reason="appeal decided", now=now, policy=policy
            )
        uow.commit()
        return claim


def _refund_for(out: Outcome, amount: int, refund_fen: int | None) -> int:
    if out is Outcome.REJECTED:
        if refund_fen:
            raise ValidationFailed("a rejection refunds nothing")
        return 0
    if out is Outcome.PARTIAL_REFUND:
        if refund_fen is None or not 0 < refund_fen < amount:
            raise ValidationFailed(f"a partial refund needs 0 < refund_fen < {amount}")
        return refund_fen
    if refund_fen not in (None, amount):
        raise ValidationFailed("a full refund refunds the amount claimed; use partial_refund for less")
    return amount


def appeal(rt: Runtime, *, actor: Principal, claim_id: str, reason: str) -> t.Claim:
    """Buyer or merchant, within the appeal window, once per claim; a different reviewer decides."""
    require_role(actor, Role.BUYER, Role.MERCHANT)
    if not reason.strip():
        raise ValidationFailed("an appeal needs a reason")
    now = rt.now()
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        if claim.state == S.DECIDED.value:
            if claim.appeal_used:
                raise RuleViolation(f"claim {claim_id} was appealed once already")
            if claim.deadline_at is not None and now > claim.deadline_at:
                raise RuleViolation("the appeal window has passed")
        transition(
            uow,
            claim,
            to=S.APPEALED,
            actor=actor.user_id,
            reason=reason.strip(),
            now=now,
            policy=rt.settings.claims,
            audit_reason=f"appeal by the {actor.role.value}",
        )
        claim.appeal_used = True
        party = Party.BUYER if actor.role is Role.BUYER else Party.MERCHANT
        uow.add(
            t.Appeal(
                id=new_id("apl"),
                claim_id=claim_id,
                party=party.value,
                reason=reason.strip(),
                appealed_by=actor.user_id,
                created_at=now,
            )
        )
        ensure_review(uow, claim, now=now, rt=rt, kind="appeal")
        uow.commit()
        return claim
