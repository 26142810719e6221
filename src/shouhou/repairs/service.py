"""What happens to a request after intake: the technician's steps, waiting (the SLA pauses), completion with
parts and photos, feedback, re-assignment, cancellation; reads with object-level permissions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import Upload, require_role
from shouhou.errors import Forbidden, NotFound, RuleViolation, ValidationFailed
from shouhou.evidence.probe import probe_image
from shouhou.notify import Message
from shouhou.privacy.mask import normalise_phone
from shouhou.repairs import sla
from shouhou.repairs.intake import assign, dispatch_one, sla_policies
from shouhou.repairs.states import HELD_STATES, RepairState, WaitReason
from shouhou.repairs.workflow import transition
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

R = RepairState
STAFF = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
# Points for any feedback, whatever its score: rewards tied to a good rating (好评返现) are unlawful in China.
FEEDBACK_POINTS = 10


def visible_or_raise(uow: UnitOfWork, actor: Principal, request_id: str) -> rt.RepairRequest:
    req = uow.repairs.get(id=request_id)
    if req is None:
        raise NotFound(f"repair request {request_id} not found")
    return _visible_or_raise(uow, actor, req)


def _visible_or_raise(uow: UnitOfWork, actor: Principal, req: rt.RepairRequest) -> rt.RepairRequest:
    if actor.role in STAFF:
        return req
    if actor.role is Role.TECHNICIAN:
        tech = uow.technicians.by_user(user_id=actor.user_id)
        if tech is not None and req.technician_id == tech.id:
            return req
    raise NotFound(f"repair request {req.id} not found")


def _locked(uow: UnitOfWork, actor: Principal, request_id: str) -> rt.RepairRequest:
    """The request, read once (locked, then checked for visibility), and the audit log's head: every change
    to a request is audit-logged, and with the head taken before any change the unit of work flushes once, at
    commit, instead of before each later read."""
    req = _visible_or_raise(uow, actor, uow.repairs.lock_or_raise(id=request_id))
    uow.audit.lock()
    return req


def _brand(uow: UnitOfWork, req: rt.RepairRequest) -> str:
    return uow.brands.get_or_raise(id=req.brand_id).name


def _pauses(req: rt.RepairRequest) -> list[sla.Pause]:
    return [
        sla.Pause(datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None) for a, b in req.pauses
    ]


def refresh_deadlines(rt_: Runtime, uow: UnitOfWork, req: rt.RepairRequest, now: datetime) -> None:
    """Deadlines from the request's start, less its pauses (None while a pause is open)."""
    policies = sla_policies(rt_)
    # The brand is read only when some brand has an SLA of its own (a query saved on every step otherwise).
    policy = policies.for_(req.priority, _brand(uow, req) if policies.overrides else None)
    start = req.state_entered_at if req.state == R.REOPENED.value else req.created_at
    pauses = _pauses(req)
    if req.first_response_at is None:
        req.first_response_due = sla.deadline(policy.calendar, start, policy.first_response, pauses, now)
    if req.onsite_at is None:
        req.onsite_due = sla.deadline(policy.calendar, start, policy.onsite, pauses, now)


# ----- the technician's steps


def step(
    rt_: Runtime, *, actor: Principal, request_id: str, action: str, reason: str = ""
) -> rt.RepairRequest:
    """accept (first response: accepted and customer contacted), en_route, on_site, decline, wait (reason
    customer|parts), resume."""
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        req = _locked(uow, actor, request_id)
        if actor.role is Role.TECHNICIAN or action in ("accept", "decline"):
            _require_holder(uow, actor, req)
        if action == "accept":
            transition(
                uow, req, to=R.ACCEPTED, actor=actor.user_id, now=now, reason="accepted, customer contacted"
            )
            if req.first_response_at is None:
                req.first_response_at = now
        elif action == "en_route":
            transition(uow, req, to=R.EN_ROUTE, actor=actor.user_id, now=now, reason="on the way")
        elif action == "on_site":
            transition(uow, req, to=R.ON_SITE, actor=actor.user_id, now=now, reason="arrived")
            if req.onsite_at is None:
                req.onsite_at = now
        elif action == "decline":
            transition(uow, req, to=R.RECEIVED, actor=actor.user_id, now=now, reason=reason or "declined")
            declined = req.technician_id
            req.technician_id = None
            # Remembered, so no later dispatch (a timer tick, a batch) offers it to them again.
            uow.repairs.add_event(
                rt.RepairEvent(
                    request_id=req.id,
                    kind="declined",
                    actor=actor.user_id,
                    reason=declined or "",
                    created_at=now,
                )
            )
            dispatch_one(rt_, uow, req, now=now, actor="system", exclude=frozenset({declined or ""}))
        elif action == "wait":
            try:
                why = WaitReason(reason)
            except ValueError:
                raise ValidationFailed("wait needs reason 'customer' or 'parts'") from None
            resume_to = req.state
            transition(
                uow, req, to=R.WAITING, actor=actor.user_id, now=now, reason=f"waiting for {why.value}"
            )
            req.wait_reason = f"{why.value}:{resume_to}"
            req.pauses = [*req.pauses, [now.isoformat(), None]]
        elif action == "resume":
            if req.state != R.WAITING.value or not req.wait_reason:
                raise RuleViolation(f"repair request {request_id} is {req.state}, not waiting")
            back = RepairState(req.wait_reason.split(":", 1)[1])
            transition(uow, req, to=back, actor=actor.user_id, now=now, reason="resumed")
            req.wait_reason = None
            req.pauses = [*req.pauses[:-1], [req.pauses[-1][0], now.isoformat()]]
        else:
            raise ValidationFailed(f"unknown step {action!r}")
        refresh_deadlines(rt_, uow, req, now)
        uow.commit()
        return req


def _require_holder(uow: UnitOfWork, actor: Principal, req: rt.RepairRequest) -> None:
    if actor.role is not Role.TECHNICIAN:
        raise Forbidden("only the assigned technician does this")
    tech = uow.technicians.by_user(user_id=actor.user_id)
    if tech is None or tech.id != req.technician_id:
        raise NotFound(f"repair request {req.id} not found")


@dataclass(frozen=True)
class Part:
    name: str
    quantity: int
    price_fen: int


def complete(
    rt_: Runtime,
    *,
    actor: Principal,
    request_id: str,
    parts: Sequence[Part],
    fee_fen: int,
    notes: str,
    before: Sequence[Upload] = (),
    after: Sequence[Upload] = (),
) -> tuple[rt.RepairRequest, str]:
    """Close the visit with parts, fee and before/after photos; returns the request and the customer's
    one-time feedback token (sent by SMS; only its hash is kept)."""
    if fee_fen < 0 or any(p.quantity < 1 or p.price_fen < 0 for p in parts):
        raise ValidationFailed("fees and part prices must be ≥ 0, quantities ≥ 1")
    for up in (*before, *after):
        probe_image(up.data, name=up.filename, limits=rt_.settings.limits)
    before_shas = [rt_.blobs.put(u.data).sha256 for u in before]
    after_shas = [rt_.blobs.put(u.data).sha256 for u in after]
    token = secrets.token_urlsafe(16)
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        req = _locked(uow, actor, request_id)
        _require_holder(uow, actor, req)
        # Read before any change is queued, so the unit of work flushes once, at commit.
        category = uow.categories.get_or_raise(id=req.category_id).code
        transition(uow, req, to=R.COMPLETED, actor=actor.user_id, now=now, reason="visit completed")
        req.completed_at = now
        uow.add(
            rt.Visit(
                id=new_id("vis"),
                request_id=req.id,
                technician_id=req.technician_id or "",
                parts=[vars(p) for p in parts],
                fee_fen=fee_fen,
                notes=notes[:4000],
                before_photos=before_shas,
                after_photos=after_shas,
                completed_at=now,
            )
        )
        uow.repairs.add_event(
            rt.RepairEvent(
                request_id=req.id,
                kind="feedback_token",
                actor="system",
                reason=hashlib.sha256(token.encode()).hexdigest(),
                created_at=now,
            )
        )
        customer_id = req.customer_id
        # The visit's SMS asks for a rating and links the maintenance tips of the appliance's category.
        tips = f"/api/v1/tips?category={category}"
        # token_url: the console's rating page (the key names a token, so a logging notifier hides it).
        params = {"request": request_id, "token": token, "tips": tips, "token_url": f"/feedback/{token}"}
        uow.after_commit(lambda: rt_.notifier.send(Message("sms", customer_id, "repair.rate_visit", params)))
        uow.commit()
        return req, token


def rate(
    rt_: Runtime,
    *,
    request_id: str,
    rating: int,
    comment: str,
    token: str | None = None,
    actor: Principal | None = None,
) -> rt.Feedback:
    """The customer rates the visit with the token from their SMS (or an agent records it on a callback).
    Every feedback earns the same points."""
    if not 1 <= rating <= 5:
        raise ValidationFailed("rating must be 1–5")
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        req = uow.repairs.lock_or_raise(id=request_id)
        if actor is not None:
            require_role(actor, *STAFF)
            who = actor.user_id
        else:
            digest = hashlib.sha256((token or "").encode()).hexdigest()
            if not any(
                e.kind == "feedback_token" and e.reason == digest
                for e in uow.repairs.events(request_id=req.id)
            ):
                raise NotFound(f"repair request {request_id} not found")
            who = f"customer:{req.customer_id}"
        if uow.repairs.feedback(request_id=req.id) is not None:
            raise RuleViolation("this visit was rated already")
        transition(uow, req, to=R.RATED, actor=who, now=now, reason="customer feedback")
        fb = uow.add_feedback(
            rt.Feedback(
                request_id=req.id,
                technician_id=req.technician_id or "",
                rating=rating,
                comment=comment[:2000],
                points_awarded=FEEDBACK_POINTS,
                created_at=now,
            )
        )
        tech = uow.technicians.lock_or_raise(id=req.technician_id or "")
        tech.rating_sum += rating
        tech.rating_count += 1
        uow.customers.lock_or_raise(id=req.customer_id).points += FEEDBACK_POINTS
        uow.commit()
        return fb


# ----- staff actions


def reassign(
    rt_: Runtime, *, actor: Principal, request_id: str, technician_id: str | None, reason: str
) -> rt.RepairRequest:
    """Give the request to a named technician, or (None) to the best other one; a reason is required."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
    if not reason.strip():
        raise ValidationFailed("a re-assignment needs a reason")
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        req = _locked(uow, actor, request_id)
        if req.state not in (R.RECEIVED, R.UNCOVERED, R.DISPATCHED, R.ACCEPTED, R.REOPENED):
            raise RuleViolation(f"repair request {request_id} is {req.state}: too late to re-assign")
        previous = req.technician_id
        if req.state == R.ACCEPTED.value:
            transition(uow, req, to=R.RECEIVED, actor=actor.user_id, now=now, reason=f"re-assigned: {reason}")
        if technician_id is None:
            if (
                dispatch_one(rt_, uow, req, now=now, actor=actor.user_id, exclude=frozenset({previous or ""}))
                is None
            ):
                raise RuleViolation("no other technician can take it now")
        else:
            uow.technicians.get_or_raise(id=technician_id)
            assign(rt_, uow, req, technician_id, now=now, actor=actor.user_id, reason=f"manual: {reason}")
        uow.commit()
        return req


def cancel(rt_: Runtime, *, actor: Principal, request_id: str, reason: str) -> rt.RepairRequest:
    require_role(actor, *STAFF)
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        req = _locked(uow, actor, request_id)
        transition(uow, req, to=R.CANCELLED, actor=actor.user_id, now=now, reason=reason or "cancelled")
        uow.commit()
        return req


def get(
    rt_: Runtime, *, actor: Principal, request_id: str
) -> tuple[rt.RepairRequest, Sequence[rt.RepairEvent]]:
    with rt_.uow(write=False) as uow:
        req = visible_or_raise(uow, actor, request_id)
        return req, uow.repairs.events(request_id=request_id)


def my_jobs(rt_: Runtime, *, actor: Principal) -> Sequence[rt.RepairRequest]:
    require_role(actor, Role.TECHNICIAN)
    with rt_.uow(write=False) as uow:
        tech = uow.technicians.by_user(user_id=actor.user_id)
        if tech is None:
            return []
        return uow.repairs.for_technician(technician_id=tech.id, states=[s.value for s in HELD_STATES])


def queue(
    rt_: Runtime, *, actor: Principal, states: Sequence[str], limit: int = 100
) -> Sequence[rt.RepairRequest]:
    require_role(actor, *STAFF)
    with rt_.uow(write=False) as uow:
        return uow.repairs.in_states(states=list(states), limit=limit)


def contact(rt_: Runtime, *, actor: Principal, request_id: str, reveal: bool) -> dict[str, Any]:
    """Masked by default; cleartext for staff and the assigned technician, each read audit-logged."""
    now = rt_.now()
    with rt_.uow(write=reveal) as uow:
        req = visible_or_raise(uow, actor, request_id)
        cust = uow.customers.get_or_raise(id=req.customer_id)
        if not reveal:
            return {
                "name": cust.name_masked,
                "phone": cust.phone_masked,
                "address": req.address_masked,
                "masked": True,
            }
        ring = rt_.keys.fields
        out = {
            "name": ring.decrypt_field(cust.name_enc, context="customers.name"),
            "phone": ring.decrypt_field(cust.phone_enc, context="customers.phone"),
            "address": ring.decrypt_field(req.address_enc, context="repair_requests.address"),
            "masked": False,
        }
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="pii.read",
            subject_type="customer",
            subject_id=cust.id,
            detail={"repair": request_id},
        )
        uow.commit()
        return out


@dataclass(frozen=True)
class CustomerRequests:
    """A customer found by phone number: masked identity and their requests, newest first."""

    customer: rt.Customer
    requests: Sequence[rt.RepairRequest]


def find_by_phone(rt_: Runtime, *, actor: Principal, phone: str, limit: int = 50) -> CustomerRequests | None:
    """Look a customer up by the keyed hash of their phone number (as intake does for duplicates); the
    number is never stored or logged in clear, and the lookup is audit-logged (who searched, what was
    found)."""
    require_role(actor, *STAFF)
    digits = normalise_phone(phone)
    if not 6 <= len(digits) <= 15:
        raise ValidationFailed("phone must have 6–15 digits")
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        cust = uow.customers.by_person(person_key=rt_.keys.phone_key(digits))
        rows = uow.repairs.for_customer(customer_id=cust.id, limit=limit) if cust is not None else []
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="customer.lookup",
            subject_type="customer",
            subject_id=cust.id if cust is not None else "-",
            detail={"found": cust is not None, "requests": len(rows)},
        )
        uow.commit()
        return CustomerRequests(cust, rows) if cust is not None else None
