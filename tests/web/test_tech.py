"""Technician pages: my jobs; the job page offers only the next legal steps (and refuses others if posted);
accept, en route, on site and completion with parts, fee and a photo; contact masked until revealed (audited);
another technician's job is a 404."""

from __future__ import annotations

import re

from shouhou.accounts.roles import SYSTEM
from shouhou.repairs import service
from tests.api.conftest import honest_rgb, jpeg
from tests.repairs.conftest import CUSTOMER_PHONE
from tests.web.conftest import Browser, WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash
IDS = ("accept-btn", "enroute-btn", "onsite-btn", "complete-form", "complete-submit", "resume-btn")


def _dispatched(web: WebWorld) -> str:
    r = web.repairs.intake()
    assert r.status_code == 201 and r.json()["technician_id"] == web.api.ids["tech_near_tech"], r.text
    return str(r.json()["id"])


def _state(web: WebWorld, rid: str) -> str:
    return service.get(web.rt, actor=SYSTEM, request_id=rid)[0].state


def _offered(html: str) -> set[str]:
    return {i for i in IDS if f'id="{i}"' in html}


def _step(b: Browser, rid: str, action: str, **extra: str) -> object:
    return b.submit(f"/tech/jobs/{rid}/step", {"action": action, **extra}, page=f"/tech/jobs/{rid}")


def test_my_jobs_lists_the_job_masked_with_its_timer(web: WebWorld) -> None:
    rid = _dispatched(web)
    b = web.browser("tech_near")
    r = b.get("/tech")
    assert r.status_code == 200 and 'class="phone"' in r.text
    assert f'href="/tech/jobs/{rid}"' in r.text and "洗衣机" in r.text and "海尔 Haier" in r.text
    assert "广信区" in r.text and 'class="timer' in r.text
    assert not FULL_PHONE.search(r.text) and "兴园路" not in r.text
    assert rid not in web.browser("tech_far").get("/tech").text


def test_the_whole_visit_through_the_pages(web: WebWorld) -> None:
    rid = _dispatched(web)
    b = web.browser("tech_near")
    page = b.get(f"/tech/jobs/{rid}")
    assert page.status_code == 200 and _offered(page.text) == {"accept-btn"}
    assert "decline-btn" in page.text
    r = _step(b, rid, "accept")
    assert _state(web, rid) == "accepted" and _offered(r.text) == {"enroute-btn"}
    assert service.get(web.rt, actor=SYSTEM, request_id=rid)[0].first_response_at is not None
    r = _step(b, rid, "en_route")
    assert _state(web, rid) == "en_route" and _offered(r.text) == {"onsite-btn"}
    r = _step(b, rid, "on_site")
    assert _state(web, rid) == "on_site" and _offered(r.text) == {"complete-form", "complete-submit"}
    photo = jpeg(honest_rgb(), quality=88)
    r = b.submit(
        f"/tech/jobs/{rid}/complete",
        {
            "notes": "更换排水泵",
            "fee": "50",
            "part_name": ["排水泵", ""],
            "part_qty": ["1", "1"],
            "part_price": ["88.50", ""],
        },
        files=[("after", ("after.jpg", photo, "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    assert _state(web, rid) == "completed"
    with web.rt.uow(write=False) as uow:
        [visit] = uow.repairs.visits(request_id=rid)
    assert visit.fee_fen == 5000 and visit.notes == "更换排水泵"
    assert visit.parts == [{"name": "排水泵", "quantity": 1, "price_fen": 8850}]
    assert len(visit.after_photos) == 1 and visit.before_photos == []
    assert _offered(r.text) == set() and "¥88.50" in r.text
    sms = [m for m in web.repairs.notifier.sent if m.template == "repair.rate_visit"]
    assert sms and sms[-1].params["token_url"] == f"/feedback/{sms[-1].params['token']}"


def test_illegal_steps_are_not_offered_and_refused_when_posted(web: WebWorld) -> None:
    rid = _dispatched(web)
    b = web.browser("tech_near")
    for action in ("on_site", "en_route", "resume", "wait"):
        r = _step(b, rid, action, reason="parts")
        assert r.status_code == 200 and 'class="flash error"' in r.text, action
        assert _state(web, rid) == "dispatched"
    r = b.submit(f"/tech/jobs/{rid}/complete", {"fee": "0"}, page=f"/tech/jobs/{rid}")
    assert 'class="flash error"' in r.text and _state(web, rid) == "dispatched"
    _step(b, rid, "accept")
    r = _step(b, rid, "wait")  # no reason chosen
    assert 'class="flash error"' in r.text and _state(web, rid) == "accepted"
    r = _step(b, rid, "wait", reason="parts")
    assert _state(web, rid) == "waiting" and _offered(r.text) == {"resume-btn"}
    r = _step(b, rid, "resume")
    assert _state(web, rid) == "accepted"
    r = b.submit(f"/tech/jobs/{rid}/complete", {"fee": "abc"}, page=f"/tech/jobs/{rid}")
    assert 'class="flash error"' in r.text and _state(web, rid) == "accepted"


def test_decline_needs_a_reason_and_hands_the_job_on(web: WebWorld) -> None:
    rid = _dispatched(web)
    b = web.browser("tech_near")
    r = _step(b, rid, "decline")
    assert 'class="flash error"' in r.text and _state(web, rid) == "dispatched"
    r = _step(b, rid, "decline", reason="太远")
    assert r.url.path == "/tech"
    req = service.get(web.rt, actor=SYSTEM, request_id=rid)[0]
    assert req.technician_id == web.api.ids["tech_far_tech"]
    assert b.get(f"/tech/jobs/{rid}").status_code == 404


def test_another_technician_gets_404_on_the_job(web: WebWorld) -> None:
    rid = _dispatched(web)
    other = web.browser("tech_safe")
    assert other.get(f"/tech/jobs/{rid}").status_code == 404
    other.get("/tech")
    r = other.submit(f"/tech/jobs/{rid}/step", {"action": "accept"}, follow=False)
    assert r.status_code == 404
    r = other.submit(f"/tech/jobs/{rid}/contact", follow=False)
    assert r.status_code == 404 and not FULL_PHONE.search(r.text)
    assert _state(web, rid) == "dispatched"
    assert web.browser("agent").get(f"/tech/jobs/{rid}").status_code == 403


def test_contact_is_masked_until_revealed_and_the_reveal_is_audited(web: WebWorld) -> None:
    rid = _dispatched(web)
    b = web.browser("tech_near")
    page = b.get(f"/tech/jobs/{rid}")
    assert "139****5678" in page.text and not FULL_PHONE.search(page.text) and 'id="contact-btn"' in page.text
    r = b.submit(f"/tech/jobs/{rid}/contact")
    assert r.status_code == 200 and f'href="tel:{CUSTOMER_PHONE}"' in r.text and "兴园路" in r.text
    with web.rt.uow(write=False) as uow:
        reads = [e for e in uow.audit.iter_entries() if e.action == "pii.read"]
    assert reads and reads[-1].detail == {"repair": rid}
    assert not FULL_PHONE.search(b.get(f"/tech/jobs/{rid}").text)  # shown once, not kept
