"""Taking a repair request (by an agent on the phone, or online) and dispatching it at once.

The customer's name, phone and address are encrypted on arrival; a call about an appliance that already has
an open request is linked to it, not re-created; a repeat fault within the brand's warranty window reopens the
last request; emergencies (water leak, a locked safe …) take the green channel.
"""

from __future__ import annotations

import time as wallclock
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.config import RepairPolicy
from shouhou.errors import ValidationFailed
from shouhou.notify import Message
from shouhou.places import distance_km
from shouhou.privacy.mask import mask_address, mask_name, mask_phone, normalise_phone
from shouhou.repairs import dispatch, sla
from shouhou.repairs.catalogue import matching_areas, service_area
from shouhou.repairs.states import HELD_STATES, OPEN_STATES, Channel, Priority, RepairState, ServiceType
from shouhou.repairs.workflow import transition
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

R = RepairState
EMERGENCY_WORDS: Final = (
    "漏水",
    "跑水",
    "水管爆",
    "燃气",
    "煤气",
    "冒烟",
    "着火",
    "打不开",
    "锁死",
    "困",
    "water leak",
    "gas",
    "smoke",
    "locked",
)
SLA = sla.SlaPolicies()  # the built-in defaults; a runtime's settings may differ (see sla_policies)
_POLICIES: dict[int, sla.SlaPolicies] = {}


def sla_policies(rt_: Runtime) -> sla.SlaPolicies:
    """The SLA policies of this runtime's settings (priority defaults, business hours, brand overrides)."""
    key = id(rt_.settings)
    if key not in _POLICIES:
        _POLICIES[key] = policies_from(rt_.settings.repairs)
    return _POLICIES[key]


def policies_from(p: RepairPolicy) -> sla.SlaPolicies:
    hours = sla.BusinessCalendar(opens=dispatch.parse_hhmm(p.opens), closes=dispatch.parse_hhmm(p.closes))
    normal = sla.SlaPolicy(first_response=timedelta(minutes=p.first_response_minutes),
                           onsite=timedelta(hours=p.onsite_hours), calendar=hours)
    emergency = sla.SlaPolicy(first_response=timedelta(minutes=p.emergency_first_response_minutes),
                              onsite=timedelta(hours=p.emergency_onsite_hours), calendar=sla.ALWAYS)
    overrides = {}
    for brand, o in p.brand_overrides.items():
        overrides[(brand, Priority.NORMAL.value)] = sla.SlaPolicy(
            first_response=timedelta(minutes=o.get("first_response_minutes", p.first_response_minutes)),
            onsite=timedelta(hours=o.get("onsite_hours", p.onsite_hours)), calendar=hours)
    return sla.SlaPolicies(defaults={Priority.NORMAL.value: normal, Priority.EMERGENCY.value: emergency},
                           overrides=overrides)


@dataclass(frozen=True)
class IntakeResult:
    request: rt.RepairRequest
    created: bool  # False: linked to an open request (duplicate) or reopened an earlier one
    linked_to_open: bool
    reopened: bool
    technician_id: str | None


def intake(
    rt_: Runtime,
    *,
    actor: Principal,
    customer_name: str,
    phone: str,
    address: str,
    brand: str,
    category: str,
    description: str,
    service_type: str = ServiceType.REPAIR,
    fault_code: str | None = None,
    emergency: bool = False,
    channel: str = Channel.PHONE,
) -> IntakeResult:
    require_role(actor, Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.BUYER)
    digits = normalise_phone(phone)
    if not 6 <= len(digits) <= 15:
        raise ValidationFailed("phone must have 6–15 digits")
    if not customer_name.strip() or not address.strip():
        raise ValidationFailed("customer name and address are required")
    try:
        service_type = ServiceType(service_type).value
        channel = Channel(channel).value
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    place = service_area(address)  # precise error for an unresolvable or ambiguous address
    now = rt_.now()
    ring = rt_.keys.fields
    person = rt_.keys.phone_key(digits)
    with rt_.uow(write=True) as uow:
        b = uow.brands.by_name(name=brand)
        cat = uow.categories.by_code(code=category)
        if b is None or cat is None:
            raise ValidationFailed(
                f"unknown {'brand ' + repr(brand) if b is None else 'category ' + repr(category)}"
            )
        fault = uow.categories.fault(category_id=cat.id, code=fault_code) if fault_code else None
        if fault_code and fault is None:
            raise ValidationFailed(f"unknown fault code {fault_code!r} for {category}")
        customer = uow.customers.by_person(person_key=person)
        # A customer created by this call has no requests yet: two reads saved on most calls.
        first_call = customer is None
        if customer is None:
            customer = uow.customers.add(
                rt.Customer(
                    id=new_id("cus"),
                    person_key=person,
                    name_enc=ring.encrypt_field(customer_name.strip(), context="customers.name"),
                    phone_enc=ring.encrypt_field(digits, context="customers.phone"),
                    name_masked=mask_name(customer_name),
                    phone_masked=mask_phone(digits),
                    points=0,
                    created_at=now,
                )
            )
        open_req = None if first_call else uow.repairs.open_for(
            customer_id=customer.id,
            brand_id=b.id,
            category_id=cat.id,
            open_states=[s.value for s in OPEN_STATES],
        )
        if open_req is not None:
            uow.repairs.add_event(
                rt.RepairEvent(
                    request_id=open_req.id,
                    kind="duplicate",
                    actor=actor.user_id,
                    reason=f"another {channel} contact about the same appliance",
                    created_at=now,
                )
            )
            uow.audit.append(
                at=now,
                actor=actor.user_id,
                action="repair.duplicate_linked",
                subject_type="repair",
                subject_id=open_req.id,
                detail={"channel": channel},
            )
            uow.commit()
            return IntakeResult(open_req, False, True, False, open_req.technician_id)
        priority = (
            Priority.EMERGENCY
            if (
                emergency
                or (fault is not None and fault.emergency)
                or any(w in description.lower() for w in EMERGENCY_WORDS)
            )
            else Priority.NORMAL
        )
        since = now - timedelta(days=b.warranty_days)
        earlier = None if first_call else uow.repairs.last_closed_for(
            customer_id=customer.id, brand_id=b.id, category_id=cat.id, since=since
        )
        if earlier is not None and service_type == ServiceType.REPAIR:
            req = earlier
            transition(
                uow,
                req,
                to=R.REOPENED,
                actor=actor.user_id,
                now=now,
                reason=f"the same fault again within the {b.warranty_days}-day warranty window",
            )
            req.description = description.strip()[:4000]
            req.priority = priority.value
            req.technician_id = None
            req.first_response_at = req.onsite_at = None
            req.first_response_breached = req.onsite_breached = False
            req.pauses = []
            _start_sla(rt_, req, now, brand)
        else:
            req = uow.repairs.add(
                rt.RepairRequest(
                    id=new_id("rep"),
                    customer_id=customer.id,
                    brand_id=b.id,
                    category_id=cat.id,
                    service_type=service_type,
                    fault_code=fault_code,
                    description=description.strip()[:4000],
                    address_enc=ring.encrypt_field(address.strip(), context="repair_requests.address"),
                    address_masked=mask_address(address),
                    adcode=place.adcode or "",
                    province_code=place.province_code,
                    lng=place.lng,
                    lat=place.lat,
                    priority=priority.value,
                    channel=channel,
                    state=R.RECEIVED.value,
                    state_entered_at=now,
                    pauses=[],
                    first_response_breached=False,
                    onsite_breached=False,
                    escalations=0,
                    created_by=actor.user_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.repairs.add_event(
                rt.RepairEvent(
                    request_id=req.id,
                    kind="transition",
                    to_state=R.RECEIVED.value,
                    actor=actor.user_id,
                    reason=f"{channel} intake",
                    created_at=now,
                )
            )
            uow.audit.append(
                at=now,
                actor=actor.user_id,
                action="repair.received",
                subject_type="repair",
                subject_id=req.id,
                detail={"priority": priority.value, "adcode": req.adcode, "channel": channel},
            )
            _start_sla(rt_, req, now, brand)
        tech_id = dispatch_one(rt_, uow, req, now=now, actor=actor.user_id)
        reopened = earlier is not None and req is earlier
        uow.commit()
        return IntakeResult(req, not reopened, False, reopened, tech_id)


def _start_sla(rt_: Runtime, req: rt.RepairRequest, now: datetime, brand: str) -> None:
    policy = sla_policies(rt_).for_(req.priority, brand)
    req.first_response_due = sla.deadline(policy.calendar, now, policy.first_response, [], now)
    req.onsite_due = sla.deadline(policy.calendar, now, policy.onsite, [], now)


def candidates_for(uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> list[dispatch.Candidate]:
    techs = uow.technicians.covering(
        adcodes=matching_areas(req.adcode), category_id=req.category_id, brand_id=req.brand_id
    )
    if not techs:
        return []
    declined = set(uow.repairs.event_reasons(request_id=req.id, kind="declined"))
    techs = [t for t in techs if t.id not in declined]
    if not techs:
        return []
    work = uow.technicians.workload(
        technician_ids=[t.id for t in techs],
        held_states=[s.value for s in HELD_STATES],
        since=_local_midnight(now),
    )
    out = []
    for t in techs:
        dist = (
            0.0
            if req.lng is None or req.lat is None
            else distance_km((t.home_lng, t.home_lat), (req.lng, req.lat))
        )
        out.append(
            dispatch.Candidate(
                technician_id=t.id,
                distance_km=dist,
                open_jobs=work.get(t.id, (0, 0))[0],
                assigned_today=work.get(t.id, (0, 0))[1],
                capacity=t.capacity_per_day,
                rating_sum=t.rating_sum,
                rating_count=t.rating_count,
                shift_start=t.shift_start,
                shift_end=t.shift_end,
                available=t.available,
            )
        )
    return out


def _local_midnight(now: datetime) -> datetime:
    local = now.astimezone(dispatch.SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def dispatch_one(
    rt_: Runtime,
    uow: UnitOfWork,
    req: rt.RepairRequest,
    *,
    now: datetime,
    actor: str,
    exclude: frozenset[str] = frozenset(),
) -> str | None:
    """Give the request to the best eligible technician now; otherwise the uncovered queue (supervisor
    alerted) — unless covering technicians exist but are off shift or full: it waits for the next shift."""
    started = wallclock.perf_counter()
    covering = candidates_for(uow, req, now)
    cands = [c for c in covering if c.technician_id not in exclude]
    best = dispatch.pick(cands, now)
    req.dispatch_ms = round((wallclock.perf_counter() - started) * 1000, 3)
    if best is not None:
        assign(
            rt_,
            uow,
            req,
            best.technician_id,
            now=now,
            actor=actor,
            reason=f"best of {len(cands)} covering technician(s): {best.distance_km:.0f} km, "
            f"{best.open_jobs} open job(s), rating {best.rating:.1f}",
        )
        return best.technician_id
    if not covering and req.state in (R.RECEIVED, R.REOPENED):
        transition(
            uow,
            req,
            to=R.UNCOVERED,
            actor=actor,
            now=now,
            reason="no technician covers this area with this skill",
        )
        request_id = req.id
        uow.after_commit(
            lambda: rt_.notifier.send(
                Message("supervisor", "supervisors", "repair.uncovered", {"request": request_id})
            )
        )
    return None


def assign(
    rt_: Runtime,
    uow: UnitOfWork,
    req: rt.RepairRequest,
    technician_id: str,
    *,
    now: datetime,
    actor: str,
    reason: str,
) -> None:
    if req.state != R.DISPATCHED.value:
        transition(uow, req, to=R.DISPATCHED, actor=actor, now=now, reason=reason)
    req.technician_id = technician_id
    req.dispatched_at = now
    uow.repairs.add_event(
        rt.RepairEvent(
            request_id=req.id,
            kind="assigned",
            actor=actor,
            reason=f"{technician_id}: {reason}",
            created_at=now,
        )
    )
    uow.audit.append(
        at=now,
        actor=actor,
        action="repair.assigned",
        subject_type="repair",
        subject_id=req.id,
        detail={"technician_id": technician_id, "reason": reason},
    )
    request_id = req.id
    uow.after_commit(
        lambda: rt_.notifier.send(Message("sms", technician_id, "repair.new_job", {"request": request_id}))
    )
