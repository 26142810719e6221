"""Supervisor pages: the SLA board (breached and at-risk requests), the uncovered queue, one request with
re-assignment (to a technician dispatch would consider, or the best other one) and cancellation, each with
a reason; coverage by province and county with counts. Admins see them too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.repairs import board, service, views
from shouhou.repairs.states import TRANSITIONS, RepairState
from shouhou.web.deps import UserPage, require_role
from shouhou.web.labels import N_
from shouhou.web.render import Page

router = APIRouter()

R = RepairState
REASSIGNABLE = frozenset({R.RECEIVED, R.UNCOVERED, R.DISPATCHED, R.ACCEPTED, R.REOPENED})
# Dispatch's reasons for passing a technician over, as people read them.
REFUSALS = {
    "not available": N_("not available"),
    "off shift": N_("off shift"),
    "day capacity reached": N_("day capacity reached"),
}


def _supervisor(page: Page) -> Principal:
    return require_role(page, Role.SUPERVISOR, Role.ADMIN)


@router.get("/supervisor")
def sla_board(page: UserPage) -> Response:
    me = _supervisor(page)
    data = board.sla_board(page.rt, actor=me)
    return page.render(
        "supervisor/board.html",
        title=page._("SLA board"),
        board=data,
        within_minutes=int(data.within.total_seconds() // 60),
    )


@router.get("/supervisor/uncovered")
def uncovered(page: UserPage) -> Response:
    me = _supervisor(page)
    rows = views.queue(page.rt, actor=me, states=[R.UNCOVERED.value])
    return page.render("supervisor/uncovered.html", title=page._("Uncovered requests"), rows=rows)


@router.get("/supervisor/coverage")
def coverage(page: UserPage) -> Response:
    me = _supervisor(page)
    return page.render(
        "supervisor/coverage.html", title=page._("Coverage"), provinces=board.coverage(page.rt, actor=me)
    )


@router.get("/supervisor/requests/{request_id}")
def request_page(page: UserPage, request_id: str) -> Response:
    me = _supervisor(page)
    rec = views.record(page.rt, actor=me, request_id=request_id)
    req = rec.view.request
    state = R(req.state)
    return page.render(
        "supervisor/request.html",
        title=page._("Repair request %(id)s") % {"id": request_id},
        rec=rec,
        req=req,
        candidates=board.reassign_candidates(page.rt, actor=me, request_id=request_id)
        if state in REASSIGNABLE
        else [],
        can_reassign=state in REASSIGNABLE,
        can_cancel=R.CANCELLED in TRANSITIONS[state],
        refusals=REFUSALS,
    )


@router.get("/supervisor/requests/{request_id}/{action}")
def back_to_request(page: UserPage, request_id: str, action: str) -> Response:
    _supervisor(page)
    return RedirectResponse(f"/supervisor/requests/{request_id}", status_code=303)


@router.post("/supervisor/requests/{request_id}/reassign")
def reassign(
    page: UserPage,
    request_id: str,
    technician_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    me = _supervisor(page)
    back = f"/supervisor/requests/{request_id}"
    if not reason.strip():
        return page.redirect(back, error=page._("Say why you re-assign: the reason is required."))
    req = service.reassign(
        page.rt, actor=me, request_id=request_id, technician_id=technician_id or None, reason=reason.strip()
    )
    name = views.record(page.rt, actor=me, request_id=req.id).view.technician or ""
    return page.redirect(back, flash=page._("Re-assigned to %(name)s.") % {"name": name})


@router.post("/supervisor/requests/{request_id}/cancel")
def cancel(page: UserPage, request_id: str, reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    me = _supervisor(page)
    back = f"/supervisor/requests/{request_id}"
    if not reason.strip():
        return page.redirect(back, error=page._("Say why you cancel: the reason is required."))
    service.cancel(page.rt, actor=me, request_id=request_id, reason=reason.strip())
    return page.redirect(back, flash=page._("Request cancelled."))
