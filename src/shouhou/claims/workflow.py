"""The one function that changes a claim's state, and the effects that run after commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from shouhou.claims.sla import deadline_for
from shouhou.claims.states import TRANSITIONS, ClaimState
from shouhou.config import ClaimPolicy
from shouhou.statemachine import check_transition
from shouhou.storage import tables as t
from shouhou.storage.uow import UnitOfWork

S = ClaimState

# Effects keyed by (from, to); each gets the claim id after the transaction commits.
Effect = Callable[[str], None]


def transition(
    uow: UnitOfWork,
    claim: t.Claim,
    *,
    to: ClaimState,
    actor: str,
    reason: str,
    now: datetime,
    policy: ClaimPolicy,
    effects: Mapping[tuple[ClaimState, ClaimState], Effect] | None = None,
    audit_reason: str | None = None,
    shop: t.Shop | None = None,
) -> None:
    """Move `claim` to `to`: check the table, stamp the time, reset the timer, record history and audit.

    The caller holds the claim row locked in a write unit of work and commits once. `audit_reason` replaces a
    free-text reason written by a buyer or merchant in the (unerasable) audit log; the history keeps the text.
    """
    src = ClaimState(claim.state)
    check_transition(TRANSITIONS, src, to, what=f"claim {claim.id}")
    shop = shop if shop is not None and shop.id == claim.shop_id else uow.shops.get_or_raise(id=claim.shop_id)
    claim.state = to.value
    claim.state_entered_at = now
    claim.updated_at = now
    deadline = deadline_for(to, now, policy, shop_response_hours=shop.response_window_hours)
    claim.deadline_kind = deadline.kind.value if deadline else None
    claim.deadline_at = deadline.at if deadline else None
    uow.claims.add_transition(
        t.ClaimTransition(
            claim_id=claim.id,
            from_state=src.value,
            to_state=to.value,
            actor=actor,
            reason=reason,
            created_at=now,
        )
    )
    uow.audit.append(
        at=now,
        actor=actor,
        action="claim.transition",
        subject_type="claim",
        subject_id=claim.id,
        detail={
            "from": src.value,
            "to": to.value,
            "reason": reason if audit_reason is None else audit_reason,
            "deadline": deadline.at.isoformat() if deadline else None,
        },
    )
    effect = (effects or {}).get((src, to))
    if effect is not None:
        claim_id = claim.id
        uow.after_commit(lambda: effect(claim_id))


WAKES_WORKER: Final = frozenset({(S.SUBMITTED, S.SCREENING), (S.AWAITING_BUYER, S.SCREENING)})
