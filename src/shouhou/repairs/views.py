"""Read models for the console: repair requests with the names of their brand, category, technician and
area, the intake form's catalogue, and one request's record. Masked data only: cleartext contact details
come from service.contact(reveal=True), which audits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.places import resolve
from shouhou.repairs.service import STAFF, visible_or_raise
from shouhou.repairs.states import HELD_STATES
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.uow import UnitOfWork

# Events that are secrets or plumbing, never shown (the feedback token's hash, the decliner's id).
HIDDEN_EVENTS = frozenset({"feedback_token", "declined"})


@dataclass(frozen=True)
class RepairView:
    request: rt.RepairRequest
    brand: str
    category: str
    technician: str | None  # display name of the technician holding it
    area: str  # the division path of the request's area code: 江西省 上饶市 广信区


@lru_cache(maxsize=4096)
def area_name(adcode: str) -> str:
    """'江西省 上饶市 广信区' for a county code, with the town for a town code; the code if unknown."""
    if not adcode:
        return ""
    r = resolve(adcode)
    names = [p.name for p in (r.province, r.city, r.county, r.town) if p is not None]
    return " ".join(names) or adcode


def describe(uow: UnitOfWork, rows: Sequence[rt.RepairRequest]) -> list[RepairView]:
    brands = {b.id: b.name for b in uow.brands.all()}
    cats = {c.id: c.name for c in uow.categories.all()}
    techs = uow.technicians.names(technician_ids=[r.technician_id for r in rows if r.technician_id])
    return [
        RepairView(
            request=r,
            brand=brands.get(r.brand_id, r.brand_id),
            category=cats.get(r.category_id, r.category_id),
            technician=techs.get(r.technician_id) if r.technician_id else None,
            area=area_name(r.adcode),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Fault:
    code: str
    description: str
    emergency: bool


@dataclass(frozen=True)
class IntakeCatalogue:
    brands: list[str]
    categories: list[tuple[str, str]]  # (code, name)
    faults: dict[str, list[Fault]]  # by category code


def intake_catalogue(rt_: Runtime, *, actor: Principal) -> IntakeCatalogue:
    """What the intake form offers: brands, categories and their fault codes."""
    require_role(actor, *STAFF)
    with rt_.uow(write=False) as uow:
        cats = uow.categories.all()
        return IntakeCatalogue(
            brands=[b.name for b in uow.brands.all()],
            categories=[(c.code, c.name) for c in cats],
            faults={
                c.code: [
                    Fault(f.code, f.description, f.emergency) for f in uow.categories.faults(category_id=c.id)
                ]
                for c in cats
            },
        )


def described(rt_: Runtime, *, actor: Principal, rows: Sequence[rt.RepairRequest]) -> list[RepairView]:
    require_role(actor, *STAFF)
    with rt_.uow(write=False) as uow:
        return describe(uow, rows)


def queue(rt_: Runtime, *, actor: Principal, states: Sequence[str], limit: int = 200) -> list[RepairView]:
    require_role(actor, *STAFF)
    with rt_.uow(write=False) as uow:
        return describe(uow, uow.repairs.in_states(states=list(states), limit=limit))


def my_jobs(rt_: Runtime, *, actor: Principal) -> list[RepairView]:
    """The signed-in technician's jobs, emergencies first, then by first-response deadline."""
    require_role(actor, Role.TECHNICIAN)
    with rt_.uow(write=False) as uow:
        tech = uow.technicians.by_user(user_id=actor.user_id)
        if tech is None:
            return []
        rows = uow.repairs.for_technician(technician_id=tech.id, states=[s.value for s in HELD_STATES])
        views = describe(uow, rows)
    far = rt_.now().replace(year=9999)
    return sorted(
        views,
        key=lambda v: (
            v.request.priority != "emergency",
            v.request.first_response_due
            if v.request.first_response_at is None and v.request.first_response_due
            else far,
            v.request.created_at,
        ),
    )


@dataclass(frozen=True)
class RepairRecord:
    view: RepairView
    events: list[rt.RepairEvent]
    visits: list[rt.Visit]
    feedback: rt.Feedback | None
    contact: dict[str, Any]  # masked
    duplicates: int  # later calls about the same appliance linked to this request


def record(rt_: Runtime, *, actor: Principal, request_id: str) -> RepairRecord:
    """One request as its viewer may see it (staff, or the technician holding it; others get a 404)."""
    with rt_.uow(write=False) as uow:
        req = visible_or_raise(uow, actor, request_id)
        cust = uow.customers.get_or_raise(id=req.customer_id)
        events = [e for e in uow.repairs.events(request_id=req.id) if e.kind not in HIDDEN_EVENTS]
        return RepairRecord(
            view=describe(uow, [req])[0],
            events=events,
            visits=list(uow.repairs.visits(request_id=req.id)),
            feedback=uow.repairs.feedback(request_id=req.id),
            contact={
                "name": cust.name_masked,
                "phone": cust.phone_masked,
                "address": req.address_masked,
                "masked": True,
            },
            duplicates=sum(1 for e in events if e.kind == "duplicate"),
        )
