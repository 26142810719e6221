"""Choosing technicians: shifts (overnight too), refusals, the cost and its rating prior, deterministic picks
and optimal batches (pure); then intake and the timers on a real database skipping who cannot go now."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import Principal
from shouhou.repairs import catalogue, service
from shouhou.repairs.dispatch import (
    RATING_PRIOR,
    SHANGHAI,
    Candidate,
    Weights,
    assign_batch,
    cost,
    on_shift,
    pick,
    refusal,
)
from shouhou.repairs.intake import intake
from shouhou.repairs.timers import run_repair_timers
from tests.repairs.conftest import CUSTOMER_ADDRESS, RepairWorld

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def local(h: int, m: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=SHANGHAI)


def cand(tid: str = "tec_a", **kw: Any) -> Candidate:
    base: dict[str, Any] = {
        "technician_id": tid,
        "distance_km": 10.0,
        "open_jobs": 0,
        "assigned_today": 0,
        "capacity": 8,
        "rating_sum": 0,
        "rating_count": 0,
        "shift_start": "08:00",
        "shift_end": "20:00",
    }
    return Candidate(**{**base, **kw})


# ----- shifts


@pytest.mark.parametrize(
    ("start", "end", "at", "expected"),
    [
        ("08:00", "20:00", local(7, 59), False),
        ("08:00", "20:00", local(8, 0), True),  # the start minute belongs to the shift
        ("08:00", "20:00", local(19, 59), True),
        ("08:00", "20:00", local(20, 0), False),  # the end minute does not
        ("20:00", "08:00", local(19, 59), False),
        ("20:00", "08:00", local(20, 0), True),
        ("20:00", "08:00", local(23, 59), True),
        ("20:00", "08:00", local(0, 0), True),  # past midnight, still the night shift
        ("20:00", "08:00", local(7, 59), True),
        ("20:00", "08:00", local(8, 0), False),
        ("20:00", "08:00", local(12, 0), False),
        ("00:00", "00:00", local(3, 0), True),  # start == end: on call round the clock
        ("00:00", "00:00", local(15, 30), True),
        ("09:30", "17:45", local(9, 29), False),
        ("09:30", "17:45", local(17, 44), True),
    ],
)
def test_on_shift_boundaries_in_local_time(start: str, end: str, at: datetime, expected: bool) -> None:
    assert on_shift(start, end, at) is expected


def test_on_shift_reads_any_aware_time_as_shanghai_local() -> None:
    utc = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 07:30 on the 24th in Shanghai
    assert not on_shift("08:00", "20:00", utc) and on_shift("20:00", "08:00", utc)
    berlin = datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 09:00 in Shanghai
    assert on_shift("08:00", "20:00", berlin) and not on_shift("20:00", "08:00", berlin)


# ----- refusals


def test_refusal_names_the_reason() -> None:
    assert refusal(cand(), NOON) is None
    assert refusal(cand(available=False), NOON) == "not available"
    assert refusal(cand(shift_start="20:00", shift_end="08:00"), NOON) == "off shift"
    assert refusal(cand(shift_start="20:00", shift_end="08:00"), local(22)) is None
    assert refusal(cand(assigned_today=8, capacity=8), NOON) == "day capacity reached"
    assert refusal(cand(assigned_today=9, capacity=8), NOON) == "day capacity reached"
    # Open jobs weigh in the cost, not in the refusal: a busy technician can still be chosen.
    assert refusal(cand(assigned_today=7, capacity=8, open_jobs=20), NOON) is None
    # An unavailable technician is reported as such even when also off shift.
    assert refusal(cand(available=False, shift_start="20:00", shift_end="08:00"), NOON) == "not available"


# ----- cost


def test_cost_grows_with_distance_up_to_a_cap() -> None:
    costs = [cost(cand(distance_km=d)) for d in (0, 50, 100, 400)]
    assert costs == sorted(costs) and len(set(costs)) == 4
    assert cost(cand(distance_km=100)) - cost(cand(distance_km=0)) == pytest.approx(1.0)
    # Beyond 500 km every candidate is equally "far": a remote county is not ranked by raw kilometres.
    assert cost(cand(distance_km=500)) == cost(cand(distance_km=650)) == cost(cand(distance_km=3000))
    assert cost(cand(distance_km=400)) < cost(cand(distance_km=500))


def test_cost_load_is_relative_to_capacity() -> None:
    assert cost(cand(open_jobs=2, capacity=8)) < cost(cand(open_jobs=2, capacity=4))
    assert cost(cand(open_jobs=4, capacity=4)) - cost(cand(open_jobs=0, capacity=4)) == pytest.approx(1.0)
    assert cost(cand(open_jobs=1, capacity=0)) == cost(cand(open_jobs=1, capacity=1))  # no division by zero


def test_rating_is_pulled_towards_the_prior() -> None:
    newcomer = cand("tec_new")
    one_five = cand("tec_lucky", rating_sum=5, rating_count=1)
    one_one = cand("tec_unlucky", rating_sum=1, rating_count=1)
    steady = cand("tec_steady", rating_sum=96, rating_count=20)  # 4.8 on average
    assert newcomer.rating == RATING_PRIOR
    assert one_five.rating == pytest.approx((5 + 4.5 * 3) / 4)
    assert one_one.rating == pytest.approx((1 + 4.5 * 3) / 4)
    # One early five does not beat twenty good visits; one early one-star does not sink a newcomer to 1.
    assert steady.rating > one_five.rating > newcomer.rating > one_one.rating > 3.5
    assert pick([one_five, steady], NOON) == steady
    assert cost(one_one) - cost(newcomer) == pytest.approx(0.5 * (RATING_PRIOR - one_one.rating))


def test_weights_change_what_matters() -> None:
    near_busy = cand("tec_near", distance_km=5, open_jobs=8, capacity=4)
    far_idle = cand("tec_far", distance_km=150, open_jobs=0, capacity=4)
    assert pick([near_busy, far_idle], NOON) == far_idle  # 0.05 + 2.0 against 1.5 + 0
    assert pick([near_busy, far_idle], NOON, Weights(load=0.1)) == near_busy  # 0.05 + 0.2 against 1.5
    assert (
        pick([near_busy, far_idle], NOON, Weights(distance_per_100km=0, load=0)) == far_idle
    )  # a tie: smaller id


# ----- pick


def test_pick_takes_the_cheapest_eligible_and_skips_refused() -> None:
    best_but_off = cand("tec_1", distance_km=0, shift_start="20:00", shift_end="08:00")
    best_but_full = cand("tec_2", distance_km=0, assigned_today=8)
    best_but_away = cand("tec_3", distance_km=0, available=False)
    near = cand("tec_4", distance_km=20)
    far = cand("tec_5", distance_km=80)
    assert pick([best_but_off, best_but_full, best_but_away, far, near], NOON) == near
    assert pick([best_but_off, best_but_full, best_but_away], NOON) is None
    assert pick([], NOON) is None
    assert pick([best_but_off, near], local(21)) == best_but_off  # the night shift is on at 21:00


def test_pick_is_deterministic_whatever_the_order() -> None:
    tied = [cand(f"tec_{c}", distance_km=30) for c in "dbca"]
    dearer = cand("tec_0", distance_km=31)
    for order in itertools.permutations([*tied, dearer]):
        assert pick(list(order), NOON) == tied[-1]  # equal cost: the smallest id, never the first listed


# ----- batches


def _batch_cost(chosen: dict[str, str], table: dict[str, list[Candidate]]) -> float:
    """Total cost of an assignment, each further job of one technician counted one open job heavier."""
    total, extra = 0.0, dict.fromkeys((c.technician_id for cs in table.values() for c in cs), 0)
    for req, tid in sorted(chosen.items()):
        c = next(c for c in table[req] if c.technician_id == tid)
        total += cost(replace(c, open_jobs=c.open_jobs + extra[tid]))
        extra[tid] += 1
    return total


def _greedy(requests: list[str], table: dict[str, list[Candidate]], at: datetime) -> dict[str, str]:
    """One request after another, each to its best technician with a slot left."""
    left = {c.technician_id: c.capacity - c.assigned_today for cs in table.values() for c in cs}
    out: dict[str, str] = {}
    for req in requests:
        best = pick([c for c in table.get(req, ()) if left[c.technician_id] > 0], at)
        if best is not None:
            out[req] = best.technician_id
            left[best.technician_id] -= 1
    return out


def test_batch_beats_greedy_on_the_textbook_counterexample() -> None:
    # r1 is a little nearer to A, r2 much nearer to A than to B: greedy gives r1 A and r2 the long trip.
    one_slot = {"capacity": 1}
    table = {
        "r1": [cand("A", distance_km=100, **one_slot), cand("B", distance_km=200, **one_slot)],
        "r2": [cand("A", distance_km=200, **one_slot), cand("B", distance_km=450, **one_slot)],
    }
    greedy = _greedy(["r1", "r2"], table, NOON)
    batch = assign_batch(["r1", "r2"], table, NOON)
    assert greedy == {"r1": "A", "r2": "B"}
    assert batch == {"r1": "B", "r2": "A"}
    assert _batch_cost(batch, table) == pytest.approx(4.0 + 2 * 0.5 * (5 - RATING_PRIOR))
    assert _batch_cost(batch, table) < _batch_cost(greedy, table) - 1.4


def test_batch_respects_remaining_day_capacity() -> None:
    # A has 3 a day and 1 given already: 2 slots; three requests only A can take → the farthest waits.
    a = {"capacity": 3, "assigned_today": 1}
    table = {
        "r1": [cand("A", distance_km=10, **a)],
        "r2": [cand("A", distance_km=90, **a)],
        "r3": [cand("A", distance_km=40, **a)],
    }
    assert assign_batch(["r1", "r2", "r3"], table, NOON) == {"r1": "A", "r3": "A"}
    full = {req: [replace(c, assigned_today=3) for c in cs] for req, cs in table.items()}
    assert assign_batch(["r1", "r2", "r3"], full, NOON) == {}


def test_batch_leaves_out_requests_nobody_can_take() -> None:
    table = {
        "covered": [cand("A", distance_km=10)],
        "nobody": [],
        "night_only": [cand("N", distance_km=5, shift_start="20:00", shift_end="08:00")],
        "away_only": [cand("X", distance_km=5, available=False)],
    }
    requests = ["covered", "nobody", "night_only", "away_only", "not_in_table"]
    assert assign_batch(requests, table, NOON) == {"covered": "A"}
    assert assign_batch(requests, table, local(22)) == {"night_only": "N"}  # A's day shift is over
    assert assign_batch([], table, NOON) == {}


def test_batch_spreads_when_a_second_job_would_weigh_more() -> None:
    # The load term grows by one job per extra slot: A's second job costs 1/2 more, B's first only 0.3.
    table = {
        r: [cand("A", distance_km=0, capacity=2), cand("B", distance_km=30, capacity=2)] for r in ("r1", "r2")
    }
    chosen = assign_batch(["r1", "r2"], table, NOON)
    assert sorted(chosen.values()) == ["A", "B"]
    packed = {r: [cand("A", distance_km=0, capacity=8), cand("B", distance_km=30, capacity=8)] for r in table}
    assert assign_batch(["r1", "r2"], packed, NOON) == {"r1": "A", "r2": "A"}  # 1/8 < 0.3


def _brute_force(requests: list[str], table: dict[str, list[Candidate]], at: datetime) -> tuple[int, float]:
    """Most requests served, then least total cost, over every possible assignment."""
    options = [[None] + [c.technician_id for c in table[r] if refusal(c, at) is None] for r in requests]
    slots = {c.technician_id: c.capacity - c.assigned_today for cs in table.values() for c in cs}
    best = (0, 0.0)
    for combo in itertools.product(*options):
        used = [t for t in combo if t is not None]
        if any(used.count(t) > slots[t] for t in set(used)):
            continue
        chosen = {r: t for r, t in zip(requests, combo, strict=True) if t is not None}
        score = (len(chosen), _batch_cost(chosen, table))
        if score[0] > best[0] or (score[0] == best[0] and score[1] < best[1]):
            best = score
    return best


def test_batch_is_optimal_against_brute_force() -> None:
    rng = random.Random(20261123)
    for _ in range(150):
        techs: dict[str, dict[str, Any]] = {
            f"T{j}": {
                "capacity": rng.randint(1, 3),
                "open_jobs": rng.randint(0, 3),
                "rating_sum": (n := rng.randint(0, 5)) * rng.randint(1, 5),
                "rating_count": n,
                "available": rng.random() > 0.15,
                "shift_start": rng.choice(["08:00", "20:00"]),
                "shift_end": rng.choice(["20:00", "08:00"]),
            }
            for j in range(rng.randint(1, 3))
        }
        for kw in techs.values():
            kw["assigned_today"] = rng.randint(0, kw["capacity"])
        requests = [f"r{i}" for i in range(rng.randint(1, 5))]
        table = {
            r: [
                cand(t, distance_km=rng.uniform(0, 600), **kw)
                for t, kw in techs.items()
                if rng.random() < 0.75
            ]
            for r in requests
        }
        at = rng.choice([NOON, local(22)])
        chosen = assign_batch(requests, table, at)
        count, best = _brute_force(requests, table, at)
        assert len(chosen) == count, (table, chosen)
        assert _batch_cost(chosen, table) == pytest.approx(best), (table, chosen)
        for req, tid in chosen.items():
            assert refusal(next(c for c in table[req] if c.technician_id == tid), at) is None
        assert assign_batch(requests, table, at) == chosen


# ----- on a real database: intake and the timers


def _principal(w: RepairWorld, who: str) -> Principal:
    return accounts.authenticate(w.rt, w.tokens[who])


def _set_tech(w: RepairWorld, name: str, **fields: Any) -> None:
    with w.rt.uow(write=True) as uow:
        tech = uow.technicians.lock_or_raise(id=w.ids[f"{name}_tech"])
        for key, value in fields.items():
            setattr(tech, key, value)
        uow.commit()


def _take(w: RepairWorld, phone: str) -> Any:
    return intake(
        w.rt,
        actor=_principal(w, "agent"),
        customer_name="赵敏",
        phone=phone,
        address=CUSTOMER_ADDRESS,
        brand="海尔 Haier",
        category="washing_machine",
        description="不脱水，显示 E4",
    )


def test_intake_skips_technicians_off_shift_or_away(repair_world: RepairWorld) -> None:
    w = repair_world
    near, far = w.ids["tech_near_tech"], w.ids["tech_far_tech"]
    _set_tech(w, "tech_near", shift_start="20:00", shift_end="08:00")  # at home in the county, asleep
    r = _take(w, "13800000001")
    assert r.technician_id == far and r.request.state == "dispatched"
    _set_tech(w, "tech_near", shift_start="08:00", shift_end="20:00")
    assert _take(w, "13800000002").technician_id == near  # back on shift: the nearer one again
    catalogue.set_available(w.rt, actor=_principal(w, "super"), technician_id=near, available=False)
    assert _take(w, "13800000003").technician_id == far


def test_intake_skips_a_technician_at_day_capacity_until_the_next_day(repair_world: RepairWorld) -> None:
    w = repair_world
    near, far = w.ids["tech_near_tech"], w.ids["tech_far_tech"]
    _set_tech(w, "tech_near", capacity_per_day=1)
    first = _take(w, "13800000001")
    assert first.technician_id == near
    tech = _principal(w, "tech_near")
    for action in ("accept", "en_route", "on_site"):
        service.step(w.rt, actor=tech, request_id=first.request.id, action=action)
    service.complete(w.rt, actor=tech, request_id=first.request.id, parts=[], fee_fen=0, notes="")
    # No open job left, nearest by far — but the day's one job is used: the far technician goes.
    assert _take(w, "13800000002").technician_id == far
    w.clock.advance(timedelta(days=1))  # 10:00 the next day: a new working day
    assert _take(w, "13800000003").technician_id == near


def test_a_call_before_the_shift_waits_and_the_timers_dispatch_it_at_eight(repair_world: RepairWorld) -> None:
    w = repair_world
    w.clock.advance(timedelta(hours=21))  # 07:00 the next morning in Shanghai
    assert w.clock.now().astimezone(SHANGHAI).hour == 7
    r = _take(w, "13800000001")
    rid = r.request.id
    assert r.request.state == "received" and r.technician_id is None
    assert r.request.first_response_due == local(8, 30, day=24)  # the clock starts when business opens
    assert not any(m.template == "repair.uncovered" for m in w.notifier.sent)  # covered, just not yet
    w.clock.advance(timedelta(minutes=59))
    assert run_repair_timers(w.rt) == 0
    req, _events = service.get(w.rt, actor=_principal(w, "super"), request_id=rid)
    assert req.state == "received"
    w.clock.advance(timedelta(minutes=1))
    assert run_repair_timers(w.rt) == 1
    req, events = service.get(w.rt, actor=_principal(w, "super"), request_id=rid)
    assert req.state == "dispatched" and req.technician_id == w.ids["tech_near_tech"]
    assert req.dispatched_at == local(8, 0, day=24) and not req.first_response_breached
    assert [e.actor for e in events if e.kind == "assigned"] == ["system"]
    assert any(m.template == "repair.new_job" and m.recipient == req.technician_id for m in w.notifier.sent)



def test_workload_counts_what_load_and_assigned_since_count(repair_world: RepairWorld) -> None:
    """Dispatch reads held jobs and jobs given today in one query; it must count exactly as the two reads
    it replaced: yesterday's open job is held but not today's, a job finished today is today's but not
    held, yesterday's finished job is neither."""
    w = repair_world
    near = w.ids["tech_near_tech"]
    tech = _principal(w, "tech_near")

    def finish(request_id: str) -> None:
        for action in ("accept", "en_route", "on_site"):
            service.step(w.rt, actor=tech, request_id=request_id, action=action)
        service.complete(w.rt, actor=tech, request_id=request_id, parts=[], fee_fen=0, notes="")

    finish(_take(w, "13800000001").request.id)
    still_open = _take(w, "13800000002")
    w.clock.advance(timedelta(days=1))
    finish(_take(w, "13800000003").request.id)
    today_open = _take(w, "13800000004")
    assert {still_open.technician_id, today_open.technician_id} == {near}
    ids = [near, w.ids["tech_far_tech"], w.ids["tech_safe_tech"]]
    states = ["dispatched", "accepted", "en_route", "on_site", "waiting"]
    since = local(0, day=24)
    with w.rt.uow(write=False) as uow:
        load = uow.technicians.load(technician_ids=ids, held_states=states)
        today = uow.technicians.assigned_since(technician_ids=ids, since=since)
        work = uow.technicians.workload(technician_ids=ids, held_states=states, since=since)
    assert work == {t: (load.get(t, 0), today.get(t, 0)) for t in set(load) | set(today)}
    assert work[near] == (2, 2)
