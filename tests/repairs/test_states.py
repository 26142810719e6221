"""Every (from, to) pair of the repair state table through `workflow.transition` on a real row, on SQLite and
PostgreSQL: a legal move changes the state, stamps the time and writes one event and one audit entry; an
illegal one raises IllegalTransition naming both states and changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shouhou.accounts.roles import SYSTEM
from shouhou.audit.service import verify
from shouhou.errors import IllegalTransition
from shouhou.repairs import catalogue
from shouhou.repairs.states import HELD_STATES, OPEN_STATES, TRANSITIONS, RepairState
from shouhou.repairs.workflow import transition
from shouhou.runtime import ManualClock, Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.db import Database
from shouhou.storage.ids import new_id
from tests.api.conftest import settings_for
from tests.db_fixtures import _truncate

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ACTOR = "usr_state_test"
PAIRS = [(a, b) for a in RepairState for b in RepairState]


@dataclass
class StateWorld:
    rt: Runtime
    clock: ManualClock
    brand_id: str
    category_id: str
    customer_id: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StateWorld]:
    """One database per backend for the whole module: each test adds its own request row."""
    folder = tmp_path_factory.mktemp(f"states-{request.param}")
    if request.param == "sqlite":
        path = folder / "shouhou.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        db = Database(url)
        _truncate(db)
        db.dispose()
    clock = ManualClock(T0)
    runtime = Runtime.open(settings_for(Path(folder) / "home", url), clock=clock)
    brand = catalogue.ensure_brand(runtime, actor=SYSTEM, name="海尔 Haier")
    cat = catalogue.ensure_category(runtime, actor=SYSTEM, code="washing_machine", name="洗衣机")
    with runtime.uow(write=True) as uow:
        cus = uow.customers.add(
            rt.Customer(
                id=new_id("cus"),
                person_key="k" * 64,
                name_enc="x",
                phone_enc="x",
                name_masked="赵*",
                phone_masked="139****5678",
                points=0,
                created_at=T0,
            )
        )
        uow.commit()
    yield StateWorld(runtime, clock, brand.id, cat.id, cus.id)
    report = verify(runtime.db, runtime.keys.audit, runtime.settings.audit_checkpoint_file)
    runtime.close()
    assert report.ok, report.problems  # every transition's audit entry chained properly


def _row_in(w: StateWorld, state: RepairState) -> str:
    """A request row sitting in `state`, entered an hour before the test's `now`."""
    w.clock.advance(timedelta(hours=1))
    at = w.clock.now()
    with w.rt.uow(write=True) as uow:
        req = uow.repairs.add(
            rt.RepairRequest(
                id=new_id("rep"),
                customer_id=w.customer_id,
                brand_id=w.brand_id,
                category_id=w.category_id,
                service_type="repair",
                description="不脱水",
                address_enc="x",
                address_masked="江西省上饶市****",
                adcode="361104",
                province_code="360000",
                priority="normal",
                channel="phone",
                state=state.value,
                state_entered_at=at,
                pauses=[],
                created_by=ACTOR,
                created_at=at,
                updated_at=at,
            )
        )
        uow.commit()
    w.clock.advance(timedelta(hours=1))
    return req.id


def _snapshot(w: StateWorld, rid: str) -> tuple[rt.RepairRequest, list[rt.RepairEvent], int]:
    with w.rt.uow(write=False) as uow:
        return (
            uow.repairs.get_or_raise(id=rid),
            list(uow.repairs.events(request_id=rid)),
            uow.audit.head()[0],
        )


def test_the_table_is_total_and_open_states_are_consistent() -> None:
    assert set(TRANSITIONS) == set(RepairState)
    assert all(s not in TRANSITIONS[s] for s in RepairState)  # no self-loops to hide a stuck request
    assert TRANSITIONS[RepairState.CANCELLED] == frozenset()
    assert HELD_STATES <= OPEN_STATES
    assert not OPEN_STATES & {RepairState.COMPLETED, RepairState.RATED, RepairState.CLOSED}
    # Only a technician on site cannot be cancelled: the visit is finished or paused, not dropped.
    for s in OPEN_STATES - {RepairState.ON_SITE}:
        assert RepairState.CANCELLED in TRANSITIONS[s], s


@pytest.mark.parametrize(("src", "dst"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition_pair(world: StateWorld, src: RepairState, dst: RepairState) -> None:
    w = world
    rid = _row_in(w, src)
    before, events_before, seq_before = _snapshot(w, rid)
    now = w.clock.now()
    legal = dst in TRANSITIONS[src]
    with w.rt.uow(write=True) as uow:
        req = uow.repairs.lock_or_raise(id=rid)
        if legal:
            transition(uow, req, to=dst, actor=ACTOR, reason="pair test", now=now)
            uow.commit()
        else:
            with pytest.raises(IllegalTransition) as caught:
                transition(uow, req, to=dst, actor=ACTOR, reason="pair test", now=now)
            head = str(caught.value).split("(allowed")[0]
            assert src.value in head and dst.value in head, str(caught.value)
            assert req.state == src.value  # refused before touching the row
    after, events, seq = _snapshot(w, rid)
    if not legal:
        assert after.state == src.value
        assert after.state_entered_at == before.state_entered_at < now
        assert after.updated_at == before.updated_at
        assert events == events_before == []
        assert seq == seq_before
        return
    assert after.state == dst.value
    assert after.state_entered_at == now and after.updated_at == now
    assert [(e.kind, e.from_state, e.to_state, e.actor, e.reason, e.created_at) for e in events] == [
        ("transition", src.value, dst.value, ACTOR, "pair test", now)
    ]
    assert seq == seq_before + 1
    with w.rt.uow(write=False) as uow:
        entry = uow.audit.get(seq=seq)
    assert entry is not None
    assert (entry.action, entry.actor, entry.subject_type, entry.subject_id, entry.at) == (
        "repair.transition",
        ACTOR,
        "repair",
        rid,
        now,
    )
    assert entry.detail == {"from": src.value, "to": dst.value, "reason": "pair test"}
