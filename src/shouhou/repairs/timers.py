"""What the scheduler does for repairs: SLA breaches escalate (re-assign, alert the supervisor, log), requests
waiting for a shift or for coverage are dispatched when they can be, finished requests close."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from shouhou.notify import Message
from shouhou.repairs.intake import dispatch_one
from shouhou.repairs.states import RepairState
from shouhou.repairs.workflow import transition
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.uow import UnitOfWork

log = logging.getLogger(__name__)
R = RepairState
CLOSE_AFTER = timedelta(days=7)
SLA_STATES = [R.RECEIVED, R.UNCOVERED, R.DISPATCHED, R.ACCEPTED, R.EN_ROUTE, R.REOPENED]


def run_repair_timers(rt_: Runtime, *, limit: int = 500) -> int:
    now = rt_.now()
    done = 0
    with rt_.uow(write=False) as uow:
        due = list(uow.repairs.sla_due(now=now, states=[s.value for s in SLA_STATES], limit=limit))
        waiting = [
            r.id
            for r in uow.repairs.in_states(
                states=[R.RECEIVED.value, R.UNCOVERED.value, R.REOPENED.value], limit=limit
            )
        ]
        finished = [
            r.id
            for r in uow.repairs.in_states(states=[R.COMPLETED.value, R.RATED.value], limit=limit)
            if r.completed_at is not None and now - r.completed_at >= CLOSE_AFTER
        ]
    for request_id in due:
        done += _guard(rt_, request_id, lambda uow, req: _breach(rt_, uow, req, now))
    for request_id in waiting:
        done += _guard(rt_, request_id, lambda uow, req: _retry(rt_, uow, req, now))
    for request_id in finished:
        done += _guard(rt_, request_id, lambda uow, req: _close(uow, req, now))
    return done


def _guard(rt_: Runtime, request_id: str, work: object) -> int:
    try:
        with rt_.uow(write=True) as uow:
            req = uow.repairs.lock_or_raise(id=request_id)
            changed = bool(work(uow, req))  # type: ignore[operator]
            if changed:
                uow.commit()
            return int(changed)
    except Exception:  # one request's failure must not stop the others; retried next tick
        log.exception("repair timer on %s failed", request_id)
        return 0


def _breach(rt_: Runtime, uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> bool:
    kinds = []
    if (
        req.first_response_at is None
        and req.first_response_due
        and req.first_response_due <= now
        and not req.first_response_breached
    ):
        req.first_response_breached = True
        kinds.append("first_response")
    if req.onsite_at is None and req.onsite_due and req.onsite_due <= now and not req.onsite_breached:
        req.onsite_breached = True
        kinds.append("onsite")
    if not kinds:
        return False
    req.escalations += 1
    detail: dict[str, object] = {"breached": kinds, "technician_id": req.technician_id}
    if "first_response" in kinds and req.state == R.DISPATCHED.value:
        held_by = req.technician_id
        transition(
            uow,
            req,
            to=R.RECEIVED,
            actor="system",
            now=now,
            reason="first response not made in time: taken back for another technician",
        )
        req.technician_id = None
        detail["reassigned_to"] = dispatch_one(
            rt_, uow, req, now=now, actor="system", exclude=frozenset({held_by or ""})
        )
    uow.repairs.add_event(
        rt.RepairEvent(
            request_id=req.id,
            kind="escalated",
            actor="system",
            reason=f"SLA breached: {', '.join(kinds)}",
            created_at=now,
        )
    )
    uow.audit.append(
        at=now,
        actor="system",
        action="repair.sla_breached",
        subject_type="repair",
        subject_id=req.id,
        detail=detail,
    )
    request_id = req.id
    uow.after_commit(
        lambda: rt_.notifier.send(
            Message(
                "supervisor",
                "supervisors",
                "repair.sla_breached",
                {"request": request_id, "breached": ",".join(kinds)},
            )
        )
    )
    return True


def _retry(rt_: Runtime, uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> bool:
    if req.state not in (R.RECEIVED.value, R.UNCOVERED.value, R.REOPENED.value):
        return False
    was = req.state
    tech = dispatch_one(rt_, uow, req, now=now, actor="system")
    return tech is not None or req.state != was


def _close(uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> bool:
    if req.state not in (R.COMPLETED.value, R.RATED.value):
        return False
    transition(uow, req, to=R.CLOSED, actor="system", now=now, reason="closed 7 days after the visit")
    return True
