"""The customer's rating page: opened from the one-time link of the completion SMS, no account; 1–5 stars
and a comment; the same points for any rating; a used or unknown link is refused."""

from __future__ import annotations

import re

import pytest

from shouhou.accounts.roles import SYSTEM
from shouhou.repairs import service
from tests.web.conftest import WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash


@pytest.fixture
def rated_world(web: WebWorld) -> WebWorld:
    """A completed visit whose rating SMS has been sent."""
    w = web.repairs
    rid = w.intake().json()["id"]
    for action in ("accept", "en_route", "on_site"):
        assert w.post("tech_near", f"/api/v1/repairs/{rid}/steps", json={"action": action}).status_code == 200
    assert w.post("tech_near", f"/api/v1/repairs/{rid}/complete", data={"fee_fen": "0"}).status_code == 200
    web.api.ids["repair"] = rid
    return web


def _token(web: WebWorld) -> str:
    sms = [m for m in web.repairs.notifier.sent if m.template == "repair.rate_visit"]
    assert sms and sms[-1].params["request"] == web.api.ids["repair"]
    return sms[-1].params["token"]


def test_the_customer_rates_through_the_link_once(rated_world: WebWorld) -> None:
    web, rid = rated_world, rated_world.api.ids["repair"]
    token = _token(web)
    b = web.browser()  # no account
    page = b.get(f"/feedback/{token}")
    assert page.status_code == 200 and 'class="phone"' in page.text
    for n in range(1, 6):
        assert f'<input type="radio" id="stars-{n}" name="rating" value="{n}"' in page.text
        assert f'<label for="stars-{n}">' in page.text
    assert 'id="feedback-submit"' in page.text and 'name="comment"' in page.text
    assert "tech_near" in page.text and not FULL_PHONE.search(page.text) and "赵" not in page.text
    r = b.submit(f"/feedback/{token}", {"rating": "2", "comment": "来晚了"})
    assert r.status_code == 200 and 'id="feedback-thanks"' in r.text and 'class="flash ok"' in r.text
    assert "10" in r.text  # the points, the same for a low rating
    req = service.get(web.rt, actor=SYSTEM, request_id=rid)[0]
    assert req.state == "rated"
    with web.rt.uow(write=False) as uow:
        fb = uow.repairs.feedback(request_id=rid)
        tech = uow.technicians.get_or_raise(id=web.api.ids["tech_near_tech"])
    assert fb is not None and (fb.rating, fb.comment, fb.points_awarded) == (2, "来晚了", 10)
    assert (tech.rating_sum, tech.rating_count) == (2, 1)
    # The link is used: a second rating is refused and changes nothing.
    again = b.submit(f"/feedback/{token}", {"rating": "5"}, page=f"/feedback/{token}")
    assert 'class="flash error"' in again.text and 'id="feedback-form"' not in again.text
    with web.rt.uow(write=False) as uow:
        assert uow.repairs.feedback(request_id=rid).rating == 2  # type: ignore[union-attr]


def test_the_points_are_the_same_for_a_top_rating(rated_world: WebWorld) -> None:
    web = rated_world
    token = _token(web)
    b = web.browser()
    b.get(f"/feedback/{token}")
    r = b.submit(f"/feedback/{token}", {"rating": "5", "comment": ""})
    with web.rt.uow(write=False) as uow:
        fb = uow.repairs.feedback(request_id=web.api.ids["repair"])
    assert (
        fb is not None and fb.points_awarded == service.FEEDBACK_POINTS and 'id="feedback-thanks"' in r.text
    )


def test_an_unknown_link_is_a_404_and_a_missing_rating_is_asked_for(rated_world: WebWorld) -> None:
    web = rated_world
    b = web.browser()
    assert b.get("/feedback/guess-the-token").status_code == 404
    token = _token(web)
    b.get(f"/feedback/{token}")
    r = b.submit("/feedback/guess-the-token", {"rating": "5"}, follow=False)
    assert r.status_code == 404
    r = b.submit(f"/feedback/{token}", {"rating": "9"})
    assert 'class="flash error"' in r.text and 'id="feedback-form"' in r.text
    assert service.get(web.rt, actor=SYSTEM, request_id=web.api.ids["repair"])[0].state == "completed"
    r = b.client.post(f"/feedback/{token}", data={"rating": "5"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
