"""Agent pages: intake through the form (dispatch, SLA promise, duplicate warning, a bad address kept for
correction), address suggestions, and finding a customer by phone without the number in a URL or a page."""

from __future__ import annotations

import re

from shouhou.accounts.roles import SYSTEM
from shouhou.repairs import service
from tests.repairs.conftest import CUSTOMER_ADDRESS, CUSTOMER_PHONE
from tests.web.conftest import WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash
FORM = {
    "customer_name": "赵敏",
    "phone": CUSTOMER_PHONE,
    "address": CUSTOMER_ADDRESS,
    "brand": "海尔 Haier",
    "category": "washing_machine",
    "description": "不脱水，显示 E4",
    "service_type": "repair",
    "channel": "phone",
}


def _request_id(url: str) -> str:
    found = re.search(r"/agent/requests/(rep[^/?]+)", url)
    assert found, url
    return found.group(1)


def test_intake_through_the_form_dispatches_to_the_nearest_technician(web: WebWorld) -> None:
    b = web.browser("agent")
    form = b.get("/agent")
    assert form.status_code == 200
    for name in ("customer_name", "phone", "address", "brand", "category", "fault_code", "description"):
        assert f'name="{name}"' in form.text
    assert 'type="tel"' in form.text and 'id="intake-submit"' in form.text
    r = b.submit("/agent", FORM, follow=False)
    assert r.status_code == 303, r.text
    assert "?" not in r.headers["location"]  # the request's id ends the address
    rid = _request_id(r.headers["location"])
    req, _events = service.get(web.rt, actor=SYSTEM, request_id=rid)
    assert req.state == "dispatched" and req.technician_id == web.api.ids["tech_near_tech"]
    assert req.channel == "phone" and req.adcode == "361104"
    page = b.get(r.headers["location"])
    assert page.status_code == 200
    assert "tech_near" in page.text  # the technician's display name
    assert 'class="timer' in page.text  # the first-response promise counts down
    assert "duplicate-warning" not in page.text and 'class="flash ok"' in page.text
    assert not FULL_PHONE.search(page.text) and "兴园路" not in page.text
    assert "139****5678" in page.text


def test_a_bad_address_comes_back_with_the_typed_values_and_the_error(web: WebWorld) -> None:
    b = web.browser("agent")
    b.get("/agent")
    bad = {**FORM, "address": "火星基地 1 号", "description": "洗衣机漏水了"}
    r = b.submit("/agent", bad)
    assert r.status_code == 422
    assert 'id="intake-error"' in r.text and "火星基地 1 号" in r.text  # the message names the address
    assert 'value="火星基地 1 号"' in r.text and 'value="赵敏"' in r.text and "洗衣机漏水了" in r.text
    assert '<option value="海尔 Haier" selected>' in r.text
    # The number is kept sealed, never shown: the agent corrects the address and sends again.
    assert not FULL_PHONE.search(r.text) and "139****5678" in r.text
    with web.rt.uow(write=False) as uow:
        assert uow.repairs.in_states(states=["received", "dispatched", "uncovered"], limit=10) == []
    sealed = re.search(r'name="phone_sealed" value="([^"]+)"', r.text)
    assert sealed and CUSTOMER_PHONE not in sealed.group(1)
    fixed = {k: v for k, v in bad.items() if k != "phone"} | {
        "address": CUSTOMER_ADDRESS,
        "phone": "",
        "phone_sealed": sealed.group(1),
    }
    r = b.submit("/agent", fixed, follow=False)
    assert r.status_code == 303, r.text
    rid = _request_id(r.headers["location"])
    assert service.contact(web.rt, actor=SYSTEM, request_id=rid, reveal=True)["phone"] == CUSTOMER_PHONE


def test_an_ambiguous_or_vague_address_and_missing_fields_are_refused_with_the_reason(web: WebWorld) -> None:
    b = web.browser("agent")
    b.get("/agent")
    r = b.submit("/agent", {**FORM, "address": "朝阳区"})
    assert r.status_code == 422 and "ambiguous" in r.text
    r = b.submit("/agent", {**FORM, "description": " "})
    assert r.status_code == 422 and 'id="intake-error"' in r.text


def test_a_second_call_about_the_same_appliance_shows_the_duplicate_warning(web: WebWorld) -> None:
    first = web.repairs.intake().json()
    b = web.browser("agent")
    b.get("/agent")
    r = b.submit("/agent", {**FORM, "description": "还是不脱水，催一下"})
    assert r.status_code == 200
    assert "/agent/requests/" + first["id"] in str(r.url) and "outcome=linked" in str(r.url)
    assert 'class="warning"' in r.text and 'id="duplicate-warning"' in r.text
    assert f'href="/agent/requests/{first["id"]}#history"' in r.text
    with web.rt.uow(write=False) as uow:
        assert len(uow.repairs.in_states(states=["dispatched"], limit=10)) == 1


def test_an_emergency_fault_code_takes_the_green_channel(web: WebWorld) -> None:
    b = web.browser("agent")
    b.get("/agent")
    r = b.submit(
        "/agent",
        {
            **FORM,
            "brand": "美的 Midea",
            "category": "safe",
            "fault_code": "LOCKED",
            "address": "广东省东莞市万江街道 金泰路 8 号",
            "description": "保险柜打不开",
        },
        follow=False,
    )
    rid = _request_id(r.headers["location"])
    req, _ = service.get(web.rt, actor=SYSTEM, request_id=rid)
    assert req.priority == "emergency" and req.technician_id == web.api.ids["tech_safe_tech"]
    r = b.submit("/agent", {**FORM, "phone": "13800000009", "emergency": "1"}, follow=False)
    req, _ = service.get(web.rt, actor=SYSTEM, request_id=_request_id(r.headers["location"]))
    assert req.priority == "emergency"


def test_address_suggestions_come_from_the_places_resolver(web: WebWorld) -> None:
    b = web.browser("agent")
    b.get("/agent")
    r = b.client.get("/agent/places", params={"q": "广信"})
    assert r.status_code == 200
    [c] = r.json()["candidates"]
    assert (c["province"], c["city"], c["county"], c["adcode"]) == ("江西省", "上饶市", "广信区", "361104")
    assert c["dispatchable"] is True
    r = b.client.post(
        "/agent/places",
        data={"q": "朝阳区"},
        headers={"x-csrf-token": re.search(r'name="csrf_token" value="([^"]+)"', b.last).group(1)},
    )
    assert r.status_code == 200
    assert {c["adcode"] for c in r.json()["candidates"]} == {"110105", "220104"}
    assert b.client.post("/agent/places", data={"q": "朝阳区"}).status_code == 403  # no CSRF token
    assert (
        b.client.get("/agent/places", params={"q": "上饶"}).json()["candidates"][0]["dispatchable"] is False
    )
    assert b.client.get("/agent/places", params={"q": "火星"}).json() == {"candidates": []}
    # Typing on into the street: the place typed so far is still suggested.
    [c] = b.client.get("/agent/places", params={"q": "顺德凤山中路 8 号"}).json()["candidates"]
    assert c["adcode"] == "440606" and c["county"] == "顺德区"


def test_find_a_customer_by_phone_by_post_without_showing_the_number(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    b = web.browser("agent")
    page = b.get("/agent/find")
    assert 'method="post" action="/agent/find"' in page.text
    r = b.submit("/agent/find", {"phone": "139 1234 5678"})
    assert r.status_code == 200
    assert f'href="/agent/requests/{rid}"' in r.text and "赵*" in r.text and "139****5678" in r.text
    assert not FULL_PHONE.search(r.text)
    assert 'value="139' not in r.text  # the number is not echoed back into the form
    r = b.submit("/agent/find", {"phone": "13800000000"})
    assert r.status_code == 200 and 'id="found-requests"' not in r.text
    # A GET with the number in the URL finds nothing: the search is a POST only.
    r = b.get("/agent/find?phone=" + CUSTOMER_PHONE)
    assert rid not in r.text
    with web.rt.uow(write=False) as uow:
        lookups = [e for e in uow.audit.iter_entries() if e.action == "customer.lookup"]
    assert len(lookups) == 2 and CUSTOMER_PHONE not in str([e.detail for e in lookups])


def test_agent_pages_are_for_staff_only(web: WebWorld) -> None:
    rid = web.repairs.intake().json()["id"]
    for who in ("tech_near", "buyer1"):
        b = web.browser(who)
        assert b.get("/agent").status_code == 403
        assert b.get(f"/agent/requests/{rid}").status_code == 403
        assert b.get("/agent/places?q=广信").status_code == 403
    assert web.browser("super").get(f"/agent/requests/{rid}").status_code == 200
