"""The synthetic world of `shouhou repairs simulate`: demand over real counties, the technician roster and the
arrival stream, all drawn from the seed (pure: no database, no clock)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from shouhou.errors import InputError
from shouhou.places import County, counties, distance_km
from shouhou.repairs.catalogue import Skill, service_area
from shouhou.repairs.dispatch import SHANGHAI, on_shift
from shouhou.repairs.states import ServiceType

# (code, name, share of demand, faults: (code, description, emergency)); no normal fault text may contain an
# emergency word of the intake (漏水, 打不开 …), or it would take the green channel by accident.
CATEGORIES: Final = (
    (
        "washing_machine",
        "洗衣机",
        0.30,
        (("E4", "不脱水", False), ("E1", "不进水", False), ("LEAK", "漏水 / water leak", True)),
    ),
    (
        "air_conditioner",
        "空调",
        0.30,
        (("F1", "不制冷", False), ("E5", "室外机不转", False), ("SMOKE", "冒烟 / smoke", True)),
    ),
    ("refrigerator", "冰箱", 0.20, (("F2", "冷藏室不冷", False), ("NOISE", "噪音大", False))),
    ("water_heater", "热水器", 0.20, (("E3", "不加热", False), ("GAS", "燃气味 / gas smell", True))),
)
BRANDS: Final = (("海尔 Haier", 0.35), ("美的 Midea", 0.30), ("格力 Gree", 0.20), ("小天鹅 LittleSwan", 0.15))
SERVICE_TYPES: Final = (
    (ServiceType.REPAIR, 0.85),
    (ServiceType.INSTALLATION, 0.10),
    (ServiceType.MAINTENANCE, 0.05),
)
# Share of the day's calls per local hour: quiet at night, a morning peak, a second one after work.
HOURLY: Final = (
    *(0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5),  # 00–07
    *(4, 7, 8, 7.5, 6, 6, 6.5, 6.5),  # 08–15
    *(6, 6, 6, 6.5, 6.5, 5, 2.5, 1),  # 16–23
)
ROADS: Final = ("人民路", "解放路", "建设路", "中山路", "新华路", "文化路", "胜利路", "和平路")
SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN: Final = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass(frozen=True)
class SimOptions:
    days: int = 7
    requests_per_day: int = 2000
    technicians: int = 400
    seed: int = 1
    start: date = date(2026, 3, 2)  # a Monday; the simulation starts at local midnight
    shifts: tuple[tuple[str, str], ...] = (("08:00", "20:00"),)
    capacity: int = 8
    tick_minutes: float = 5.0  # how often the scheduler's repair timers run
    uncovered_counties: int = 0  # extra demand counties nobody covers (exercises the uncovered queue)
    emergency_share: float = 0.04
    repeat_share: float = 0.01  # a second call about a request still open
    rating_share: float = 0.35
    wait_share: float = 0.04  # accepted, then waiting for parts before the visit
    accept_median_min: float = 8.0
    accept_sigma: float = 0.95  # about 8 % of first accepts take over 30 minutes
    drain_days: float = 2.0  # after the last arrival, run on until the work is done (at most this long)

    def __post_init__(self) -> None:
        if self.days < 1 or self.requests_per_day < 1 or self.technicians < 2 or self.capacity < 1:
            raise InputError("days, requests per day and capacity must be ≥ 1, technicians ≥ 2")
        if self.tick_minutes <= 0:
            raise InputError("the timer tick must be positive")
        for name in ("emergency_share", "repeat_share", "rating_share", "wait_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be in [0, 1]")


@dataclass(frozen=True)
class DemandCounty:
    code: str
    place: str  # "<province><city><county>", which the resolver turns back into `code`
    lng: float
    lat: float
    weight: float  # share of the demand
    covered: bool


@dataclass(frozen=True)
class TechPlan:
    name: str
    home: str  # county code
    coverage: tuple[str, ...]
    skills: tuple[Skill, ...]
    shift: tuple[str, str]
    capacity: int


@dataclass(frozen=True)
class Arrival:
    at: datetime
    county: str
    category: str
    brand: str
    fault: str
    emergency: bool
    service_type: str
    repeat: bool  # a second call about an open request (linked at intake, not a new request)


def _choice(rng: random.Random, items: Sequence[tuple[object, float]]) -> object:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def plan_counties(rng: random.Random, wanted: int, uncovered: int) -> list[DemandCounty]:
    """Whole cities' counties, cities drawn at random, until `wanted` (+ `uncovered`) counties; every place
    string is checked to resolve back to its county."""
    by_city: dict[str, list[County]] = {}
    for c in counties():
        if c.kind == "county" and c.city is not None and not c.approximate:
            by_city.setdefault(c.city.code, []).append(c)
    cities = sorted(by_city)
    rng.shuffle(cities)
    picked: list[DemandCounty] = []
    total = wanted + uncovered
    for city in cities:
        for c in by_city[city]:
            if len(picked) >= total:
                break
            place = f"{c.province.name}{c.city.name if c.city else ''}{c.name}"
            if service_area(place).adcode != c.code:
                continue  # a name the resolver reads otherwise (rare): not usable as synthetic demand
            picked.append(DemandCounty(c.code, place, c.lng, c.lat, rng.lognormvariate(0, 0.8), True))
    if len(picked) < total:
        raise InputError(f"only {len(picked)} usable counties for {total} wanted")
    # The last ones picked are the uncovered ones, when asked for.
    scale = sum(c.weight for c in picked)
    return [
        DemandCounty(c.code, c.place, c.lng, c.lat, c.weight / scale, covered=i < wanted)
        for i, c in enumerate(picked)
    ]


def plan_technicians(
    rng: random.Random,
    places: Sequence[DemandCounty],
    n: int,
    shifts: Sequence[tuple[str, str]],
    capacity: int,
) -> list[TechPlan]:
    """At least two technicians at home in each covered county, the rest in proportion to demand; each also
    covers one or two nearby counties; skills over 2–3 categories (some only for two brands), then topped up
    so that every (county, category, brand) is served by at least two of them."""
    covered = [c for c in places if c.covered]
    if n < 2 * len(covered):
        raise InputError(f"{n} technicians cannot give {len(covered)} counties two each")
    homes = [c.code for c in covered for _ in range(2)]
    spare = n - len(homes)
    scale = sum(c.weight for c in covered)
    quotas = [(spare * c.weight / scale, c.code) for c in covered]
    extra = {code: int(q) for q, code in quotas}
    left = spare - sum(extra.values())
    for _, code in sorted(quotas, key=lambda qc: (-(qc[0] - int(qc[0])), qc[1]))[:left]:
        extra[code] += 1
    homes += [code for code, k in extra.items() for _ in range(k)]
    where = {c.code: c for c in covered}
    cat_codes = [(code, share) for code, _, share, _ in CATEGORIES]
    plans: list[TechPlan] = []
    for i, home in enumerate(homes):
        h = where[home]
        near = sorted(
            (distance_km((h.lng, h.lat), (o.lng, o.lat)), o.code) for o in covered if o.code != home
        )
        coverage = (home, *[code for d, code in near[: rng.randint(1, 2)] if d <= 80])
        cats: list[str] = []
        wanted = 3 if rng.random() < 0.7 else 2
        while len(cats) < wanted:
            cat = str(_choice(rng, cat_codes))
            if cat not in cats:
                cats.append(cat)
        if rng.random() < 0.2:  # authorised for two brands only
            brands = rng.sample([b for b, _ in BRANDS], 2)
            skills = tuple(Skill(c, b) for c in cats for b in brands)
        else:
            skills = tuple(Skill(c) for c in cats)
        name = f"sim-tech-{i + 1:04d}"
        plans.append(TechPlan(name, home, coverage, skills, shifts[i % len(shifts)], capacity))
    return _top_up(plans, covered)


def serves(plan: TechPlan, category: str, brand: str) -> bool:
    return any(s.category == category and s.brand in (None, brand) for s in plan.skills)


def _top_up(plans: list[TechPlan], covered: Sequence[DemandCounty]) -> list[TechPlan]:
    for county in covered:
        for category, *_ in CATEGORIES:
            for brand, _ in BRANDS:
                serving = [p for p in plans if county.code in p.coverage and serves(p, category, brand)]
                while len(serving) < 2:
                    j = min(
                        (k for k, p in enumerate(plans) if p.home == county.code and p not in serving),
                        key=lambda k: (len({s.category for s in plans[k].skills}), plans[k].name),
                    )
                    p = plans[j]
                    plans[j] = TechPlan(
                        p.name, p.home, p.coverage, (*p.skills, Skill(category)), p.shift, p.capacity
                    )
                    serving.append(plans[j])
    return plans


def plan_arrivals(
    rng: random.Random,
    places: Sequence[DemandCounty],
    start: datetime,
    days: int,
    per_day: int,
    emergency_share: float,
    repeat_share: float,
) -> list[Arrival]:
    """`per_day` calls on each local day, hours by the daily curve, places by demand weight."""
    weights = [c.weight for c in places]
    codes = [c.code for c in places]
    hours = list(range(24))
    out: list[Arrival] = []
    emergency_cats = [c for c in CATEGORIES if any(f[2] for f in c[3])]
    for day in range(days):
        midnight = start + timedelta(days=day)
        for _ in range(per_day):
            hour = rng.choices(hours, weights=HOURLY)[0]
            at = midnight + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
            emergency = rng.random() < emergency_share
            if emergency:
                code, _, _, faults = rng.choice(emergency_cats)
                fault = next(f[0] for f in faults if f[2])
            else:
                code, _, _, faults = CATEGORIES[
                    rng.choices(range(len(CATEGORIES)), weights=[c[2] for c in CATEGORIES])[0]
                ]
                fault = rng.choice([f[0] for f in faults if not f[2]])
            out.append(
                Arrival(
                    at=at,
                    county=rng.choices(codes, weights=weights)[0],
                    category=code,
                    brand=str(_choice(rng, BRANDS)),
                    fault=fault,
                    emergency=emergency,
                    service_type=str(_choice(rng, SERVICE_TYPES)),
                    repeat=rng.random() < repeat_share,
                )
            )
    out.sort(key=lambda a: a.at)
    return out


def fault_text(category: str, fault: str) -> str:
    faults = next(c[3] for c in CATEGORIES if c[0] == category)
    return next(desc for code, desc, _ in faults if code == fault)


def customer(rng: random.Random, index: int) -> tuple[str, str]:
    """A name and a phone number unique to `index` (7919 is prime to 10⁸, so numbers never repeat)."""
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return name, f"139{(12345678 + index * 7919) % 10**8:08d}"


def address(rng: random.Random, place: str) -> str:
    road, number = rng.choice(ROADS), rng.randint(1, 399)
    return f"{place} {road} {number} 号 {rng.randint(1, 30)} 栋 {rng.randint(101, 2802)}"


def in_shift_at(shifts: Sequence[tuple[str, str]], at: datetime) -> bool:
    return any(on_shift(s, e, at) for s, e in shifts)


def shift_hours(shift: tuple[str, str]) -> float:
    (h1, m1), (h2, m2) = (map(int, t.split(":")) for t in shift)
    minutes = (h2 * 60 + m2 - h1 * 60 - m1) % (24 * 60)
    return 24.0 if minutes == 0 else minutes / 60


def next_shift_start(shift: tuple[str, str], at: datetime) -> datetime:
    """The first instant at or after `at` when the local shift is on."""
    if on_shift(*shift, at):
        return at
    h, m = map(int, shift[0].split(":"))
    local = at.astimezone(SHANGHAI)
    start = local.replace(hour=h, minute=m, second=0, microsecond=0)
    if start <= local:
        start += timedelta(days=1)
    return start


def lognormal_minutes(rng: random.Random, median: float, sigma: float, cap: float = math.inf) -> timedelta:
    return timedelta(minutes=min(cap, median * math.exp(rng.gauss(0, sigma))))


def parse_shifts(text: str) -> tuple[tuple[str, str], ...]:
    """ "08:00-20:00,12:00-00:00" → (("08:00", "20:00"), ("12:00", "00:00"))."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            a, b = part.split("-")
            for t in (a, b):
                h, m = t.split(":")
                if not (0 <= int(h) < 24 and 0 <= int(m) < 60 and len(h) == len(m) == 2):
                    raise ValueError(t)
        except ValueError:
            raise InputError(f"shift {part!r} is not HH:MM-HH:MM") from None
        out.append((a, b))
    if not out:
        raise InputError("give at least one shift")
    return tuple(out)
