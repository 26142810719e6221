"""A repair world on a real database (SQLite and PostgreSQL): brands, categories with fault codes,
technicians covering real counties, staff users; the clock moves only when a test moves it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.api.app import create_app
from shouhou.notify import RecordingNotifier
from shouhou.repairs import catalogue
from shouhou.runtime import ManualClock, Runtime
from tests.api.conftest import settings_for

# 10:00 in Shanghai on a Monday: inside the default 08:00–20:00 shift.
MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CUSTOMER_PHONE = "13912345678"
CUSTOMER_ADDRESS = "江西省上饶市广信区旭日街道 兴园路 18 号 2 栋 301"


@dataclass
class RepairWorld:
    rt: Runtime
    client: TestClient
    clock: ManualClock
    notifier: RecordingNotifier
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.h(who), **kw)

    def get(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(who), **kw)

    def user(self, name: str, role: Role) -> str:
        user, token = accounts.create_user(self.rt, actor=SYSTEM, username=name, role=role)
        self.tokens[name], self.ids[name] = token, user.id
        return user.id

    def tick(self, delta: timedelta | None = None) -> int:
        if delta:
            self.clock.advance(delta)
        return int(self.client.app.state.scheduler.tick())  # type: ignore[attr-defined]

    def intake(self, who: str = "agent", **kw: Any) -> Any:
        body = {
            "customer_name": "赵敏",
            "phone": CUSTOMER_PHONE,
            "address": CUSTOMER_ADDRESS,
            "brand": "海尔 Haier",
            "category": "washing_machine",
            "description": "不脱水，显示 E4",
            "channel": "phone",
            **kw,
        }
        return self.post(who, "/api/v1/repairs", json=body)


def populate(w: RepairWorld) -> None:
    """Brands, categories with fault codes, an agent, a supervisor and three technicians on real counties."""
    rt = w.rt
    if "admin" not in w.tokens:  # the web tests share one admin with the claims world
        w.user("admin", Role.ADMIN)
    w.user("agent", Role.AGENT)
    w.user("super", Role.SUPERVISOR)
    admin = accounts.authenticate(rt, w.tokens["admin"])
    catalogue.ensure_brand(rt, actor=admin, name="海尔 Haier", warranty_days=90)
    catalogue.ensure_brand(rt, actor=admin, name="美的 Midea")
    catalogue.ensure_category(
        rt,
        actor=admin,
        code="washing_machine",
        name="洗衣机",
        faults=[("E4", "不脱水 / unbalanced", False), ("LEAK", "漏水 / water leak", True)],
    )
    catalogue.ensure_category(
        rt, actor=admin, code="safe", name="保险柜", faults=[("LOCKED", "锁死打不开 / locked out", True)]
    )
    for name, home, coverage, skills in (
        (
            "tech_near",
            "上饶市广信区",
            ["上饶市广信区", "上饶市信州区"],
            [catalogue.Skill("washing_machine")],
        ),
        (
            "tech_far",
            "上饶市婺源县",
            ["上饶市广信区", "上饶市婺源县"],
            [catalogue.Skill("washing_machine", "海尔 Haier")],
        ),
        ("tech_safe", "东莞市", ["东莞市"], [catalogue.Skill("safe")]),
    ):
        uid = w.user(name, Role.TECHNICIAN)
        tech = catalogue.register_technician(
            rt,
            actor=admin,
            display_name=name,
            phone="13700000000",
            home=home,
            coverage=coverage,
            skills=skills,
            user_id=uid,
        )
        w.ids[f"{name}_tech"] = tech.id


@pytest.fixture
def repair_world(tmp_path: Path, database_url: str) -> Iterator[RepairWorld]:
    clock = ManualClock(MORNING)
    rt = Runtime.open(settings_for(tmp_path / "home", database_url), clock=clock)
    notifier = RecordingNotifier()
    rt.notifier = notifier
    with TestClient(create_app(rt, background=False)) as client:
        w = RepairWorld(rt=rt, client=client, clock=clock, notifier=notifier)
        populate(w)
        yield w
    rt.close()
