"""The one function that changes a repair request's state."""

from __future__ import annotations

from datetime import datetime

from shouhou.repairs.states import TRANSITIONS, RepairState
from shouhou.statemachine import check_transition
from shouhou.storage import repair_tables as rt
from shouhou.storage.uow import UnitOfWork


def transition(
    uow: UnitOfWork, req: rt.RepairRequest, *, to: RepairState, actor: str, reason: str, now: datetime
) -> None:
    """Check the table, stamp the time, record the event and the audit entry; the caller commits once."""
    src = RepairState(req.state)
    check_transition(TRANSITIONS, src, to, what=f"repair request {req.id}")
    req.state = to.value
    req.state_entered_at = now
    req.updated_at = now
    uow.repairs.add_event(
        rt.RepairEvent(
            request_id=req.id,
            kind="transition",
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
        action="repair.transition",
        subject_type="repair",
        subject_id=req.id,
        detail={"from": src.value, "to": to.value, "reason": reason},
    )
