"""Repositories of the repair tables (same rules: typed, keyword-only, never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from shouhou.storage import repair_tables as rt
from shouhou.storage.repositories import Repository


class BrandRepository(Repository[rt.Brand]):
    model = rt.Brand
    noun = "brand"

    def by_name(self, *, name: str) -> rt.Brand | None:
        return self.session.scalars(select(rt.Brand).where(rt.Brand.name == name)).first()

    def all(self) -> Sequence[rt.Brand]:
        return self.session.scalars(select(rt.Brand).order_by(rt.Brand.name)).all()


class CategoryRepository(Repository[rt.Category]):
    model = rt.Category
    noun = "category"

    def by_code(self, *, code: str) -> rt.Category | None:
        return self.session.scalars(select(rt.Category).where(rt.Category.code == code)).first()

    def all(self) -> Sequence[rt.Category]:
        return self.session.scalars(select(rt.Category).order_by(rt.Category.code)).all()

    def fault(self, *, category_id: str, code: str) -> rt.FaultCode | None:
        stmt = select(rt.FaultCode).where(rt.FaultCode.category_id == category_id, rt.FaultCode.code == code)
        return self.session.scalars(stmt).first()

    def faults(self, *, category_id: str) -> Sequence[rt.FaultCode]:
        stmt = select(rt.FaultCode).where(rt.FaultCode.category_id == category_id).order_by(rt.FaultCode.code)
        return self.session.scalars(stmt).all()


class TechnicianRepository(Repository[rt.Technician]):
    model = rt.Technician
    noun = "technician"

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        # Rows found by user in this unit of work: a technician's step asks twice (may they see it, do they
        # hold it), and a second query would only return the same row from the session.
        self._by_user: dict[str, rt.Technician] = {}

    def by_user(self, *, user_id: str) -> rt.Technician | None:
        row = self._by_user.get(user_id)
        if row is None:
            row = self.session.scalars(select(rt.Technician).where(rt.Technician.user_id == user_id)).first()
            if row is not None:
                self._by_user[user_id] = row
        return row

    def covering(self, *, adcodes: Sequence[str], category_id: str, brand_id: str) -> Sequence[rt.Technician]:
        """Available technicians who cover one of `adcodes` and have the skill (category, brand or any)."""
        covers = select(rt.TechnicianCoverage.technician_id).where(
            rt.TechnicianCoverage.adcode.in_(list(adcodes))
        )
        skilled = select(rt.TechnicianSkill.technician_id).where(
            rt.TechnicianSkill.category_id == category_id,
            or_(rt.TechnicianSkill.brand_id.is_(None), rt.TechnicianSkill.brand_id == brand_id),
        )
        stmt = select(rt.Technician).where(
            rt.Technician.available, rt.Technician.id.in_(covers), rt.Technician.id.in_(skilled)
        )
        return self.session.scalars(stmt.order_by(rt.Technician.id)).all()

    def add_skill(self, row: rt.TechnicianSkill) -> None:
        self.session.add(row)

    def add_coverage(self, row: rt.TechnicianCoverage) -> None:
        self.session.add(row)

    def coverage(self, *, technician_id: str) -> Sequence[str]:
        stmt = select(rt.TechnicianCoverage.adcode).where(
            rt.TechnicianCoverage.technician_id == technician_id
        )
        return self.session.scalars(stmt).all()

    def skills(self, *, technician_id: str) -> Sequence[rt.TechnicianSkill]:
        stmt = select(rt.TechnicianSkill).where(rt.TechnicianSkill.technician_id == technician_id)
        return self.session.scalars(stmt.order_by(rt.TechnicianSkill.id)).all()

    def covered_adcodes(self) -> set[str]:
        return set(self.session.scalars(select(rt.TechnicianCoverage.adcode).distinct()).all())

    def load(self, *, technician_ids: Sequence[str], held_states: Sequence[str]) -> dict[str, int]:
        stmt = (
            select(rt.RepairRequest.technician_id, func.count())
            .where(
                rt.RepairRequest.technician_id.in_(list(technician_ids)),
                rt.RepairRequest.state.in_(list(held_states)),
            )
            .group_by(rt.RepairRequest.technician_id)
        )
        return {tid: int(n) for tid, n in self.session.execute(stmt).all() if tid}

    def workload(
        self, *, technician_ids: Sequence[str], held_states: Sequence[str], since: datetime
    ) -> dict[str, tuple[int, int]]:
        """(jobs held now, jobs given since `since`) per technician: `load` and `assigned_since` in one read,
        as dispatch asks for both at every decision."""
        r = rt.RepairRequest
        held, today = r.state.in_(list(held_states)), r.dispatched_at >= since
        stmt = (
            select(
                r.technician_id,
                func.sum(case((held, 1), else_=0)),
                func.sum(case((today, 1), else_=0)),
            )
            .where(r.technician_id.in_(list(technician_ids)), or_(held, today))
            .group_by(r.technician_id)
        )
        return {tid: (int(n), int(k)) for tid, n, k in self.session.execute(stmt).all() if tid}

    def assigned_since(self, *, technician_ids: Sequence[str], since: datetime) -> dict[str, int]:
        """Jobs given to each technician since `since` (the start of their working day): day capacity."""
        stmt = (
            select(rt.RepairRequest.technician_id, func.count())
            .where(
                rt.RepairRequest.technician_id.in_(list(technician_ids)),
                rt.RepairRequest.dispatched_at >= since,
            )
            .group_by(rt.RepairRequest.technician_id)
        )
        return {tid: int(n) for tid, n in self.session.execute(stmt).all() if tid}

    def all_ids(self) -> Sequence[str]:
        return self.session.scalars(select(rt.Technician.id).order_by(rt.Technician.id)).all()

    def names(self, *, technician_ids: Sequence[str]) -> dict[str, str]:
        """Display names by id (for lists that show who holds each job)."""
        if not technician_ids:
            return {}
        stmt = select(rt.Technician.id, rt.Technician.display_name).where(
            rt.Technician.id.in_(sorted(set(technician_ids)))
        )
        return {tid: name for tid, name in self.session.execute(stmt).all()}

    def coverage_rows(self) -> list[tuple[str, str, bool, str, str]]:
        """(technician_id, area code, available, shift_start, shift_end) for every coverage entry."""
        stmt = select(
            rt.TechnicianCoverage.technician_id,
            rt.TechnicianCoverage.adcode,
            rt.Technician.available,
            rt.Technician.shift_start,
            rt.Technician.shift_end,
        ).join(rt.Technician, rt.Technician.id == rt.TechnicianCoverage.technician_id)
        return [(t, a, bool(v), s, e) for t, a, v, s, e in self.session.execute(stmt).all()]

    def skills_in(self, *, adcodes: Sequence[str]) -> list[tuple[str, str, str | None, str, str]]:
        """(area, category_id, brand_id or None for every brand, shift_start, shift_end) of each skill of each
        available technician covering one of `adcodes`: who could serve there, and when."""
        stmt = (
            select(
                rt.TechnicianCoverage.adcode,
                rt.TechnicianSkill.category_id,
                rt.TechnicianSkill.brand_id,
                rt.Technician.shift_start,
                rt.Technician.shift_end,
            )
            .join(rt.Technician, rt.Technician.id == rt.TechnicianCoverage.technician_id)
            .join(rt.TechnicianSkill, rt.TechnicianSkill.technician_id == rt.Technician.id)
            .where(rt.Technician.available, rt.TechnicianCoverage.adcode.in_(list(adcodes)))
            .distinct()
        )
        return [(a, c, b, s, e) for a, c, b, s, e in self.session.execute(stmt).all()]


class CustomerRepository(Repository[rt.Customer]):
    model = rt.Customer
    noun = "customer"

    def by_person(self, *, person_key: str) -> rt.Customer | None:
        return self.session.scalars(select(rt.Customer).where(rt.Customer.person_key == person_key)).first()


class QueuedRequest(NamedTuple):
    """A request waiting for a technician, as much of it as a dispatch plan needs."""

    id: str
    state: str
    adcode: str
    category_id: str
    brand_id: str


class RepairRepository(Repository[rt.RepairRequest]):
    model = rt.RepairRequest
    noun = "repair request"

    def open_for(
        self, *, customer_id: str, brand_id: str, category_id: str, open_states: Sequence[str]
    ) -> rt.RepairRequest | None:
        stmt = select(rt.RepairRequest).where(
            rt.RepairRequest.customer_id == customer_id,
            rt.RepairRequest.brand_id == brand_id,
            rt.RepairRequest.category_id == category_id,
            rt.RepairRequest.state.in_(list(open_states)),
        )
        return self.session.scalars(stmt.order_by(rt.RepairRequest.created_at)).first()

    def last_closed_for(
        self, *, customer_id: str, brand_id: str, category_id: str, since: datetime
    ) -> rt.RepairRequest | None:
        stmt = select(rt.RepairRequest).where(
            rt.RepairRequest.customer_id == customer_id,
            rt.RepairRequest.brand_id == brand_id,
            rt.RepairRequest.category_id == category_id,
            rt.RepairRequest.state.in_(["completed", "rated", "closed"]),
            rt.RepairRequest.completed_at >= since,
        )
        return self.session.scalars(stmt.order_by(rt.RepairRequest.completed_at.desc())).first()

    def in_states(self, *, states: Sequence[str], limit: int, offset: int = 0) -> Sequence[rt.RepairRequest]:
        stmt = select(rt.RepairRequest).where(rt.RepairRequest.state.in_(list(states)))
        return self.session.scalars(
            stmt.order_by(rt.RepairRequest.created_at, rt.RepairRequest.id).offset(offset).limit(limit)
        ).all()

    def queued(self, *, states: Sequence[str], limit: int) -> list[QueuedRequest]:
        """As `in_states`, but only what a dispatch plan needs: the scheduler reads this queue every few
        minutes, and at night every call of the evening waits in it."""
        r = rt.RepairRequest
        stmt = (
            select(r.id, r.state, r.adcode, r.category_id, r.brand_id)
            .where(r.state.in_(list(states)))
            .order_by(r.created_at, r.id)
            .limit(limit)
        )
        return [QueuedRequest(*row) for row in self.session.execute(stmt).all()]

    def completed_before(self, *, cutoff: datetime, states: Sequence[str], limit: int) -> Sequence[str]:
        """Ids of requests in `states` whose visit was completed at or before `cutoff`, oldest first."""
        stmt = (
            select(rt.RepairRequest.id)
            .where(rt.RepairRequest.state.in_(list(states)), rt.RepairRequest.completed_at <= cutoff)
            .order_by(rt.RepairRequest.completed_at, rt.RepairRequest.id)
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def for_technician(self, *, technician_id: str, states: Sequence[str]) -> Sequence[rt.RepairRequest]:
        stmt = select(rt.RepairRequest).where(
            rt.RepairRequest.technician_id == technician_id, rt.RepairRequest.state.in_(list(states))
        )
        return self.session.scalars(stmt.order_by(rt.RepairRequest.created_at)).all()

    def sla_due(self, *, now: datetime, states: Sequence[str], limit: int) -> Sequence[str]:
        """Open requests past their first-response or on-site deadline, not yet marked breached."""
        stmt = (
            select(rt.RepairRequest.id)
            .where(
                rt.RepairRequest.state.in_(list(states)),
                or_(
                    (rt.RepairRequest.first_response_due <= now)
                    & ~rt.RepairRequest.first_response_breached
                    & rt.RepairRequest.first_response_at.is_(None),
                    (rt.RepairRequest.onsite_due <= now)
                    & ~rt.RepairRequest.onsite_breached
                    & rt.RepairRequest.onsite_at.is_(None),
                ),
            )
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def for_customer(self, *, customer_id: str, limit: int) -> Sequence[rt.RepairRequest]:
        stmt = select(rt.RepairRequest).where(rt.RepairRequest.customer_id == customer_id)
        return self.session.scalars(
            stmt.order_by(rt.RepairRequest.created_at.desc(), rt.RepairRequest.id).limit(limit)
        ).all()

    def by_event(self, *, kind: str, reason: str) -> rt.RepairRequest | None:
        """The request with an event of this kind and reason (a feedback token's hash)."""
        stmt = (
            select(rt.RepairRequest)
            .join(rt.RepairEvent, rt.RepairEvent.request_id == rt.RepairRequest.id)
            .where(rt.RepairEvent.kind == kind, rt.RepairEvent.reason == reason)
        )
        return self.session.scalars(stmt).first()

    def at_risk(self, *, states: Sequence[str], horizon: datetime, limit: int) -> Sequence[rt.RepairRequest]:
        """Requests in `states` with an unmet deadline before `horizon`, or already breached."""
        r = rt.RepairRequest
        stmt = select(r).where(
            r.state.in_(list(states)),
            or_(
                r.first_response_at.is_(None) & (r.first_response_due <= horizon),
                r.onsite_at.is_(None) & (r.onsite_due <= horizon),
                r.first_response_breached,
                r.onsite_breached,
            ),
        )
        return self.session.scalars(stmt.order_by(r.created_at, r.id).limit(limit)).all()

    def counts_by_area(self, *, states: Sequence[str]) -> list[tuple[str, str, int]]:
        """(area code, state, number of requests) for requests in `states`."""
        r = rt.RepairRequest
        stmt = (
            select(r.adcode, r.state, func.count())
            .where(r.state.in_(list(states)))
            .group_by(r.adcode, r.state)
        )
        return [(a, s, int(n)) for a, s, n in self.session.execute(stmt).all()]

    def events(self, *, request_id: str) -> Sequence[rt.RepairEvent]:
        stmt = select(rt.RepairEvent).where(rt.RepairEvent.request_id == request_id)
        return self.session.scalars(stmt.order_by(rt.RepairEvent.id)).all()

    def event_reasons(self, *, request_id: str, kind: str) -> Sequence[str]:
        """The reasons of a request's events of one kind (declined: who declined it), oldest first."""
        e = rt.RepairEvent
        stmt = select(e.reason).where(e.request_id == request_id, e.kind == kind).order_by(e.id)
        return self.session.scalars(stmt).all()

    def add_event(self, row: rt.RepairEvent) -> None:
        self.session.add(row)

    def feedback(self, *, request_id: str) -> rt.Feedback | None:
        return self.session.scalars(select(rt.Feedback).where(rt.Feedback.request_id == request_id)).first()

    def visits(self, *, request_id: str) -> Sequence[rt.Visit]:
        stmt = select(rt.Visit).where(rt.Visit.request_id == request_id).order_by(rt.Visit.completed_at)
        return self.session.scalars(stmt).all()


class TipRepository(Repository[rt.Tip]):
    model = rt.Tip
    noun = "tip"

    def search(self, *, category_id: str | None, words: Sequence[str], limit: int) -> Sequence[rt.Tip]:
        stmt = select(rt.Tip).where(rt.Tip.published)
        if category_id:
            stmt = stmt.where(rt.Tip.category_id == category_id)
        for word in words:
            like = f"%{word}%"
            stmt = stmt.where(or_(rt.Tip.title.like(like), rt.Tip.body_md.like(like), rt.Tip.tags.like(like)))
        return self.session.scalars(stmt.order_by(rt.Tip.title).limit(limit)).all()
