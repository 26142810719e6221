"""The review queue: a reviewer's claims (or, for admins, every claim) filtered by risk, SLA and shop and
ordered by deadline; and who may decide a claim now, in words a page can show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.claims.service import ClaimView
from shouhou.claims.states import ClaimState
from shouhou.errors import ValidationFailed
from shouhou.evidence.model import RiskLevel
from shouhou.runtime import Runtime
from shouhou.storage import tables as t

S = ClaimState
OPEN_STATES: Final = (S.IN_REVIEW.value, S.APPEALED.value)
SLA_FILTERS: Final = ("all", "overdue", "hour")
STATUS_FILTERS: Final = ("open", "all")
SOON: Final = timedelta(hours=1)


@dataclass(frozen=True)
class Queue:
    claims: Sequence[t.Claim]
    total: int
    shops: dict[str, str]  # id → name, every shop (for the filter and the rows)


def review_queue(
    rt: Runtime,
    *,
    actor: Principal,
    status: str = "open",
    risk: str | None = None,
    sla: str = "all",
    shop_id: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Queue:
    """`open`: claims waiting for a decision — for a reviewer, those whose open review is theirs; `all`:
    every claim the caller may see. `sla`: overdue, or due within the hour (not yet overdue)."""
    require_role(actor, Role.REVIEWER, Role.ADMIN)
    if status not in STATUS_FILTERS:
        raise ValidationFailed(f"status must be one of {list(STATUS_FILTERS)}")
    if sla not in SLA_FILTERS:
        raise ValidationFailed(f"sla must be one of {list(SLA_FILTERS)}")
    if risk is not None and risk not in {r.label for r in RiskLevel}:
        raise ValidationFailed(f"unknown risk level {risk!r}")
    now = rt.now()
    due_from, due_before = {
        "all": (None, None),
        "overdue": (None, now),
        "hour": (now, now + SOON),
    }[sla]
    open_only = status == "open"
    with rt.uow(write=False) as uow:
        rows, total = uow.claims.review_queue(
            scope=actor.claim_scope(),
            states=OPEN_STATES if open_only else None,
            open_review_by=actor.user_id if open_only and actor.role is Role.REVIEWER else None,
            risk=risk,
            shop_id=shop_id or None,
            due_from=due_from,
            due_before=due_before,
            descending=descending,
            offset=max(offset, 0),
            limit=max(1, min(limit, 200)),
        )
        shops = {s.id: s.name for s in uow.shops.list(offset=0, limit=1000)[0]}
    return Queue(claims=rows, total=total, shops=shops)


def shop_name(rt: Runtime, *, actor: Principal, shop_id: str) -> str:
    """A shop's name for a reviewer's or admin's page (shop names are not personal data)."""
    require_role(actor, Role.REVIEWER, Role.ADMIN)
    with rt.uow(write=False) as uow:
        shop = uow.shops.get(id=shop_id)
        return shop.name if shop is not None else shop_id


def open_review(view: ClaimView) -> t.Review | None:
    open_ = [r for r in view.reviews if r.completed_at is None]
    return open_[-1] if open_ else None


def why_not_decide(view: ClaimView, actor: Principal) -> str | None:
    """Why `actor` may not decide the claim now (a code a page words), or None when they may.

    The same rules `process.decide` enforces: in review or appealed; the open review is the caller's (an
    admin may step in); an appeal is decided by a reviewer who made none of the claim's earlier decisions."""
    claim = view.claim
    if claim.state not in OPEN_STATES:
        return "not_open"
    review = open_review(view)
    if claim.state == S.APPEALED.value:
        earlier = {d.decided_by for d in view.decisions if not d.automated}
        if actor.user_id in earlier:
            return "own_decision_appealed"
    if actor.role is Role.ADMIN:
        return None
    if actor.role is not Role.REVIEWER:
        return "role"
    if review is None:
        return "unassigned"
    if review.reviewer_id != actor.user_id:
        return "other_reviewer"
    return None
