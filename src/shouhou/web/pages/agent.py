"""Call-centre agent pages: the new repair request form (typed while the customer talks, with address
suggestions from the places resolver), the intake result with its technician, SLA promise and duplicate
warning, and finding a customer by phone number without the number ever going into a URL or onto a page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.errors import ValidationFailed
from shouhou.places import Resolution, resolve
from shouhou.privacy.mask import mask_phone
from shouhou.repairs import catalogue, intake, service, views
from shouhou.repairs.states import Channel, ServiceType
from shouhou.web.deps import UserPage, require_role
from shouhou.web.render import Page
from shouhou.web.sealed import seal_phone, unseal_phone

router = APIRouter()

AGENTS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
OUTCOMES = ("linked", "reopened")
MAX_SUGGESTIONS = 8
PREFIX_LIMIT = 60  # characters of a typed address tried as a place name (a resolve costs well under 1 ms)


def _agent(page: Page) -> Principal:
    return require_role(page, *AGENTS)


def _form(
    page: Page,
    me: Principal,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    sealed: str = "",
    status: int = 200,
) -> Response:
    values = values or {"service_type": ServiceType.REPAIR.value, "channel": Channel.PHONE.value}
    return page.render(
        "agent/new.html",
        status=status,
        title=page._("New repair request"),
        catalogue=views.intake_catalogue(page.rt, actor=me),
        service_types=[s.value for s in ServiceType],
        channels=[c.value for c in Channel],
        values=values,
        error=error,
        phone_sealed=sealed,
        phone_hint=mask_phone(unseal_phone(page, me, sealed, form="agent")) if sealed else "",
    )


@router.get("/agent")
def new_request(page: UserPage) -> Response:
    me = _agent(page)
    return _form(page, me)


@router.post("/agent")
def create_request(
    page: UserPage,
    customer_name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=30)] = "",
    phone_sealed: Annotated[str, Form(max_length=400)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    brand: Annotated[str, Form(max_length=200)] = "",
    category: Annotated[str, Form(max_length=50)] = "",
    fault_code: Annotated[str, Form(max_length=30)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    service_type: Annotated[str, Form(max_length=20)] = ServiceType.REPAIR.value,
    emergency: Annotated[str, Form(max_length=10)] = "",
    channel: Annotated[str, Form(max_length=10)] = Channel.PHONE.value,
) -> Response:
    me = _agent(page)
    number = phone.strip() or unseal_phone(page, me, phone_sealed, form="agent")
    values = {
        "customer_name": customer_name,
        "address": address,
        "brand": brand,
        "category": category,
        "fault_code": fault_code,
        "description": description,
        "service_type": service_type,
        "channel": channel,
        "emergency": bool(emergency),
    }
    try:
        if not description.strip():
            raise ValidationFailed(page._("Describe the problem: the description is required."))
        result = intake.intake(
            page.rt,
            actor=me,
            customer_name=customer_name,
            phone=number,
            address=address,
            brand=brand,
            category=category,
            description=description,
            service_type=service_type,
            fault_code=fault_code.strip() or None,
            emergency=bool(emergency),
            channel=channel,
        )
    except ValidationFailed as exc:
        # The form comes back with everything typed (the number sealed, never shown): the agent is still on
        # the phone and must not type it all again.
        return _form(
            page,
            me,
            values=values,
            error=str(exc),
            sealed=seal_phone(page, me, number, form="agent"),
            status=422,
        )
    url = f"/agent/requests/{result.request.id}"
    if result.linked_to_open or result.reopened:
        # Shown once, on the page the agent lands on: this call created nothing new.
        return page.redirect(url + ("?outcome=linked" if result.linked_to_open else "?outcome=reopened"))
    return page.redirect(url, flash=page._("Request created."))


@router.get("/agent/requests/{request_id}")
def request_page(page: UserPage, request_id: str, outcome: str = "") -> Response:
    me = _agent(page)
    rec = views.record(page.rt, actor=me, request_id=request_id)
    return page.render(
        "agent/request.html",
        title=page._("Repair request %(id)s") % {"id": request_id},
        rec=rec,
        req=rec.view.request,
        outcome=outcome if outcome in OUTCOMES else "",
    )


# ----- address suggestions


def _stem(adcode: str) -> str:
    """The part of a division code its subdivisions share: 36 for 360000, 3611 for 361100."""
    if len(adcode) == 6 and adcode.endswith("0000"):
        return adcode[:2]
    if len(adcode) == 6 and adcode.endswith("00"):
        return adcode[:4]
    return adcode


def _typed_so_far(text: str) -> Resolution:
    """While the street part is being typed the whole text resolves to nothing: the place named by its
    start is what the agent means. Starts are read from short to long, each kept only if it refines the
    last (顺德 → 顺德区, then 顺德凤山 is not read as 广西's 凤山县)."""
    best: Resolution | None = None
    ambiguous: Resolution | None = None
    for end in range(2, min(len(text), PREFIX_LIMIT) + 1):
        r = resolve(text[:end])
        if r.candidates and best is None:
            ambiguous = r
        elif (
            r.resolved
            and not r.candidates
            and r.adcode
            and (best is None or r.adcode.startswith(_stem(best.adcode or "-")))
        ):
            best = r
    return best or ambiguous or Resolution(input=text)


def suggestions(text: str) -> list[dict[str, Any]]:
    """Readings of a typed address down to county or town, each with whether dispatch can work with it."""
    text = text.strip()[:200]
    r = resolve(text)
    if not r.resolved and not r.candidates:
        r = _typed_so_far(text)
    if r.candidates:
        readings: list[Any] = list(r.candidates[:MAX_SUGGESTIONS])
    elif r.resolved:
        readings = [r]
    else:
        readings = []
    out = []
    for c in readings:
        names = {
            level: (p.name if p is not None else "")
            for level, p in (
                ("province", c.province),
                ("city", c.city),
                ("county", c.county),
                ("town", c.town),
            )
        }
        try:
            catalogue.service_area(c.adcode or "")
            dispatchable = True
        except ValidationFailed:
            dispatchable = False
        out.append(
            {
                **names,
                "label": " / ".join(n for n in names.values() if n),
                "adcode": c.adcode,
                "level": c.level,
                "dispatchable": dispatchable,
            }
        )
    return out


@router.get("/agent/places")
def places_get(page: UserPage, q: str = "") -> JSONResponse:
    _agent(page)
    return JSONResponse({"candidates": suggestions(q)}, headers={"Cache-Control": "no-store"})


@router.post("/agent/places")
def places_post(page: UserPage, q: Annotated[str, Form(max_length=500)] = "") -> JSONResponse:
    """The same, for the form's script: the typed address goes in the body, never in a URL or a log."""
    _agent(page)
    return JSONResponse({"candidates": suggestions(q)}, headers={"Cache-Control": "no-store"})


# ----- find a customer by phone


@router.get("/agent/find")
def find_form(page: UserPage) -> Response:
    _agent(page)
    return page.render("agent/find.html", title=page._("Find a customer"), searched=False, found=None)


@router.post("/agent/find")
def find_customer(page: UserPage, phone: Annotated[str, Form(max_length=30)] = "") -> Response:
    me = _agent(page)
    found = service.find_by_phone(page.rt, actor=me, phone=phone)
    rows = views.described(page.rt, actor=me, rows=found.requests) if found is not None else []
    return page.render(
        "agent/find.html", title=page._("Find a customer"), searched=True, found=found, rows=rows
    )
