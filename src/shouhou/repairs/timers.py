"""What the scheduler does for repairs: SLA breaches escalate (re-assign, alert the supervisor, log), requests
waiting for a shift or for coverage are dispatched when they can be, finished requests close."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from shouhou.notify import Message
from shouhou.repairs import dispatch
from shouhou.repairs.catalogue import matching_areas
from shouhou.repairs.dispatch import on_shift
from shouhou.repairs.intake import assign, candidates_for, dispatch_one
from shouhou.repairs.states import RepairState
from shouhou.repairs.workflow import transition
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.repair_repositories import QueuedRequest
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
        queued = uow.repairs.queued(
            states=[R.RECEIVED.value, R.UNCOVERED.value, R.REOPENED.value], limit=limit
        )
        waiting = _dispatchable(uow, queued, now)
        finished = uow.repairs.completed_before(
            cutoff=now - CLOSE_AFTER, states=[R.COMPLETED.value, R.RATED.value], limit=limit
        )
    for request_id in due:
        done += _guard(rt_, request_id, lambda uow, req: _breach(rt_, uow, req, now))
    done += dispatch_waiting(rt_, waiting, now)
    for request_id in finished:
        done += _guard(rt_, request_id, lambda uow, req: _close(uow, req, now))
    return done


def _dispatchable(uow: UnitOfWork, rows: Sequence[QueuedRequest], now: datetime) -> list[str]:
    """The waiting requests a retry could move now: a covering, skilled technician is on shift (day capacity
    is left to the assignment), or nobody covers them and they still have to join the uncovered queue. One
    query for all; planning for the rest would cost three queries each, every tick, for nothing (a night's
    calls, all night)."""
    if not rows:
        return []
    serving: dict[tuple[str, str], list[tuple[str | None, str, str]]] = {}
    areas = sorted({area for r in rows for area in matching_areas(r.adcode)})
    for area, category_id, brand_id, start, end in uow.technicians.skills_in(adcodes=areas):
        serving.setdefault((area, category_id), []).append((brand_id, start, end))
    out = []
    for r in rows:
        shifts = [
            (start, end)
            for area in matching_areas(r.adcode)
            for brand_id, start, end in serving.get((area, r.category_id), ())
            if brand_id in (None, r.brand_id)
        ]
        if any(on_shift(start, end, now) for start, end in shifts) if shifts else r.state != R.UNCOVERED:
            out.append(r.id)
    return out


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


def dispatch_waiting(rt_: Runtime, request_ids: Sequence[str], now: datetime) -> int:
    """Requests that waited (for a shift to start, for coverage, after a decline) are assigned together: one
    optimal assignment (least total cost within day capacities) rather than first come, first served, which
    matters when a shift starts with a queue. Requests nobody can take stay where they are."""
    if not request_ids:
        return 0
    with rt_.uow(write=False) as uow:
        rows = [r for r in (uow.repairs.get(id=i) for i in request_ids) if r is not None]
        candidates = {r.id: candidates_for(uow, r, now) for r in rows}
        order = sorted(rows, key=lambda r: (r.priority != "emergency", r.created_at))
        plan = dispatch.assign_batch([r.id for r in order], candidates, now)
    done = 0
    for r in order:
        tech = plan.get(r.id)
        if tech is None and candidates[r.id]:
            continue  # covered, but nobody on shift or with capacity: wait for the next tick
        done += _guard(rt_, r.id, lambda uow, req, tech=tech: _place(rt_, uow, req, tech, now))
    return done


def _place(rt_: Runtime, uow: UnitOfWork, req: rt.RepairRequest, tech: str | None, now: datetime) -> bool:
    if req.state not in (R.RECEIVED.value, R.UNCOVERED.value, R.REOPENED.value):
        return False  # someone acted since the plan was made
    if tech is None:
        was = req.state
        dispatch_one(rt_, uow, req, now=now, actor="system")  # → the uncovered queue (alerting once)
        return req.state != was
    assign(rt_, uow, req, tech, now=now, actor="system", reason="batch assignment of waiting requests")
    return True


def _close(uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> bool:
    if req.state not in (R.COMPLETED.value, R.RATED.value):
        return False
    transition(uow, req, to=R.CLOSED, actor="system", now=now, reason="closed 7 days after the visit")
    return True
