"""workflow.transition on SQLite and PostgreSQL, for every (from, to) pair: a legal move changes the claim,
its history, its audit trail and its timer in one transaction; an illegal one raises and changes nothing."""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import catalog
from shouhou.claims.sla import deadline_for
from shouhou.claims.states import TRANSITIONS, ClaimState
from shouhou.claims.workflow import WAKES_WORKER, transition
from shouhou.errors import IllegalTransition
from shouhou.runtime import ManualClock, Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from tests.api.conftest import settings_for

S = ClaimState
ALL_PAIRS = list(itertools.product(ClaimState, ClaimState))
PAIR_IDS = [f"{a.value}->{b.value}" for a, b in ALL_PAIRS]
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
# The shop sets its own merchant window, so a transition that ignored it would show up as a wrong deadline.
SHOP_WINDOW_HOURS = 36.0


@dataclass
class Place:
    rt: Runtime
    shop: t.Shop
    order: t.Order


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def place(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    """One migrated database per backend for the whole module; every case makes its own claim in it."""
    home = tmp_path_factory.mktemp(f"workflow-{request.param}")
    if request.param == "sqlite":
        path = home / "shouhou.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    rt = Runtime.open(settings_for(home / "home", url), clock=ManualClock(T0))
    try:
        # Unique names: the PostgreSQL database is shared with other modules and not emptied here.
        plat = catalog.create_platform(rt, actor=SYSTEM, name=f"平台 {uuid.uuid4().hex[:8]}")
        shop = catalog.create_shop(rt, actor=SYSTEM, platform_id=plat.id, name="shop",
                                   response_window_hours=SHOP_WINDOW_HOURS)
        sku = catalog.create_sku(rt, actor=SYSTEM, shop_id=shop.id, code="SKU-1", title="头盔",
                                 price_fen=19900)
        order = catalog.create_order(
            rt, actor=SYSTEM, shop_id=shop.id, platform_order_id=f"TB-{uuid.uuid4().hex[:8]}",
            buyer=catalog.BuyerInfo(platform_buyer_id="tb-1", name="王小明", phone="13812345678"),
            lines=[catalog.OrderLine(sku_id=sku.id, quantity=1, price_fen=19900)],
            placed_at=T0 - timedelta(days=5), delivered_at=T0 - timedelta(days=1),
        )
        yield Place(rt=rt, shop=shop, order=order)
    finally:
        rt.close()


def new_claim(place: Place, state: ClaimState, entered_at: datetime) -> str:
    """A claim row put straight into `state`, with the timer that state would have."""
    policy = place.rt.settings.claims
    deadline = deadline_for(state, entered_at, policy, shop_response_hours=SHOP_WINDOW_HOURS)
    claim_id = new_id("clm")
    with place.rt.uow(write=True) as uow:
        uow.claims.add(t.Claim(
            id=claim_id, shop_id=place.shop.id, buyer_id=place.order.buyer_id, order_id=place.order.id,
            kind="refund_only", reason="屏幕碎了", amount_fen=19900, state=state.value,
            state_entered_at=entered_at, deadline_kind=deadline.kind.value if deadline else None,
            deadline_at=deadline.at if deadline else None,
            created_by="test", created_at=entered_at, updated_at=entered_at,
        ))
        uow.commit()
    return claim_id


@dataclass(frozen=True)
class Snapshot:
    state: str
    state_entered_at: datetime
    updated_at: datetime
    deadline_kind: str | None
    deadline_at: datetime | None
    history: list[tuple[str, str, str, str, datetime]]
    audit: list[tuple[str, str, str, dict[str, object], datetime]]
    audit_total: int


def snapshot(rt: Runtime, claim_id: str) -> Snapshot:
    with rt.uow(write=False) as uow:
        c = uow.claims.get_or_raise(id=claim_id)
        entries = uow.session.scalars(
            select(t.AuditEntry).where(t.AuditEntry.subject_id == claim_id).order_by(t.AuditEntry.seq)
        ).all()
        return Snapshot(
            state=c.state, state_entered_at=c.state_entered_at, updated_at=c.updated_at,
            deadline_kind=c.deadline_kind, deadline_at=c.deadline_at,
            history=[(h.from_state, h.to_state, h.actor, h.reason, h.created_at)
                     for h in uow.claims.transitions(claim_id=claim_id)],
            audit=[(e.action, e.subject_type, e.actor, dict(e.detail), e.at) for e in entries],
            audit_total=uow.session.scalar(select(func.count()).select_from(t.AuditEntry)) or 0,
        )


@pytest.mark.parametrize(("src", "dst"), ALL_PAIRS, ids=PAIR_IDS)
def test_transition(place: Place, src: ClaimState, dst: ClaimState) -> None:
    rt = place.rt
    entered = T0 - timedelta(hours=3)
    now = T0 + timedelta(minutes=17, microseconds=250)
    claim_id = new_claim(place, src, entered)
    before = snapshot(rt, claim_id)

    if dst in TRANSITIONS[src]:
        with rt.uow(write=True) as uow:
            claim = uow.claims.lock_or_raise(id=claim_id)
            transition(uow, claim, to=dst, actor="test", reason="r", now=now, policy=rt.settings.claims)
            uow.commit()
        after = snapshot(rt, claim_id)
        expected = deadline_for(dst, now, rt.settings.claims, shop_response_hours=SHOP_WINDOW_HOURS)
        assert after.state == dst.value
        assert after.state_entered_at == now
        assert after.updated_at == now
        assert after.deadline_kind == (expected.kind.value if expected else None)
        assert after.deadline_at == (expected.at if expected else None)
        assert after.history == [(src.value, dst.value, "test", "r", now)]
        assert after.audit == [("claim.transition", "claim", "test", {
            "from": src.value, "to": dst.value, "reason": "r",
            "deadline": expected.at.isoformat() if expected else None,
        }, now)]
        assert after.audit_total == before.audit_total + 1
        return

    with rt.uow(write=True) as uow:
        claim = uow.claims.lock_or_raise(id=claim_id)
        with pytest.raises(IllegalTransition) as err:
            transition(uow, claim, to=dst, actor="test", reason="r", now=now, policy=rt.settings.claims)
        assert claim.state == src.value
        # Committing after the refusal proves nothing was staged on the session before the check.
        uow.commit()
    message = str(err.value)
    assert claim_id in message
    assert f"is {src.value}" in message
    assert f"cannot go to {dst.value}" in message
    allowed = sorted(s.value for s in TRANSITIONS[src])
    assert f"(allowed: {', '.join(allowed) or 'nothing (final state)'})" in message
    assert snapshot(rt, claim_id) == before


def test_deadlines_follow_the_shop_window_and_the_policy(place: Place) -> None:
    """Spot values, so a wrong deadline_for and a transition that agreed with it cannot both pass."""
    rt = place.rt
    claim_id = new_claim(place, S.SCREENING, T0)
    steps = [
        (S.AWAITING_MERCHANT, "merchant_response", timedelta(hours=SHOP_WINDOW_HOURS)),
        (S.IN_REVIEW, "review_sla", timedelta(hours=24)),
        (S.AWAITING_BUYER, "buyer_evidence", timedelta(hours=72)),
        (S.SCREENING, None, None),
        (S.DECIDED, "appeal_window", timedelta(days=7)),
        (S.APPEALED, "review_sla", timedelta(hours=24)),
        (S.WITHDRAWN, None, None),
    ]
    for i, (dst, kind, delta) in enumerate(steps):
        now = T0 + timedelta(hours=i)
        with rt.uow(write=True) as uow:
            claim = uow.claims.lock_or_raise(id=claim_id)
            transition(uow, claim, to=dst, actor="test", reason=f"step {i}", now=now,
                       policy=rt.settings.claims)
            uow.commit()
        snap = snapshot(rt, claim_id)
        assert (snap.deadline_kind, snap.deadline_at) == (kind, now + delta if delta else None), dst
    assert [h[:2] for h in snapshot(rt, claim_id).history] == [
        ("screening", "awaiting_merchant"), ("awaiting_merchant", "in_review"),
        ("in_review", "awaiting_buyer"), ("awaiting_buyer", "screening"), ("screening", "decided"),
        ("decided", "appealed"), ("appealed", "withdrawn"),
    ]


def test_effects_run_after_commit_for_their_pair_only(place: Place) -> None:
    rt = place.rt
    ran: list[tuple[str, str]] = []
    effects = {
        (S.SUBMITTED, S.SCREENING): lambda cid: ran.append(("screen", cid)),
        (S.SCREENING, S.WITHDRAWN): lambda cid: ran.append(("withdrawn", cid)),
    }
    claim_id = new_claim(place, S.SUBMITTED, T0)
    with rt.uow(write=True) as uow:
        claim = uow.claims.lock_or_raise(id=claim_id)
        transition(uow, claim, to=S.SCREENING, actor="test", reason="r", now=T0, policy=rt.settings.claims,
                   effects=effects)
        assert ran == []
        uow.commit()
    assert ran == [("screen", claim_id)]


def test_no_effect_when_the_transaction_does_not_commit(place: Place) -> None:
    rt = place.rt
    ran: list[str] = []
    claim_id = new_claim(place, S.SUBMITTED, T0)
    with rt.uow(write=True) as uow:
        claim = uow.claims.lock_or_raise(id=claim_id)
        transition(uow, claim, to=S.SCREENING, actor="test", reason="r", now=T0, policy=rt.settings.claims,
                   effects={(S.SUBMITTED, S.SCREENING): ran.append})
    assert ran == []
    assert snapshot(rt, claim_id).state == S.SUBMITTED.value


def test_the_worker_is_woken_only_by_legal_moves_into_screening() -> None:
    assert {(S.SUBMITTED, S.SCREENING), (S.AWAITING_BUYER, S.SCREENING)} == WAKES_WORKER
    assert all(dst in TRANSITIONS[src] for src, dst in WAKES_WORKER)
