"""Admin console: the technician roster (coverage, skills, shift, capacity, current load, availability) and
registering a technician. A registration that fails comes back with everything typed; the phone number is
kept sealed (encrypted for this admin) and only ever shown masked."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.errors import Conflict, NotFound, ValidationFailed
from shouhou.privacy.mask import mask_phone, normalise_phone
from shouhou.repairs import admin_views, catalogue, views
from shouhou.web.deps import UserPage, require_role
from shouhou.web.render import Page
from shouhou.web.sealed import seal_phone, unseal_phone

router = APIRouter()

SHIFT = re.compile(r"^\s*((?:[01]\d|2[0-3]):[0-5]\d)\s*[-–~至到]\s*((?:[01]\d|2[0-3]):[0-5]\d)\s*$")
# Coverage is typed one place a line; commas and the Chinese list marks separate places too.
PLACES = re.compile(r"[\n\r,，;；、]+")
MAX_CAPACITY = 100


def _admin(page: Page) -> Principal:
    return require_role(page, Role.ADMIN)


def parse_shift(text: str) -> tuple[str, str] | None:
    found = SHIFT.match(text)
    return (found.group(1), found.group(2)) if found else None


def parse_places(text: str) -> list[str]:
    return [p.strip() for p in PLACES.split(text) if p.strip()]


def parse_skills(values: list[str]) -> list[catalogue.Skill]:
    """Checkbox values "category" (every brand) or "category@brand"."""
    skills = []
    for value in dict.fromkeys(values):
        category, _sep, brand = value.partition("@")
        if category:
            skills.append(catalogue.Skill(category, brand or None))
    return skills


def _roster(
    page: Page,
    me: Principal,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    sealed: str = "",
    status: int = 200,
) -> Response:
    values = values or {"shift": "08:00-20:00", "capacity": "8", "skills": []}
    return page.render(
        "admin/technicians.html",
        status=status,
        title=page._("Technicians"),
        technicians=admin_views.list_technicians(page.rt, actor=me),
        accounts=admin_views.unregistered_accounts(page.rt, actor=me),
        catalogue=views.intake_catalogue(page.rt, actor=me),
        values=values,
        error=error,
        phone_sealed=sealed,
        phone_hint=mask_phone(unseal_phone(page, me, sealed, form="admin_technician")) if sealed else "",
    )


@router.get("/admin/technicians")
def technicians(page: UserPage) -> Response:
    return _roster(page, _admin(page))


@router.post("/admin/technicians")
def register(
    page: UserPage,
    display_name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=30)] = "",
    phone_sealed: Annotated[str, Form(max_length=400)] = "",
    home: Annotated[str, Form(max_length=200)] = "",
    coverage: Annotated[str, Form(max_length=4000)] = "",
    skill: Annotated[list[str] | None, Form()] = None,
    shift: Annotated[str, Form(max_length=20)] = "",
    capacity: Annotated[str, Form(max_length=5)] = "",
    user_id: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    me = _admin(page)
    number = phone.strip() or unseal_phone(page, me, phone_sealed, form="admin_technician")
    values = {
        "display_name": display_name,
        "home": home,
        "coverage": coverage,
        "skills": list(skill or []),
        "shift": shift,
        "capacity": capacity,
        "user_id": user_id,
    }
    try:
        if not display_name.strip():
            raise ValidationFailed(page._("Give the technician's name."))
        if not 6 <= len(normalise_phone(number)) <= 15:
            raise ValidationFailed(page._("Give the technician's phone number (6 to 15 digits)."))
        if not home.strip():
            raise ValidationFailed(page._("Give the home base: the place the technician starts from."))
        places = parse_places(coverage)
        if not places:
            raise ValidationFailed(page._("List at least one county the technician covers."))
        hours = parse_shift(shift)
        if hours is None:
            raise ValidationFailed(page._("Write the shift as HH:MM-HH:MM, for example 08:00-20:00."))
        if not capacity.strip().isdigit() or not 1 <= int(capacity) <= MAX_CAPACITY:
            raise ValidationFailed(
                page._("Capacity is the number of jobs a day, from 1 to %(n)d.") % {"n": MAX_CAPACITY}
            )
        skills = parse_skills(list(skill or []))
        if not skills:
            raise ValidationFailed(page._("Tick at least one skill."))
        tech = catalogue.register_technician(
            page.rt,
            actor=me,
            display_name=display_name.strip(),
            phone=number,
            home=home.strip(),
            coverage=places,
            skills=skills,
            shift=hours,
            capacity_per_day=int(capacity),
            user_id=user_id or None,
        )
    except (ValidationFailed, Conflict, NotFound) as exc:
        return _roster(
            page,
            me,
            values=values,
            error=str(exc),
            sealed=seal_phone(page, me, number, form="admin_technician"),
            status=422,
        )
    return page.redirect(
        "/admin/technicians", flash=page._("%(name)s registered.") % {"name": tech.display_name}
    )


@router.get("/admin/technicians/{technician_id}/available")
def back_to_roster(page: UserPage, technician_id: str) -> Response:
    _admin(page)
    return RedirectResponse("/admin/technicians", status_code=303)


@router.post("/admin/technicians/{technician_id}/available")
def set_available(
    page: UserPage, technician_id: str, available: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    me = _admin(page)
    tech = catalogue.set_available(page.rt, actor=me, technician_id=technician_id, available=available == "1")
    message = (
        page._("%(name)s is available for dispatch.")
        if tech.available
        else page._("%(name)s is unavailable: dispatch passes them over.")
    )
    return page.redirect("/admin/technicians", flash=message % {"name": tech.display_name})
