"""A repair request from intake to closing, through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from tests.repairs.conftest import CUSTOMER_ADDRESS, CUSTOMER_PHONE, RepairWorld


def _tech_name(w: RepairWorld, tech_id: str) -> str:
    return next(k.removesuffix("_tech") for k, v in w.ids.items() if v == tech_id and k.endswith("_tech"))


def test_intake_dispatch_visit_feedback_close(repair_world: RepairWorld) -> None:
    w = repair_world
    r = w.intake()
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["state"] == "dispatched" and req["priority"] == "normal"
    assert req["adcode"] == "361104"  # 广信区
    assert req["technician_id"] == w.ids["tech_near_tech"]  # at home in the county, beats 婺源
    assert req["address_masked"].startswith("江西省上饶市") and "兴园路" not in req["address_masked"]
    rid = req["id"]
    tech = "tech_near"
    assert [j["id"] for j in w.get(tech, "/api/v1/technicians/me/jobs").json()] == [rid]
    assert w.get("tech_far", f"/api/v1/repairs/{rid}").status_code == 404
    # The first response: accepted and the customer contacted, inside 30 minutes.
    w.clock.advance(timedelta(minutes=12))
    r = w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "accept"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted" and not r.json()["first_response_breached"]
    for action in ("en_route", "on_site"):
        assert w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": action}).status_code == 200
    r = w.post(
        tech,
        f"/api/v1/repairs/{rid}/complete",
        data={
            "parts": '[{"name": "排水泵", "quantity": 1, "price_fen": 8800}]',
            "fee_fen": "5000",
            "notes": "更换排水泵",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "completed"
    sms = [m for m in w.notifier.sent if m.template == "repair.rate_visit"]
    assert sms and CUSTOMER_PHONE not in str(sms[0])
    bad = w.client.post(f"/api/v1/repairs/{rid}/feedback", json={"rating": 5, "token": "guess"})
    assert bad.status_code == 404
    r = w.client.post(
        f"/api/v1/repairs/{rid}/feedback",
        json={"rating": 2, "comment": "来晚了", "token": sms[0].params["token"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["points_awarded"] == 10  # the same points for a low score
    again = w.client.post(
        f"/api/v1/repairs/{rid}/feedback", json={"rating": 5, "token": sms[0].params["token"]}
    )
    assert again.status_code == 409
    w.tick(timedelta(days=7, minutes=1))
    assert w.get("agent", f"/api/v1/repairs/{rid}").json()["state"] == "closed"


def test_duplicate_call_is_linked_and_repeat_fault_reopens(repair_world: RepairWorld) -> None:
    w = repair_world
    first = w.intake().json()
    r = w.intake(description="还是不脱水，催一下")
    assert r.status_code == 201 and r.json()["id"] == first["id"] and r.json()["linked_to_open"]
    events = w.get("agent", f"/api/v1/repairs/{first['id']}").json()["events"]
    assert any(e["kind"] == "duplicate" for e in events)
    tech = _tech_name(w, first["technician_id"])
    rid = first["id"]
    for action in ("accept", "en_route", "on_site"):
        w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": action})
    w.post(tech, f"/api/v1/repairs/{rid}/complete", data={"fee_fen": "0"})
    w.clock.advance(timedelta(days=20))
    r = w.intake(description="又不脱水了")
    assert r.json()["id"] == rid and r.json()["reopened"] and r.json()["state"] == "dispatched"


def test_emergency_goes_green_channel_and_countyless_city_dispatches(repair_world: RepairWorld) -> None:
    w = repair_world
    r = w.intake(
        category="safe",
        brand="美的 Midea",
        address="广东省东莞市万江街道 金泰路 8 号",
        description="保险柜锁死打不开",
        fault_code="LOCKED",
    )
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["priority"] == "emergency" and req["adcode"] == "441900005"
    assert req["technician_id"] == w.ids["tech_safe_tech"]


def test_uncovered_queue_alerts_the_supervisor_and_bad_addresses_are_refused(
    repair_world: RepairWorld,
) -> None:
    w = repair_world
    r = w.intake(address="北京市海淀区中关村大街 27 号")
    assert r.status_code == 201 and r.json()["state"] == "uncovered"
    assert any(m.template == "repair.uncovered" for m in w.notifier.sent)
    assert [q["id"] for q in w.get("super", "/api/v1/repairs").json()] == [r.json()["id"]]
    for bad in ("朝阳区", "火星基地 1 号", "上饶市"):
        r = w.intake(address=bad, phone="13800000001")
        assert r.status_code == 422, (bad, r.text)
    assert CUSTOMER_ADDRESS not in r.text


def test_first_response_breach_escalates_to_another_technician(repair_world: RepairWorld) -> None:
    w = repair_world
    req = w.intake().json()
    first = req["technician_id"]
    assert w.tick(timedelta(minutes=29)) == 0
    w.tick(timedelta(minutes=2))
    after = w.get("super", f"/api/v1/repairs/{req['id']}").json()
    assert after["first_response_breached"] and after["escalations"] == 1
    assert after["technician_id"] not in (None, first) and after["state"] == "dispatched"
    assert any(m.template == "repair.sla_breached" for m in w.notifier.sent)


def test_waiting_for_parts_pauses_the_onsite_clock(repair_world: RepairWorld) -> None:
    w = repair_world
    req = w.intake().json()
    tech = _tech_name(w, req["technician_id"])
    rid = req["id"]
    w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "accept"})
    due = w.get("agent", f"/api/v1/repairs/{rid}").json()["onsite_due"]
    r = w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "wait", "reason": "parts"})
    assert r.json()["state"] == "waiting" and r.json()["onsite_due"] is None
    w.clock.advance(timedelta(hours=2))
    r = w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "resume"})
    assert r.json()["state"] == "accepted"
    assert r.json()["onsite_due"] > due  # pushed back by the two business hours spent waiting
    bad = w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "complete"})
    assert bad.status_code == 422
    illegal = w.post(tech, f"/api/v1/repairs/{rid}/steps", json={"action": "on_site"})
    assert illegal.status_code == 409 and illegal.json()["type"].endswith("illegal-transition")


def test_contact_masked_for_technician_until_revealed(repair_world: RepairWorld) -> None:
    w = repair_world
    req = w.intake().json()
    tech = _tech_name(w, req["technician_id"])
    masked = w.get(tech, f"/api/v1/repairs/{req['id']}/contact").json()
    assert masked["phone"] == "139****5678" and masked["masked"]
    clear = w.get(tech, f"/api/v1/repairs/{req['id']}/contact", params={"reveal": "true"}).json()
    assert clear["phone"] == CUSTOMER_PHONE
    assert w.get("tech_safe", f"/api/v1/repairs/{req['id']}/contact").status_code == 404


def test_availability_toggle_takes_a_technician_out_of_dispatch(repair_world: RepairWorld) -> None:
    w = repair_world
    near = w.ids["tech_near_tech"]
    url = f"/api/v1/technicians/{near}/availability"
    r = w.client.put(url, headers=w.h("tech_near"), params={"available": "false"})
    assert r.status_code == 200 and r.json()["available"] is False
    other = w.client.put(url, headers=w.h("tech_far"), params={"available": "true"})
    assert other.status_code == 404
    req = w.intake().json()
    assert req["technician_id"] == w.ids["tech_far_tech"]


def test_a_declined_job_is_not_offered_back_to_the_decliner(repair_world: RepairWorld) -> None:
    w = repair_world
    far = w.ids["tech_far_tech"]
    url = f"/api/v1/technicians/{far}/availability"
    w.client.put(url, headers=w.h("tech_far"), params={"available": "false"})
    req = w.intake().json()
    assert req["technician_id"] == w.ids["tech_near_tech"]
    r = w.post("tech_near", f"/api/v1/repairs/{req['id']}/steps", json={"action": "decline", "reason": "远"})
    assert r.status_code == 200, r.text
    # Nobody else available covers it: the uncovered queue (the supervisor is alerted), not the decliner.
    assert r.json()["state"] == "uncovered" and r.json()["technician_id"] is None
    w.tick(timedelta(minutes=5))
    again = w.get("agent", f"/api/v1/repairs/{req['id']}").json()
    assert again["technician_id"] is None  # only the decliner covers it: it waits for someone else
    w.client.put(url, headers=w.h("tech_far"), params={"available": "true"})
    w.tick(timedelta(minutes=5))
    assert w.get("agent", f"/api/v1/repairs/{req['id']}").json()["technician_id"] == far
