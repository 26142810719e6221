"""Repair endpoints: intake, the technician's steps, completion, feedback, staff queues and re-assignment."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from shouhou.api.deps import PrincipalDep, RuntimeDep, read_upload
from shouhou.errors import ValidationFailed
from shouhou.repairs import catalogue, intake, service
from shouhou.repairs import schemas as s

router = APIRouter(tags=["repairs"])


def _detail(rt: RuntimeDep, principal: PrincipalDep, request_id: str) -> s.RepairDetail:
    req, events = service.get(rt, actor=principal, request_id=request_id)
    return s.RepairDetail(
        **s.RepairRead.model_validate(req).model_dump(),
        events=[s.EventRead.model_validate(e) for e in events if e.kind != "feedback_token"],
    )


@router.post("/repairs", status_code=status.HTTP_201_CREATED, response_model=s.IntakeOut)
def create(rt: RuntimeDep, principal: PrincipalDep, body: s.IntakeIn) -> s.IntakeOut:
    """Intake; dispatched at once when a technician qualifies. A call about an appliance with an open request
    is linked to it (200), not re-created."""
    r = intake.intake(rt, actor=principal, **body.model_dump())
    return s.IntakeOut(
        **s.RepairRead.model_validate(r.request).model_dump(),
        created=r.created,
        linked_to_open=r.linked_to_open,
        reopened=r.reopened,
    )


@router.get("/repairs", response_model=list[s.RepairRead])
def list_queue(
    rt: RuntimeDep,
    principal: PrincipalDep,
    state: Annotated[list[str], Query()] = ["uncovered"],  # noqa: B006
) -> list[s.RepairRead]:
    """Staff queues by state (default: the uncovered queue)."""
    return [s.RepairRead.model_validate(r) for r in service.queue(rt, actor=principal, states=state)]


@router.get("/repairs/{request_id}", response_model=s.RepairDetail)
def get(rt: RuntimeDep, principal: PrincipalDep, request_id: str) -> s.RepairDetail:
    return _detail(rt, principal, request_id)


@router.post("/repairs/{request_id}/steps", response_model=s.RepairDetail)
def step(rt: RuntimeDep, principal: PrincipalDep, request_id: str, body: s.StepIn) -> s.RepairDetail:
    """accept | en_route | on_site | decline | wait (reason customer|parts) | resume."""
    req = service.step(rt, actor=principal, request_id=request_id, action=body.action, reason=body.reason)
    if body.action == "decline":  # no longer the caller's job: answer with the row, not a read
        return s.RepairDetail(**s.RepairRead.model_validate(req).model_dump(), events=[])
    return _detail(rt, principal, request_id)


@router.post("/repairs/{request_id}/complete", response_model=s.RepairDetail)
def complete(
    rt: RuntimeDep,
    principal: PrincipalDep,
    request_id: str,
    parts: Annotated[str, Form(description='JSON list of {"name", "quantity", "price_fen"}')] = "[]",
    fee_fen: Annotated[int, Form(ge=0)] = 0,
    notes: Annotated[str, Form()] = "",
    before: Annotated[list[UploadFile] | None, File()] = None,
    after: Annotated[list[UploadFile] | None, File()] = None,
) -> s.RepairDetail:
    try:
        part_list = [service.Part(**p) for p in json.loads(parts)]
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(f"parts must be a JSON list of name/quantity/price_fen: {exc}") from None
    limit = rt.settings.limits.max_bytes
    service.complete(
        rt,
        actor=principal,
        request_id=request_id,
        parts=part_list,
        fee_fen=fee_fen,
        notes=notes,
        before=[read_upload(f, limit) for f in before or []],
        after=[read_upload(f, limit) for f in after or []],
    )
    return _detail(rt, principal, request_id)


@router.post(
    "/repairs/{request_id}/feedback", response_model=s.FeedbackRead, status_code=status.HTTP_201_CREATED
)
def feedback(rt: RuntimeDep, request_id: str, body: s.FeedbackIn) -> s.FeedbackRead:
    """The customer's rating, with the token from their SMS (no account needed)."""
    fb = service.rate(rt, request_id=request_id, rating=body.rating, comment=body.comment, token=body.token)
    return s.FeedbackRead.model_validate(fb)


@router.post("/repairs/{request_id}/reassign", response_model=s.RepairDetail)
def reassign(rt: RuntimeDep, principal: PrincipalDep, request_id: str, body: s.ReassignIn) -> s.RepairDetail:
    service.reassign(
        rt, actor=principal, request_id=request_id, technician_id=body.technician_id, reason=body.reason
    )
    return _detail(rt, principal, request_id)


@router.post("/repairs/{request_id}/cancel", response_model=s.RepairDetail)
def cancel(rt: RuntimeDep, principal: PrincipalDep, request_id: str, body: s.StepIn) -> s.RepairDetail:
    service.cancel(rt, actor=principal, request_id=request_id, reason=body.reason)
    return _detail(rt, principal, request_id)


@router.get("/repairs/{request_id}/contact")
def contact(
    rt: RuntimeDep, principal: PrincipalDep, request_id: str, reveal: bool = False
) -> dict[str, object]:
    return service.contact(rt, actor=principal, request_id=request_id, reveal=reveal)


@router.get("/technicians/me/jobs", response_model=list[s.RepairRead])
def my_jobs(rt: RuntimeDep, principal: PrincipalDep) -> list[s.RepairRead]:
    return [s.RepairRead.model_validate(r) for r in service.my_jobs(rt, actor=principal)]


@router.post("/technicians", response_model=s.TechnicianRead, status_code=status.HTTP_201_CREATED)
def register(rt: RuntimeDep, principal: PrincipalDep, body: s.TechnicianIn) -> s.TechnicianRead:
    tech = catalogue.register_technician(
        rt,
        actor=principal,
        display_name=body.display_name,
        phone=body.phone,
        home=body.home,
        coverage=body.coverage,
        skills=[catalogue.Skill(k.category, k.brand) for k in body.skills],
        shift=(body.shift_start, body.shift_end),
        capacity_per_day=body.capacity_per_day,
        user_id=body.user_id,
    )
    return s.TechnicianRead.model_validate(tech)


@router.put("/technicians/{technician_id}/availability", response_model=s.TechnicianRead)
def availability(
    rt: RuntimeDep, principal: PrincipalDep, technician_id: str, available: Annotated[bool, Query()]
) -> s.TechnicianRead:
    """The technician's own availability toggle (or a supervisor's for them)."""
    tech = catalogue.set_available(rt, actor=principal, technician_id=technician_id, available=available)
    return s.TechnicianRead.model_validate(tech)


@router.get("/tips", response_model=list[s.TipRead])
def tips(rt: RuntimeDep, q: str = "", category: str | None = None) -> list[s.TipRead]:
    """Maintenance tips (public), searchable by words and category."""
    return [s.TipRead.model_validate(t) for t in catalogue.search_tips(rt, category=category, query=q)]
