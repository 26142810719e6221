"""Across claims: a photo already used in another buyer's claim is flagged; one person's record spans
shops and platforms through the keyed hash of their phone number."""

from __future__ import annotations

from shouhou.accounts.roles import Role
from tests.api.conftest import BUYER_PHONE, World, honest_rgb, jpeg


def test_a_photo_from_another_buyers_claim_is_flagged_as_reuse(world: World) -> None:
    w = world
    photo = jpeg(honest_rgb())
    first = w.file_claim("buyer2", "order2", photo).json()["id"]
    w.run_jobs()
    first_reuse = {
        s["signal"]: s
        for s in w.get("buyer2", f"/api/v1/claims/{first}/screening").json()["photos"][0]["signals"]
    }["reuse"]
    assert not first_reuse["flagged"]
    second = w.file_claim("buyer1", "order1", jpeg(honest_rgb(), quality=75)).json()["id"]  # re-saved copy
    w.run_jobs()
    photo2 = w.get("buyer1", f"/api/v1/claims/{second}/screening").json()["photos"][0]
    reuse = {s["signal"]: s for s in photo2["signals"]}["reuse"]
    assert reuse["flagged"], reuse
    assert w.claim("buyer1", second)["risk"] in ("medium", "high")


def test_credit_record_follows_the_person_across_shops_and_platforms(world: World) -> None:
    w = world
    plat2 = w.post("admin", "/api/v1/platforms", json={"name": "京东 demo"}).json()["id"]
    shop = w.post("admin", "/api/v1/shops", json={"platform_id": plat2, "name": "shopC"}).json()["id"]
    sku = w.post(
        "admin", f"/api/v1/shops/{shop}/skus", json={"code": "C1", "title": "杯子", "price_fen": 5000}
    ).json()
    r = w.post(
        "admin",
        "/api/v1/orders",
        json={
            "shop_id": shop,
            "platform_order_id": "JD-1",
            "placed_at": "2026-10-28T08:00:00+08:00",
            "buyer": {"platform_buyer_id": "jd-77", "name": "王小明", "phone": f"+86 {BUYER_PHONE}"},
            "items": [{"sku_id": sku["id"], "price_fen": 5000}],
        },
    )
    assert r.status_code == 201, r.text
    other_account = r.json()["buyer_id"]
    assert other_account != w.ids["buyer_of_order1"]  # another platform's account …
    w.user("buyer1_jd", Role.BUYER, buyer_id=other_account)
    w.ids["order_jd"] = r.json()["id"]
    cid = w.file_claim("buyer1_jd", "order_jd", jpeg(honest_rgb()), amount=5000).json()["id"]
    w.run_jobs()
    w.post(
        "merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "accept"}
    )  # not their shop
    assert w.claim("admin", cid)["state"] == "awaiting_merchant"
    w.user("merchantC", Role.MERCHANT, shop_id=shop)
    r = w.post("merchantC", f"/api/v1/claims/{cid}/merchant-response", data={"action": "accept"})
    assert r.json()["state"] == "decided", r.text
    # … but the same person: the record seen from the first account includes the other platform's refund.
    rec = w.get("buyer1", f"/api/v1/buyers/{w.ids['buyer_of_order1']}/credit").json()
    assert rec["refunds"] == 1 and rec["platforms"] == 1 and rec["lines"][0]["claim_id"] == cid
    assert rec["claims"] == 1
