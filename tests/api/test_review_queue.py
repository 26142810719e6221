"""Reviewer assignment and the review SLA: on-shift reviewers by open load, escalation when the SLA passes,
claims waiting for a reviewer when nobody is on shift."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import World, forged_rgb, jpeg


def _disputed(w: World, order: str = "order1") -> str:
    cid = w.file_claim("buyer1", order, jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    r = w.post(
        "merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "dispute", "note": "假图"}
    )
    assert r.status_code == 200, r.text
    return cid


def test_reviews_spread_over_reviewers_on_shift_by_open_load(world: World) -> None:
    w = world
    owners = [
        w.claim("admin", _disputed(w, o))["reviews"][-1]["reviewer_id"]
        for o in ("order1", "order3", "order1")
    ]
    assert owners[0] != owners[1]  # the second goes to the reviewer with no open review
    assert set(owners) == {w.ids["rev1"], w.ids["rev2"]}
    assert w.ids["rev_off"] not in owners


def test_review_sla_breach_escalates_to_another_reviewer(world: World) -> None:
    w = world
    cid = _disputed(w)
    first = w.claim("admin", cid)["reviews"][-1]["reviewer_id"]
    assert w.tick(timedelta(hours=23)) == 0
    assert w.tick(timedelta(hours=1, seconds=1)) >= 1
    c = w.claim("admin", cid)
    assert c["sla_breached"] and c["state"] == "in_review"
    assert c["reviews"][0]["breached"] and c["reviews"][0]["completed_at"] is not None
    assert c["reviews"][-1]["reviewer_id"] != first and c["reviews"][-1]["completed_at"] is None
    assert c["timer"]["kind"] == "review_sla" and c["timer"]["seconds_left"] == 24 * 3600
    with w.rt.uow(write=False) as uow:
        actions = [e.action for e in uow.audit.iter_entries() if e.subject_id == cid]
    assert "review.sla_breached" in actions
    # The first reviewer no longer holds the claim, but keeps read access to what they worked on.
    who = "rev1" if first == w.ids["rev1"] else "rev2"
    r = w.post(who, f"/api/v1/claims/{cid}/decision", json={"outcome": "rejected", "reason": "x"})
    assert r.status_code == 403


def test_claims_wait_for_a_reviewer_when_nobody_is_on_shift(world: World) -> None:
    w = world
    for rev in ("rev1", "rev2"):
        r = w.client.put(f"/api/v1/users/{w.ids[rev]}/shift", headers=w.h(rev), json={"on_shift": False})
        assert r.status_code == 200, r.text
    cid = _disputed(w)
    c = w.claim("admin", cid)
    assert c["state"] == "in_review" and c["reviews"] == []
    assert w.get("rev1", f"/api/v1/claims/{cid}").status_code == 404
    r = w.client.put(f"/api/v1/users/{w.ids['rev_off']}/shift", headers=w.h("admin"), json={"on_shift": True})
    assert r.status_code == 200
    w.tick()
    c = w.claim("rev_off", cid)
    assert c["reviews"][-1]["reviewer_id"] == w.ids["rev_off"]
    # A reviewer may not put a colleague on shift.
    r = w.client.put(f"/api/v1/users/{w.ids['rev1']}/shift", headers=w.h("rev2"), json={"on_shift": True})
    assert r.status_code == 403
