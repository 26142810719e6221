"""`shouhou repairs simulate`: synthetic demand replayed through the real intake, dispatch, state and timer
code against a real database, on a simulated clock; technicians are simple agents that react to the
notifications the services send them."""

from __future__ import annotations

import heapq
import logging
import random
import tempfile
import time as wallclock
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Principal, Role
from shouhou.config import Settings
from shouhou.errors import Conflict, InputError, NotFound
from shouhou.notify import Message
from shouhou.places import distance_km
from shouhou.repairs import catalogue, intake, service, sim_world
from shouhou.repairs.dispatch import SHANGHAI, on_shift
from shouhou.repairs.sim_report import ACCEPT_WALL_S, RequestFacts, build_report
from shouhou.repairs.sim_world import SimOptions
from shouhou.repairs.states import Priority, RepairState
from shouhou.repairs.timers import run_repair_timers
from shouhou.runtime import ManualClock, Runtime

log = logging.getLogger(__name__)
__all__ = ["SimOptions", "Simulation", "sim_runtime", "simulate"]


@dataclass
class _Tech:
    id: str
    principal: Principal
    plan: sim_world.TechPlan
    lng: float
    lat: float
    queue: deque[str] = field(default_factory=deque)
    waking: bool = False
    busy_since: datetime | None = None
    visits: list[tuple[datetime, datetime]] = field(default_factory=list)  # en route → done


class _Notifier:
    """The runtime's notifier during a simulation: technicians and customers react to what they are sent."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.counts: dict[str, int] = {}

    def send(self, message: Message) -> None:
        self.counts[message.template] = self.counts.get(message.template, 0) + 1
        request = message.params.get("request", "")
        if message.template == "repair.new_job":
            self.sim.on_new_job(message.recipient, request)
        elif message.template == "repair.rate_visit":
            self.sim.on_rate_sms(request, message.params["token"])
        elif message.template == "repair.uncovered":
            self.sim.uncovered.add(request)
            self.sim.uncovered_now.add(request)


class Simulation:
    """One run; `run()` returns the report (a JSON-ready dict)."""

    def __init__(self, rt: Runtime, clock: ManualClock, options: SimOptions) -> None:
        self.rt, self.clock, self.o = rt, clock, options
        self.start = datetime.combine(options.start, datetime.min.time(), tzinfo=SHANGHAI).astimezone(UTC)
        self.end = self.start + timedelta(days=options.days)
        seed = options.seed
        self.demand_rng = random.Random(f"{seed}:demand")
        self.people_rng = random.Random(f"{seed}:people")
        self.act_rng = random.Random(f"{seed}:behaviour")
        self.heap: list[tuple[datetime, int, str, Any, Any]] = []
        self.seq = 0
        self.techs: dict[str, _Tech] = {}
        self.holder: dict[str, tuple[str, int]] = {}  # request → (technician, assignment number)
        self.first_dispatch: dict[str, datetime] = {}
        self.uncovered: set[str] = set()  # ever sent to the uncovered queue
        self.uncovered_now: set[str] = set()
        self.completed = 0
        self.facts: dict[str, RequestFacts] = {}
        self.open_recent: deque[str] = deque(maxlen=300)
        self.calls: dict[str, tuple[str, str, sim_world.Arrival, str]] = {}  # name, phone, arrival, address
        self.counters = {"calls": 0, "linked": 0, "stale_accepts": 0, "waits": 0, "ratings": 0, "ticks": 0}
        self.wall_by_event: dict[str, list[float]] = {}  # kind → [events, seconds]
        self.notifier = _Notifier(self)

    # ----- set-up

    def build(self) -> None:
        o = self.o
        places = sim_world.plan_counties(self.demand_rng, max(1, o.technicians // 4), o.uncovered_counties)
        self.places = {p.code: p for p in places}
        plans = sim_world.plan_technicians(self.demand_rng, places, o.technicians, o.shifts, o.capacity)
        self.arrivals = sim_world.plan_arrivals(
            self.demand_rng, places, self.start, o.days, o.requests_per_day, o.emergency_share, o.repeat_share
        )
        rt = self.rt
        admin = self._user("sim-admin", Role.ADMIN)
        self.agent = self._user("sim-agent", Role.AGENT)
        for brand, _ in sim_world.BRANDS:
            catalogue.ensure_brand(rt, actor=admin, name=brand, warranty_days=90)
        for code, name, _, faults in sim_world.CATEGORIES:
            catalogue.ensure_category(rt, actor=admin, code=code, name=name, faults=list(faults))
        self.shifts_for: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for plan in plans:
            who = self._user(plan.name, Role.TECHNICIAN)
            home = self.places[plan.home]
            row = catalogue.register_technician(
                rt,
                actor=admin,
                display_name=plan.name,
                phone="13700000000",
                home=home.place,
                coverage=[self.places[c].place for c in plan.coverage],
                skills=plan.skills,
                shift=plan.shift,
                capacity_per_day=plan.capacity,
                user_id=who.user_id,
            )
            self.techs[row.id] = _Tech(row.id, who, plan, row.home_lng, row.home_lat)
            for county in plan.coverage:
                for cat, *_ in sim_world.CATEGORIES:
                    for brand, _ in sim_world.BRANDS:
                        if sim_world.serves(plan, cat, brand):
                            self.shifts_for.setdefault((county, cat, brand), []).append(plan.shift)

    def _user(self, name: str, role: Role) -> Principal:
        _, token = accounts.create_user(self.rt, actor=SYSTEM, username=name, role=role)
        return accounts.authenticate(self.rt, token)

    # ----- the event loop

    def _push(self, at: datetime, kind: str, a: Any = None, b: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, a, b))

    def run(self, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        started = wallclock.perf_counter()
        self.build()
        setup_s = wallclock.perf_counter() - started
        for i, a in enumerate(self.arrivals):
            self._push(a.at, "arrival", i)
        self._push(self.start, "tick")
        hard_stop = self.end + timedelta(days=self.o.drain_days)
        handlers: dict[str, Callable[[Any, Any], None]] = {
            "arrival": self._arrival,
            "tick": self._tick,
            "accept": self._accept,
            "resume": self._resume,
            "wake": self._wake,
            "arrive": self._arrive,
            "done": self._done,
            "rate": self._rate,
        }
        last_report = self.start
        while self.heap:
            at, _, kind, a, b = heapq.heappop(self.heap)
            if at > hard_stop or (at >= self.end and kind == "tick" and self._settled()):
                break  # ratings still to come are dropped: every request is done or in the uncovered queue
            self.clock.advance(at - self.clock.now())
            t0 = wallclock.perf_counter()
            handlers[kind](a, b)
            spent = self.wall_by_event.setdefault(kind, [0, 0.0])
            spent[0] += 1
            spent[1] += wallclock.perf_counter() - t0
            if progress is not None and at - last_report >= timedelta(hours=6):
                last_report = at
                progress(min(1.0, (at - self.start) / (self.end - self.start)))
        sim_s = wallclock.perf_counter() - started - setup_s
        with self.rt.uow(write=False) as uow:
            rows = uow.repairs.in_states(states=[s.value for s in RepairState], limit=10**9)
        return build_report(
            options=self.o,
            start=self.start,
            end=self.end,
            finished_at=self.clock.now(),
            rows=rows,
            facts=self.facts,
            first_dispatch=self.first_dispatch,
            uncovered=self.uncovered,
            techs=[(t.plan.shift, t.visits) for t in self.techs.values()],
            counters={**self.counters, **{f"sent:{k}": v for k, v in sorted(self.notifier.counts.items())}},
            wall={"setup_s": setup_s, "simulation_s": sim_s},
            wall_by_event=self.wall_by_event,
        )

    def _settled(self) -> bool:
        return self.completed + len(self.uncovered_now) == len(self.facts)

    # ----- callers

    def _arrival(self, index: int, _: Any) -> None:
        a = self.arrivals[index]
        self.counters["calls"] += 1
        open_ids = [r for r in self.open_recent if not self.facts[r].completed] if a.repeat else []
        if open_ids:
            rid = self.act_rng.choice(open_ids)
            name, phone, a, addr = self.calls[rid]
            description = "再次来电催促: " + sim_world.fault_text(a.category, a.fault)
        else:
            name, phone = sim_world.customer(self.people_rng, len(self.calls) + self.counters["linked"])
            addr = sim_world.address(self.people_rng, self.places[a.county].place)
            description = sim_world.fault_text(a.category, a.fault)
        now = self.clock.now()
        t0 = wallclock.perf_counter()
        res = intake.intake(
            self.rt,
            actor=self.agent,
            customer_name=name,
            phone=phone,
            address=addr,
            brand=a.brand,
            category=a.category,
            description=description,
            service_type=a.service_type,
            fault_code=a.fault,
            emergency=a.emergency,
        )
        ms = (wallclock.perf_counter() - t0) * 1000
        if not res.created:
            self.counters["linked"] += 1
            return
        rid = res.request.id
        self.calls[rid] = (name, phone, a, addr)
        self.open_recent.append(rid)
        self.facts[rid] = RequestFacts(
            id=rid,
            created_at=now,
            emergency=res.request.priority == Priority.EMERGENCY,
            in_shift=sim_world.in_shift_at(self.shifts_for.get((a.county, a.category, a.brand), ()), now),
            dispatched_at_intake=res.technician_id is not None,
            intake_ms=ms,
        )

    def _tick(self, _: Any, __: Any) -> None:
        run_repair_timers(self.rt)
        self.counters["ticks"] += 1
        self._push(self.clock.now() + timedelta(minutes=self.o.tick_minutes), "tick")

    def _rate(self, rid: str, token: str) -> None:
        score = self.act_rng.choices((5, 4, 3, 2, 1), weights=(60, 22, 9, 5, 4))[0]
        service.rate(self.rt, request_id=rid, rating=score, comment="", token=token)
        self.counters["ratings"] += 1

    # ----- notifications (called from inside the services, after their commit)

    def on_new_job(self, tech_id: str, rid: str) -> None:
        now = self.clock.now()
        self.first_dispatch.setdefault(rid, now)
        self.uncovered_now.discard(rid)
        n = self.holder.get(rid, ("", 0))[1] + 1
        self.holder[rid] = (tech_id, n)
        o = self.o
        delay = sim_world.lognormal_minutes(self.act_rng, o.accept_median_min, o.accept_sigma, cap=24 * 60)
        self._push(now + delay, "accept", (tech_id, n), rid)

    def on_rate_sms(self, rid: str, token: str) -> None:
        if self.act_rng.random() < self.o.rating_share:
            delay = sim_world.lognormal_minutes(self.act_rng, 120, 1.2, cap=24 * 60)
            self._push(self.clock.now() + delay, "rate", rid, token)

    # ----- technicians

    def _step(self, tech: _Tech, rid: str, action: str, reason: str = "") -> None:
        service.step(self.rt, actor=tech.principal, request_id=rid, action=action, reason=reason)

    def _accept(self, who: tuple[str, int], rid: str) -> None:
        if self.holder.get(rid) != who:
            self.counters["stale_accepts"] += 1  # taken back (SLA escalation) and given to someone else
            return
        tech = self.techs[who[0]]
        try:
            self._step(tech, rid, "accept")
        except (NotFound, Conflict):
            # Taken back at the SLA deadline and not yet re-dispatched: no longer this technician's job.
            self.counters["stale_accepts"] += 1
            return
        if self.act_rng.random() < self.o.wait_share:
            self._step(tech, rid, "wait", "parts")
            self.counters["waits"] += 1
            hours = sim_world.lognormal_minutes(self.act_rng, 18 * 60, 0.6, cap=2 * 24 * 60)
            self._push(self.clock.now() + hours, "resume", tech.id, rid)
            return
        self._queue(tech, rid)

    def _resume(self, tech_id: str, rid: str) -> None:
        tech = self.techs[tech_id]
        self._step(tech, rid, "resume")
        self._queue(tech, rid)

    def _queue(self, tech: _Tech, rid: str) -> None:
        if self.facts[rid].emergency:
            tech.queue.appendleft(rid)
        else:
            tech.queue.append(rid)
        self._work(tech)

    def _work(self, tech: _Tech) -> None:
        if tech.busy_since is not None or not tech.queue:
            return
        now = self.clock.now()
        if not on_shift(*tech.plan.shift, now):
            if not tech.waking:
                tech.waking = True
                self._push(sim_world.next_shift_start(tech.plan.shift, now).astimezone(UTC), "wake", tech.id)
            return
        rid = tech.queue.popleft()
        self._step(tech, rid, "en_route")
        tech.busy_since = now
        place = self.places[self.calls[rid][2].county]
        km = distance_km((tech.lng, tech.lat), (place.lng, place.lat))
        travel = sim_world.lognormal_minutes(self.act_rng, 15 + 1.2 * km, 0.35, cap=180)
        self._push(now + travel, "arrive", tech.id, rid)

    def _wake(self, tech_id: str, _: Any) -> None:
        tech = self.techs[tech_id]
        tech.waking = False
        self._work(tech)

    def _arrive(self, tech_id: str, rid: str) -> None:
        self._step(self.techs[tech_id], rid, "on_site")
        work = sim_world.lognormal_minutes(self.act_rng, 50, 0.45, cap=240)
        self._push(self.clock.now() + work, "done", tech_id, rid)

    def _done(self, tech_id: str, rid: str) -> None:
        tech = self.techs[tech_id]
        parts = []
        if self.act_rng.random() < 0.5:
            parts.append(service.Part("配件", 1, self.act_rng.randrange(2000, 30000, 100)))
        service.complete(
            self.rt, actor=tech.principal, request_id=rid, parts=parts, fee_fen=5000, notes="simulated visit"
        )
        now = self.clock.now()
        assert tech.busy_since is not None
        tech.visits.append((tech.busy_since, now))
        tech.busy_since = None
        self.facts[rid].completed = True
        self.completed += 1
        self._work(tech)


@contextmanager
def sim_runtime(
    start: date, home: Path | None, database_url: str | None
) -> Iterator[tuple[Runtime, ManualClock]]:
    """A runtime on a fresh database (SQLite under `home`, a temporary folder by default) with a manual
    clock at local midnight of `start`; refuses a database that already holds repair data."""
    with tempfile.TemporaryDirectory(prefix="shouhou-sim-") as tmp:
        # Keys as for any development home (generated into <home>/secrets on first use), so a kept home
        # opens with the ordinary commands afterwards.
        settings = Settings(
            home=home or Path(tmp), database_url=database_url, worker_enabled=False, fsync_blobs=False
        )
        at = datetime.combine(start, datetime.min.time(), tzinfo=SHANGHAI).astimezone(UTC)
        clock = ManualClock(at)
        rt = Runtime.open(settings, clock=clock)
        try:
            with rt.uow(write=False) as uow:
                if uow.technicians.all_ids() or uow.users.by_username(username="sim-agent") is not None:
                    raise InputError(
                        f"{rt.db.url.split('@')[-1]} holds repair data already: "
                        "a simulation needs a fresh database (another --home or --database-url)"
                    )
            yield rt, clock
        finally:
            rt.close()


def simulate(
    options: SimOptions,
    *,
    home: Path | None = None,
    database_url: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    started = wallclock.perf_counter()
    with sim_runtime(options.start, home, database_url) as (rt, clock):
        sim = Simulation(rt, clock, options)
        rt.notifier = sim.notifier
        report = sim.run(progress)
    total = report["wall"]["total_s"] = round(wallclock.perf_counter() - started, 2)
    report["acceptance"]["wall_total_s"] = {
        "value": total,
        "target": f"< {ACCEPT_WALL_S:.0f}",
        "met": total < ACCEPT_WALL_S,
    }
    return report
