"""Supervisor pages: the SLA board (at risk, then breached as the clock moves), the uncovered queue,
re-assignment and cancellation with a reason (audited), and coverage counts by province and county."""

from __future__ import annotations

import re
from datetime import timedelta

from shouhou.accounts.roles import SYSTEM
from shouhou.repairs import service
from tests.web.conftest import WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash
BEIJING = "北京市海淀区中关村大街 27 号"


def _section(html: str, table_id: str) -> str:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    return found.group(1) if found else ""


def test_sla_board_shows_at_risk_then_breached(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    b = web.browser("super")
    r = b.get("/supervisor")
    assert r.status_code == 200 and rid not in r.text  # 30 minutes left: not at risk yet
    assert 'id="refresh-link"' in r.text
    web.clock.advance(timedelta(minutes=21))
    r = b.get("/supervisor")
    assert rid in _section(r.text, "at-risk") and rid not in _section(r.text, "breached")
    assert "tech_near" in _section(r.text, "at-risk") and "广信区" in _section(r.text, "at-risk")
    web.clock.advance(timedelta(minutes=10))
    r = b.get("/supervisor")
    assert rid in _section(r.text, "breached") and rid not in _section(r.text, "at-risk")
    assert 'class="timer overdue"' in r.text
    web.repairs.tick()  # the escalation marks the breach and hands the job on
    r = b.get("/supervisor")
    assert rid in _section(r.text, "breached") and "tech_far" in _section(r.text, "breached")
    assert not FULL_PHONE.search(r.text)


def test_uncovered_queue_lists_requests_nobody_covers(web: WebWorld) -> None:
    covered = web.repairs.intake().json()["id"]
    lonely = web.repairs.intake(address=BEIJING, phone="13800000001").json()
    assert lonely["state"] == "uncovered"
    r = web.browser("super").get("/supervisor/uncovered")
    table = _section(r.text, "uncovered")
    assert lonely["id"] in table and covered not in table and "海淀区" in table


def test_reassign_needs_a_reason_and_is_audited(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    far = web.api.ids["tech_far_tech"]
    b = web.browser("super")
    page = b.get(f"/supervisor/requests/{rid}")
    assert page.status_code == 200 and 'id="reassign-form"' in page.text
    assert f'<option value="{far}">' in page.text  # qualified: covers 广信区, washes Haier
    assert f'<option value="{web.api.ids["tech_near_tech"]}">' not in page.text  # holds it now
    assert f'value="{web.api.ids["tech_safe_tech"]}"' not in page.text  # neither covers nor has the skill
    r = b.submit(f"/supervisor/requests/{rid}/reassign", {"technician_id": far, "reason": " "})
    assert 'class="flash error"' in r.text
    assert service.get(web.rt, actor=SYSTEM, request_id=rid)[0].technician_id == web.api.ids["tech_near_tech"]
    r = b.submit(f"/supervisor/requests/{rid}/reassign", {"technician_id": far, "reason": "客户要求换师傅"})
    assert r.status_code == 200 and 'class="flash ok"' in r.text and "tech_far" in r.text
    req = service.get(web.rt, actor=SYSTEM, request_id=rid)[0]
    assert req.technician_id == far and req.state == "dispatched"
    with web.rt.uow(write=False) as uow:
        entries = [
            e for e in uow.audit.iter_entries() if e.action == "repair.assigned" and e.subject_id == rid
        ]
    assert entries[-1].actor == web.api.ids["super"]
    assert entries[-1].detail["technician_id"] == far and "客户要求换师傅" in entries[-1].detail["reason"]
    assert "客户要求换师傅" in r.text  # in the history


def test_cancel_with_a_reason(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    b = web.browser("super")
    b.get(f"/supervisor/requests/{rid}")
    r = b.submit(f"/supervisor/requests/{rid}/cancel", {"reason": ""})
    assert 'class="flash error"' in r.text
    r = b.submit(f"/supervisor/requests/{rid}/cancel", {"reason": "客户已自行修好"})
    assert service.get(web.rt, actor=SYSTEM, request_id=rid)[0].state == "cancelled"
    assert 'id="cancel-form"' not in r.text and 'id="reassign-form"' not in r.text


def _counts(html: str, area: str) -> tuple[int, int, int, int]:
    row = re.search(rf'<tr class="[^"]*" data-area="{area}">(.*?)</tr>', html, re.S)
    assert row, f"no coverage row for {area}"
    cells = [
        int(re.search(rf'class="num {name}">(\d+)<', row.group(1)).group(1))  # type: ignore[union-attr]
        for name in ("n-techs", "n-available", "n-open", "n-uncovered")
    ]
    return cells[0], cells[1], cells[2], cells[3]


def test_coverage_counts_by_province_and_county(web: WebWorld) -> None:
    web.repairs.intake()  # 广信区, dispatched
    web.repairs.intake(address=BEIJING, phone="13800000001")  # 海淀区, uncovered
    near = web.api.ids["tech_near_tech"]
    web.repairs.client.put(
        f"/api/v1/technicians/{near}/availability",
        headers=web.repairs.h("tech_near"),
        params={"available": "false"},
    )
    r = web.browser("super").get("/supervisor/coverage")
    assert r.status_code == 200
    assert _counts(r.text, "361104") == (2, 1, 1, 0)  # 广信区: near (off) and far
    assert _counts(r.text, "361102") == (1, 0, 0, 0)  # 信州区: near only
    assert _counts(r.text, "361130") == (1, 1, 0, 0)  # 婺源县: far
    assert _counts(r.text, "360000") == (2, 1, 1, 0)  # 江西省: two distinct technicians
    assert _counts(r.text, "441900") == (1, 1, 0, 0)  # 东莞市, a county-less city
    assert _counts(r.text, "110108") == (0, 0, 1, 1)  # 海淀区: nobody covers it
    assert _counts(r.text, "110000") == (0, 0, 1, 1)
    assert "广信区" in r.text and "东莞市" in r.text


def test_supervisor_pages_are_for_supervisors_and_admins(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    for url in (
        "/supervisor",
        "/supervisor/uncovered",
        "/supervisor/coverage",
        f"/supervisor/requests/{rid}",
    ):
        assert web.browser("agent").get(url).status_code == 403, url
        assert web.browser("admin").get(url).status_code == 200, url
    assert web.browser("super").get("/supervisor/requests/rep_nope").status_code == 404
