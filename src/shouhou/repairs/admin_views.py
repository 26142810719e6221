"""The admin's reads of the technician roster: each technician with coverage, skills, shift, capacity and
current load, and the technician sign-in accounts not yet registered as technicians. Phones masked only."""

from __future__ import annotations

from dataclasses import dataclass

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.repairs.states import HELD_STATES
from shouhou.repairs.views import area_name
from shouhou.runtime import Runtime

ADMINS = (Role.ADMIN,)


@dataclass(frozen=True)
class SkillView:
    category: str  # the category's name
    brand: str | None  # None: every brand


@dataclass(frozen=True)
class TechnicianRow:
    id: str
    display_name: str
    phone_masked: str
    username: str | None  # the sign-in account, when one is linked
    home: str  # division path of the home base
    coverage: list[str]  # division paths
    skills: list[SkillView]
    shift_start: str
    shift_end: str
    capacity_per_day: int
    load: int  # jobs held now (dispatched, accepted, en route, on site, waiting)
    available: bool
    rating: float | None  # mean of the customers' ratings


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    display_name: str


def list_technicians(rt_: Runtime, *, actor: Principal) -> list[TechnicianRow]:
    """Every technician, by display name."""
    require_role(actor, *ADMINS)
    with rt_.uow(write=False) as uow:
        techs = [t for t in (uow.technicians.get(id=i) for i in uow.technicians.all_ids()) if t is not None]
        load = uow.technicians.load(
            technician_ids=[t.id for t in techs], held_states=[s.value for s in HELD_STATES]
        )
        cats = {c.id: c.name for c in uow.categories.all()}
        brands = {b.id: b.name for b in uow.brands.all()}
        rows = []
        for t in techs:
            user = uow.users.get(id=t.user_id) if t.user_id else None
            rows.append(
                TechnicianRow(
                    id=t.id,
                    display_name=t.display_name,
                    phone_masked=t.phone_masked,
                    username=user.username if user else None,
                    home=area_name(t.home_adcode),
                    coverage=sorted(area_name(a) for a in uow.technicians.coverage(technician_id=t.id)),
                    skills=[
                        SkillView(
                            category=cats.get(s.category_id, s.category_id),
                            brand=brands.get(s.brand_id, s.brand_id) if s.brand_id else None,
                        )
                        for s in uow.technicians.skills(technician_id=t.id)
                    ],
                    shift_start=t.shift_start,
                    shift_end=t.shift_end,
                    capacity_per_day=t.capacity_per_day,
                    load=load.get(t.id, 0),
                    available=t.available,
                    rating=t.rating_sum / t.rating_count if t.rating_count else None,
                )
            )
    return sorted(rows, key=lambda r: (r.display_name, r.id))


def unregistered_accounts(rt_: Runtime, *, actor: Principal) -> list[Account]:
    """Active technician-role users with no technician record yet (to link at registration)."""
    require_role(actor, *ADMINS)
    with rt_.uow(write=False) as uow:
        users, _total = uow.users.list(role=Role.TECHNICIAN.value, offset=0, limit=1000)
        return [
            Account(user_id=u.id, username=u.username, display_name=u.display_name)
            for u in users
            if u.active and uow.technicians.by_user(user_id=u.id) is None
        ]
