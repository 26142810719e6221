"""Technician pages (phone first): my jobs, one job with big buttons for the next legal steps only (accept,
decline, en route, on site, waiting, resume, the completion form with parts, fee and before/after photos),
and the customer's contact details masked until the technician asks to see them (an audited action).
Another technician's job is a 404, as in the API."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.repairs import service, views
from shouhou.repairs.states import RepairState, WaitReason
from shouhou.web.deps import UserPage, require_role
from shouhou.web.labels import N_
from shouhou.web.pages.buyer import uploads
from shouhou.web.render import Page

router = APIRouter()

R = RepairState
Photos = Annotated[list[UploadFile] | None, File()]
Texts = Annotated[list[str] | None, Form()]
# The next steps the job page offers in each state (the service checks the transition table again).
STEPS: dict[str, tuple[str, ...]] = {
    R.DISPATCHED.value: ("accept", "decline"),
    R.ACCEPTED.value: ("en_route", "wait", "decline"),
    R.EN_ROUTE.value: ("on_site", "wait"),
    R.ON_SITE.value: ("complete", "wait"),
    R.WAITING.value: ("resume",),
}
PART_ROWS = 3


def _tech(page: Page) -> Principal:
    return require_role(page, Role.TECHNICIAN)


def yuan_to_fen(text: str) -> int | None:
    """'0', '50', '88.5', '¥1,200.00' → fen; None unless a non-negative amount with at most two decimals."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip() or "0"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def parse_parts(
    page: Page, names: Sequence[str], quantities: Sequence[str], prices: Sequence[str]
) -> list[service.Part] | str:
    """The filled part lines (a line without a name is ignored); an error message for a bad number."""
    parts = []
    for i, name in enumerate(names):
        if not name.strip():
            continue
        qty_text = (quantities[i] if i < len(quantities) else "").strip() or "1"
        price = yuan_to_fen(prices[i] if i < len(prices) else "")
        if not qty_text.isdigit() or int(qty_text) < 1:
            return page._("Part %(name)s: the quantity must be a whole number of at least 1.") % {
                "name": name
            }
        if price is None:
            return page._("Part %(name)s: enter the price in yuan, for example 88 or 88.50.") % {"name": name}
        parts.append(service.Part(name=name.strip()[:200], quantity=int(qty_text), price_fen=price))
    return parts


@router.get("/tech")
def my_jobs(page: UserPage) -> Response:
    me = _tech(page)
    return page.render("tech/jobs.html", title=page._("My jobs"), jobs=views.my_jobs(page.rt, actor=me))


def _job(page: Page, me: Principal, request_id: str, contact: dict[str, Any] | None = None) -> Response:
    rec = views.record(page.rt, actor=me, request_id=request_id)
    req = rec.view.request
    return page.render(
        "tech/job.html",
        title=page._("Job %(id)s") % {"id": request_id},
        rec=rec,
        req=req,
        steps=STEPS.get(req.state, ()),
        contact=contact or rec.contact,
        wait_reasons=[w.value for w in WaitReason],
        part_rows=range(PART_ROWS),
        max_bytes=page.rt.settings.limits.max_bytes,
    )


@router.get("/tech/jobs/{request_id}")
def job(page: UserPage, request_id: str) -> Response:
    me = _tech(page)
    return _job(page, me, request_id)


@router.get("/tech/jobs/{request_id}/{action}")
def back_to_job(page: UserPage, request_id: str, action: str) -> Response:
    """An action's address opened directly (or an error sent back to it): show the job instead."""
    _tech(page)
    return RedirectResponse(f"/tech/jobs/{request_id}", status_code=303)


DONE = {
    "accept": N_("Accepted. Call the customer now: the first response counts from here."),
    "en_route": N_("On the way."),
    "on_site": N_("Arrived on site."),
    "wait": N_("Waiting: the SLA clock is paused."),
    "resume": N_("Resumed: the SLA clock runs again."),
}


@router.post("/tech/jobs/{request_id}/step")
def step(
    page: UserPage,
    request_id: str,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    me = _tech(page)
    back = f"/tech/jobs/{request_id}"
    if action == "decline" and not reason.strip():
        return page.redirect(back, error=page._("Say why you decline: the reason is required."))
    if action == "wait" and reason not in {w.value for w in WaitReason}:
        return page.redirect(back, error=page._("Choose what you are waiting for: the customer or parts."))
    service.step(page.rt, actor=me, request_id=request_id, action=action, reason=reason.strip())
    if action == "decline":
        return page.redirect("/tech", flash=page._("Declined. The job goes to another technician."))
    return page.redirect(back, flash=page._(DONE[action]) if action in DONE else None)


@router.post("/tech/jobs/{request_id}/complete")
def complete(
    page: UserPage,
    request_id: str,
    notes: Annotated[str, Form(max_length=4000)] = "",
    fee: Annotated[str, Form(max_length=30)] = "",
    part_name: Texts = None,
    part_qty: Texts = None,
    part_price: Texts = None,
    before: Photos = None,
    after: Photos = None,
) -> Response:
    me = _tech(page)
    back = f"/tech/jobs/{request_id}"
    fee_fen = yuan_to_fen(fee)
    if fee_fen is None:
        return page.redirect(
            back, error=page._("Enter the fee in yuan, for example 50 or 50.00 (0 if free).")
        )
    parts = parse_parts(page, part_name or [], part_qty or [], part_price or [])
    if isinstance(parts, str):
        return page.redirect(back, error=parts)
    service.complete(
        page.rt,
        actor=me,
        request_id=request_id,
        parts=parts,
        fee_fen=fee_fen,
        notes=notes,
        before=uploads(page, before),
        after=uploads(page, after),
    )
    return page.redirect(
        back, flash=page._("Job completed. The customer gets a text message asking them to rate the visit.")
    )


@router.post("/tech/jobs/{request_id}/contact")
def reveal_contact(page: UserPage, request_id: str) -> Response:
    """The customer's name, phone and address in clear, on this response only (audited by the service)."""
    me = _tech(page)
    contact = service.contact(page.rt, actor=me, request_id=request_id, reveal=True)
    return _job(page, me, request_id, contact=contact)
