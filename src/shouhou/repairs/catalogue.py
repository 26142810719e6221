"""The service catalogue (brands, product categories, fault codes), technicians with skills and coverage, and
maintenance tips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_role
from shouhou.errors import Conflict, NotFound, ValidationFailed
from shouhou.places import county as county_of
from shouhou.places import resolve
from shouhou.privacy.mask import mask_phone, normalise_phone
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


def ensure_brand(rt_: Runtime, *, actor: Principal, name: str, warranty_days: int = 90) -> rt.Brand:
    require_role(actor, *MANAGERS)
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        brand = uow.brands.by_name(name=name)
        if brand is None:
            brand = uow.brands.add(
                rt.Brand(id=new_id("brd"), name=name, warranty_days=warranty_days, created_at=now)
            )
            uow.audit.append(
                at=now,
                actor=actor.user_id,
                action="brand.created",
                subject_type="brand",
                subject_id=brand.id,
                detail={"name": name},
            )
        uow.commit()
        return brand


def ensure_category(
    rt_: Runtime, *, actor: Principal, code: str, name: str, faults: Sequence[tuple[str, str, bool]] = ()
) -> rt.Category:
    """A product category and its fault codes (code, description, emergency)."""
    require_role(actor, *MANAGERS)
    with rt_.uow(write=True) as uow:
        cat = uow.categories.by_code(code=code)
        if cat is None:
            cat = uow.categories.add(rt.Category(id=new_id("cat"), code=code, name=name))
        for fcode, desc, emergency in faults:
            if uow.categories.fault(category_id=cat.id, code=fcode) is None:
                uow.add(rt.FaultCode(category_id=cat.id, code=fcode, description=desc, emergency=emergency))
        uow.commit()
        return cat


@dataclass(frozen=True)
class Skill:
    category: str  # category code
    brand: str | None = None  # brand name; None: every brand


def register_technician(
    rt_: Runtime,
    *,
    actor: Principal,
    display_name: str,
    phone: str,
    home: str,
    coverage: Sequence[str],
    skills: Sequence[Skill],
    shift: tuple[str, str] = ("08:00", "20:00"),
    capacity_per_day: int = 8,
    user_id: str | None = None,
) -> rt.Technician:
    """`home` and each coverage entry are place names or codes; coverage must resolve to counties (or towns of
    county-less cities) — anything vaguer is refused with the reason."""
    require_role(actor, *MANAGERS)
    if capacity_per_day < 1:
        raise ValidationFailed("capacity_per_day must be ≥ 1")
    home_place = service_area(home)
    areas = sorted({service_area(c).adcode or "" for c in coverage})
    if not areas:
        raise ValidationFailed("a technician needs at least one county in their coverage")
    if home_place.lng is None or home_place.lat is None:
        raise ValidationFailed(f"{home!r} has no coordinates to measure distances from")
    now = rt_.now()
    digits = normalise_phone(phone)
    with rt_.uow(write=True) as uow:
        if user_id and uow.technicians.by_user(user_id=user_id) is not None:
            raise Conflict("that user is a technician already")
        tech = uow.technicians.add(
            rt.Technician(
                id=new_id("tec"),
                user_id=user_id,
                display_name=display_name,
                phone_enc=rt_.keys.fields.encrypt_field(digits, context="technicians.phone"),
                phone_masked=mask_phone(digits),
                home_adcode=home_place.adcode or "",
                home_lng=home_place.lng,
                home_lat=home_place.lat,
                shift_start=shift[0],
                shift_end=shift[1],
                capacity_per_day=capacity_per_day,
                available=True,
                rating_sum=0,
                rating_count=0,
                created_at=now,
            )
        )
        for adcode in areas:
            uow.technicians.add_coverage(rt.TechnicianCoverage(technician_id=tech.id, adcode=adcode))
        for skill in skills:
            cat = _category_or_raise(uow, skill.category)
            brand_id = None
            if skill.brand is not None:
                brand = uow.brands.by_name(name=skill.brand)
                if brand is None:
                    raise ValidationFailed(f"unknown brand {skill.brand!r}")
                brand_id = brand.id
            uow.technicians.add_skill(
                rt.TechnicianSkill(technician_id=tech.id, category_id=cat.id, brand_id=brand_id)
            )
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="technician.registered",
            subject_type="technician",
            subject_id=tech.id,
            detail={"coverage": areas[:50], "skills": len(skills)},
        )
        uow.commit()
        return tech


def set_available(rt_: Runtime, *, actor: Principal, technician_id: str, available: bool) -> rt.Technician:
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        tech = uow.technicians.lock_or_raise(id=technician_id)
        if actor.role is Role.TECHNICIAN and tech.user_id != actor.user_id:
            raise NotFound(f"technician {technician_id} not found")
        if actor.role not in (Role.TECHNICIAN, *MANAGERS):
            require_role(actor, *MANAGERS)
        tech.available = available
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="technician.availability",
            subject_type="technician",
            subject_id=technician_id,
            detail={"available": available},
        )
        uow.commit()
        return tech


def service_area(text: str) -> PlaceFix:
    """Resolve a place to the level dispatch works at: a county, or a county-less city or one of its towns."""
    r = resolve(text)
    if r.candidates and not r.county and not r.town:
        names = "; ".join(
            "/".join(p.name for p in (c.province, c.city, c.county) if p is not None)
            for c in r.candidates[:6]
        )
        raise ValidationFailed(f"{text!r} is ambiguous: {names} — give the province or city")
    if r.county is not None:
        return PlaceFix(r.county.code, r.province.code if r.province else "", r.lng, r.lat, r.approximate)
    if r.city is not None:
        county = county_of(r.city.code)
        if county is not None and county.kind == "countyless_city":
            # 东莞, 中山, 儋州, 嘉峪关 have towns straight under the city: the town, or the whole city.
            code = r.town.code if r.town is not None else r.city.code
            return PlaceFix(code, r.province.code if r.province else "", r.lng, r.lat, r.approximate)
    raise ValidationFailed(
        f"{text!r} does not resolve to a county (or a town of a county-less city such as 东莞); "
        f"resolved to {r.level or 'nothing'}"
    )


@dataclass(frozen=True)
class PlaceFix:
    adcode: str | None
    province_code: str
    lng: float | None
    lat: float | None
    approximate: bool


def _category_or_raise(uow: UnitOfWork, code: str) -> rt.Category:
    cat = uow.categories.by_code(code=code)
    if cat is None:
        raise ValidationFailed(f"unknown product category {code!r}")
    return cat


def add_tip(
    rt_: Runtime, *, actor: Principal, category: str, title: str, body_md: str, tags: str = ""
) -> rt.Tip:
    require_role(actor, *MANAGERS)
    if not title.strip() or not body_md.strip():
        raise ValidationFailed("a tip needs a title and a body")
    now = rt_.now()
    with rt_.uow(write=True) as uow:
        cat = _category_or_raise(uow, category)
        tip = uow.tips.add(
            rt.Tip(
                id=new_id("tip"),
                category_id=cat.id,
                title=title.strip(),
                body_md=body_md,
                tags=tags,
                published=True,
                created_at=now,
            )
        )
        uow.commit()
        return tip


def search_tips(rt_: Runtime, *, category: str | None, query: str, limit: int = 20) -> Sequence[rt.Tip]:
    with rt_.uow(write=False) as uow:
        cat_id = _category_or_raise(uow, category).id if category else None
        return uow.tips.search(category_id=cat_id, words=[w for w in query.split() if w], limit=limit)


def matching_areas(adcode: str) -> list[str]:
    """The coverage codes that serve a request at `adcode`: itself, and for a town of a county-less city the
    whole city too."""
    return [adcode, adcode[:6]] if len(adcode) == 9 else [adcode]
