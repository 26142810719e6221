"""The customer's rating by the one-time link of their SMS: the token alone finds the visit (only its hash
is stored), and rating goes through service.rate, which awards the same points for any score."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from shouhou.errors import NotFound
from shouhou.repairs import service
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt

TOKEN_EVENT = "feedback_token"


@dataclass(frozen=True)
class VisitToRate:
    request_id: str
    brand: str
    category: str
    technician: str
    completed_at: datetime | None
    rated: bool
    points: int  # what any feedback earns, whatever its score


def _request_or_raise(rt_: Runtime, token: str) -> rt.RepairRequest:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with rt_.uow(write=False) as uow:
        req = uow.repairs.by_event(kind=TOKEN_EVENT, reason=digest) if token else None
    if req is None:
        raise NotFound("no visit to rate with this link")
    return req


def visit_for_token(rt_: Runtime, *, token: str) -> VisitToRate:
    """What the rating page shows: no personal data, only the appliance, the technician's display name and
    when the visit was."""
    req = _request_or_raise(rt_, token)
    with rt_.uow(write=False) as uow:
        tech = uow.technicians.get(id=req.technician_id) if req.technician_id else None
        return VisitToRate(
            request_id=req.id,
            brand=uow.brands.get_or_raise(id=req.brand_id).name,
            category=uow.categories.get_or_raise(id=req.category_id).name,
            technician=tech.display_name if tech is not None else "",
            completed_at=req.completed_at,
            rated=uow.repairs.feedback(request_id=req.id) is not None,
            points=service.FEEDBACK_POINTS,
        )


def rate_by_token(rt_: Runtime, *, token: str, rating: int, comment: str) -> rt.Feedback:
    """Rate once; a used link is refused (RuleViolation), an unknown one is a NotFound."""
    req = _request_or_raise(rt_, token)
    return service.rate(rt_, request_id=req.id, rating=rating, comment=comment, token=token)
