"""Object-level permissions on every claim endpoint: anyone but the owner, the shop, the assigned reviewer or
an admin gets a 404 (never a hint that the claim exists); no token is a 401; a wrong role is a 403 or 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World, forged_rgb, jpeg

READS = ["", "/screening", "/contact"]


def _claim_in_review(w: World) -> tuple[str, str, str]:
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    w.post("merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "dispute", "note": "假图"})
    c = w.claim("admin", cid)
    rev = "rev1" if c["reviews"][-1]["reviewer_id"] == w.ids["rev1"] else "rev2"
    return cid, rev, ("rev2" if rev == "rev1" else "rev1")


def test_every_claim_endpoint_hides_the_claim_from_outsiders(world: World) -> None:
    w = world
    cid, rev, other_rev = _claim_in_review(w)
    evidence_id = w.claim("buyer1", cid)["evidence"][0]["id"]
    outsiders = ["buyer2", "merchantB", other_rev, "rev_off"]
    insiders = ["buyer1", "merchantA", rev, "admin"]
    gets = [f"/api/v1/claims/{cid}{s}" for s in READS] + [f"/api/v1/claims/{cid}/evidence/{evidence_id}/file"]
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/claims/{cid}/decision", {"json": {"outcome": "rejected", "reason": "x"}}),
        (f"/api/v1/claims/{cid}/evidence-request", {"json": {"message": "x"}}),
        (f"/api/v1/claims/{cid}/appeal", {"json": {"reason": "x"}}),
        (f"/api/v1/claims/{cid}/withdraw", {"json": {"reason": "x"}}),
        (f"/api/v1/claims/{cid}/merchant-response", {"data": {"action": "accept"}}),
        (
            f"/api/v1/claims/{cid}/evidence",
            {"files": [("photos", ("a.jpg", jpeg(forged_rgb()), "image/jpeg"))]},
        ),
    ]
    for who in outsiders:
        for url in gets:
            assert w.get(who, url).status_code == 404, (who, url)
        for url, kw in posts:
            r = w.post(who, url, **kw)
            assert r.status_code in (403, 404), (who, url, r.status_code)
            if who.startswith("buyer") or who.startswith("merchant"):
                assert r.status_code == 404 or "role" in r.json()["detail"], (who, url, r.text)
        assert cid not in {c["id"] for c in w.get(who, "/api/v1/claims").json()["items"]}
    for who in insiders:
        for url in gets:
            assert w.get(who, url).status_code == 200, (who, url)
        assert cid in {c["id"] for c in w.get(who, "/api/v1/claims").json()["items"]}
    assert w.claim("admin", cid)["state"] == "in_review"  # none of the refused posts changed anything


def test_no_token_or_a_bad_token_is_401_problem(world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer shh_nope"}, {"Authorization": "Basic abc"}):
        r = world.client.get("/api/v1/claims", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["type"].endswith("unauthenticated")


def test_credit_record_visible_to_the_buyer_and_reviewers_of_their_claims_only(world: World) -> None:
    w = world
    _cid, rev, other_rev = _claim_in_review(w)
    url = f"/api/v1/buyers/{w.ids['buyer_of_order1']}/credit"
    for who in ("buyer1", rev, "admin"):
        assert w.get(who, url).status_code == 200, who
    for who in ("buyer2", "merchantA", "merchantB", other_rev):
        assert w.get(who, url).status_code == 404, who


@pytest.mark.parametrize(("who", "status"), [("buyer1", 403), ("merchantA", 403), ("rev1", 403)])
def test_catalog_writes_need_the_right_role(world: World, who: str, status: int) -> None:
    w = world
    assert w.post(who, "/api/v1/platforms", json={"name": "x"}).status_code == status
    assert w.post(who, "/api/v1/users", json={"username": "x", "role": "admin"}).status_code == status


def test_merchant_sees_only_own_shop_orders_and_skus(world: World) -> None:
    w = world
    assert w.get("merchantA", f"/api/v1/orders/{w.ids['order1']}").status_code == 200
    assert w.get("merchantB", f"/api/v1/orders/{w.ids['order1']}").status_code == 404
    assert w.get("buyer2", f"/api/v1/orders/{w.ids['order1']}").status_code == 404
    r = w.post(
        "merchantB", f"/api/v1/shops/{w.ids['shopA']}/skus", json={"code": "X", "title": "x", "price_fen": 1}
    )
    assert r.status_code == 404
    r = w.client.put(
        f"/api/v1/shops/{w.ids['shopA']}/policy", headers=w.h("merchantB"), json={"fast_track": True}
    )
    assert r.status_code == 404


def test_contact_is_masked_and_reveal_is_audited(world: World) -> None:
    w = world
    cid, rev, _ = _claim_in_review(w)
    masked = w.get("merchantA", f"/api/v1/claims/{cid}/contact").json()
    assert masked == {"name": "王**", "phone": "138****5678", "address": "******", "masked": True}
    assert w.claim("merchantA", cid)["buyer_phone"] == "138****5678"
    assert w.get("merchantA", f"/api/v1/claims/{cid}/contact", params={"reveal": "true"}).status_code == 404
    with w.rt.uow(write=False) as uow:
        before = uow.audit.count()
    clear = w.get(rev, f"/api/v1/claims/{cid}/contact", params={"reveal": "true"}).json()
    assert clear["phone"] == "13812345678" and clear["masked"] is False
    with w.rt.uow(write=False) as uow:
        assert uow.audit.count() == before + 1
        last = uow.audit.get(seq=uow.audit.head()[0])
        assert last is not None and last.action == "pii.read" and last.actor == w.ids[rev]


def test_catalog_endpoints_hide_other_shops(world: World) -> None:
    w = world
    photo = [("photos", ("x.jpg", jpeg(forged_rgb()), "image/jpeg"))]
    assert w.get("merchantB", f"/api/v1/shops/{w.ids['shopA']}").status_code == 404
    assert w.get("buyer1", f"/api/v1/shops/{w.ids['shopA']}").status_code == 404
    assert w.get("merchantA", f"/api/v1/shops/{w.ids['shopA']}").status_code == 200
    hidden = w.post("merchantB", f"/api/v1/skus/{w.ids['sku']}/reference-photos", files=photo)
    assert hidden.status_code == 404
    assert w.ids["shopA"] not in hidden.text  # the answer does not name the other shop
    assert (
        w.post("merchantB", f"/api/v1/orders/{w.ids['order1']}/reference-photos", files=photo).status_code
        == 404
    )
    assert w.post("buyer1", f"/api/v1/skus/{w.ids['sku']}/reference-photos", files=photo).status_code == 403
    assert (
        w.post("merchantA", f"/api/v1/orders/{w.ids['order1']}/reference-photos", files=photo).status_code
        == 201
    )
    assert w.get("rev1", "/api/v1/users").status_code == 403
    assert w.get("rev1", "/api/v1/users/me").json()["username"] == "rev1"
    r = w.post(
        "merchantB",
        "/api/v1/orders",
        json={
            "shop_id": w.ids["shopA"],
            "platform_order_id": "X",
            "placed_at": "2026-10-28T08:00:00+08:00",
            "buyer": {"platform_buyer_id": "b", "name": "n", "phone": "13800000000"},
            "items": [{"sku_id": w.ids["sku"], "price_fen": 1}],
        },
    )
    assert r.status_code == 404
