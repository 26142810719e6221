"""Corrections to shops, SKUs and orders through the HTTP API: the change reads back and is audited; every
refusal is a precise problem (403 wrong role, 404 unknown or another shop's, 409 still used, 422 bad value)
and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from shouhou.storage import tables as t
from tests.api.conftest import World, forged_rgb, jpeg, listing_rgb


def patch(w: World, who: str, url: str, body: dict[str, Any]) -> Any:
    return w.client.patch(f"/api/v1{url}", headers=w.h(who), json=body)


def delete(w: World, who: str, url: str) -> Any:
    return w.client.delete(f"/api/v1{url}", headers=w.h(who))


def problem(r: Any, status: int, slug: str) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith(f"/{slug}") and body["status"] == status
    return str(body["detail"])


def audited(w: World, action: str, subject: str) -> list[t.AuditEntry]:
    with w.rt.uow(write=False) as uow:
        rows, _ = uow.audit.newest(action=action, subject=subject, offset=0, limit=20)
        return list(rows)


def audit_count(w: World) -> int:
    with w.rt.uow(write=False) as uow:
        return uow.audit.count()


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def new_sku(w: World, code: str = "CASE-2", *, photo: bool = False) -> str:
    r = w.post(
        "merchantA",
        f"/api/v1/shops/{w.ids['shopA']}/skus",
        json={"code": code, "title": "头盔收纳盒", "price_fen": 4900},
    )
    assert r.status_code == 201, r.text
    sku_id = str(r.json()["id"])
    if photo:
        r = w.post(
            "merchantA",
            f"/api/v1/skus/{sku_id}/reference-photos",
            files=[("photos", ("case.jpg", jpeg(listing_rgb()[::2, ::2].copy()), "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
    return sku_id


# ----- shops


def test_an_admin_renames_a_shop_and_the_rename_is_audited(world: World) -> None:
    w = world
    shop = w.ids["shopA"]
    r = patch(w, "admin", f"/shops/{shop}", {"name": "宇航模型旗舰店"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "宇航模型旗舰店"
    assert w.get("merchantA", f"/api/v1/shops/{shop}").json()["name"] == "宇航模型旗舰店"
    [entry] = audited(w, "shop.renamed", shop)
    assert entry.actor == w.ids["admin"]
    assert entry.detail == {"old": {"name": "shopA"}, "new": {"name": "宇航模型旗舰店"}}
    before = audit_count(w)
    assert patch(w, "admin", f"/shops/{shop}", {"name": "宇航模型旗舰店"}).status_code == 200
    assert audit_count(w) == before  # the same name again changes nothing and records nothing


@pytest.mark.parametrize("who", ["merchantA", "merchantB", "buyer1", "rev1"])
def test_only_an_admin_renames_a_shop(world: World, who: str) -> None:
    w = world
    before = audit_count(w)
    detail = problem(patch(w, who, f"/shops/{w.ids['shopA']}", {"name": "偷改"}), 403, "forbidden")
    assert "role may not do this" in detail
    assert w.get("admin", f"/api/v1/shops/{w.ids['shopA']}").json()["name"] == "shopA"
    assert audit_count(w) == before


def test_renaming_refuses_bad_names_and_unknown_shops(world: World) -> None:
    w = world
    url = f"/shops/{w.ids['shopA']}"
    assert "shp_nope" in problem(patch(w, "admin", "/shops/shp_nope", {"name": "x"}), 404, "not-found")
    for body in ({"name": ""}, {"name": "x" * 201}, {}, {"name": None}, {"name": "x", "platform_id": "p"}):
        problem(patch(w, "admin", url, body), 422, "invalid-input")
    assert "blank" in problem(patch(w, "admin", url, {"name": "   "}), 422, "invalid-input")
    assert w.client.patch(f"/api/v1{url}", json={"name": "x"}).status_code == 401
    assert w.get("admin", f"/api/v1{url}").json()["name"] == "shopA"


# ----- SKUs


def test_a_sku_is_readable_by_its_shop_and_admins_only(world: World) -> None:
    w = world
    url = f"/api/v1/skus/{w.ids['sku']}"
    for who in ("admin", "merchantA"):
        r = w.get(who, url)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "id": w.ids["sku"],
            "shop_id": w.ids["shopA"],
            "code": "HELMET-1",
            "title": "宇航员头盔 模型",
            "price_fen": 19900,
        }
    for who in ("merchantB", "buyer1", "rev1"):
        detail = problem(w.get(who, url), 404, "not-found")
        assert w.ids["shopA"] not in detail  # not even which shop it belongs to
    problem(w.get("admin", "/api/v1/skus/sku_nope"), 404, "not-found")


def test_merchant_staff_change_title_and_price_and_the_change_is_audited(world: World) -> None:
    w = world
    sku = w.ids["sku"]
    r = patch(w, "merchantA", f"/skus/{sku}", {"price_fen": 17900})
    assert r.status_code == 200, r.text
    assert (r.json()["price_fen"], r.json()["title"]) == (17900, "宇航员头盔 模型")
    r = patch(w, "admin", f"/skus/{sku}", {"title": "宇航员头盔 1:1 模型", "price_fen": 18900})
    assert r.status_code == 200, r.text
    read = w.get("merchantA", f"/api/v1/skus/{sku}").json()
    assert (read["title"], read["price_fen"], read["code"]) == ("宇航员头盔 1:1 模型", 18900, "HELMET-1")
    # Order lines keep the price they were sold at.
    assert w.get("admin", f"/api/v1/orders/{w.ids['order1']}").json()["items"][0]["price_fen"] == 19900
    newest, first = audited(w, "sku.updated", sku)
    assert first.actor == w.ids["merchantA"]
    assert first.detail == {"code": "HELMET-1", "old": {"price_fen": 19900}, "new": {"price_fen": 17900}}
    assert newest.actor == w.ids["admin"]
    assert newest.detail["old"] == {"title": "宇航员头盔 模型", "price_fen": 17900}
    assert newest.detail["new"] == {"title": "宇航员头盔 1:1 模型", "price_fen": 18900}


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        ("merchantB", 404, "not-found"),
        ("buyer1", 403, "forbidden"),
        ("rev1", 403, "forbidden"),
    ],
)
def test_outsiders_cannot_change_or_delete_a_sku(world: World, who: str, status: int, slug: str) -> None:
    w = world
    unused = new_sku(w)
    before = audit_count(w)
    problem(patch(w, who, f"/skus/{w.ids['sku']}", {"price_fen": 1}), status, slug)
    problem(delete(w, who, f"/skus/{unused}"), status, slug)
    assert w.get("admin", f"/api/v1/skus/{w.ids['sku']}").json()["price_fen"] == 19900
    assert w.get("admin", f"/api/v1/skus/{unused}").status_code == 200
    assert audit_count(w) == before


def test_sku_changes_are_validated_like_creation(world: World) -> None:
    w = world
    url = f"/skus/{w.ids['sku']}"
    for body in (
        {"price_fen": -1},
        {"price_fen": "cheap"},
        {"title": ""},
        {"title": "x" * 301},
        {"title": None},
        {"code": "HELMET-2"},  # the code is the SKU's identity: not changeable
    ):
        problem(patch(w, "merchantA", url, body), 422, "invalid-input")
    assert "nothing to change" in problem(patch(w, "merchantA", url, {}), 422, "invalid-input")
    assert "blank" in problem(patch(w, "merchantA", url, {"title": "  "}), 422, "invalid-input")
    assert "may be left out but not set to null" in problem(
        patch(w, "merchantA", url, {"price_fen": None}), 422, "invalid-input"
    )
    problem(patch(w, "admin", "/skus/sku_nope", {"price_fen": 1}), 404, "not-found")
    read = w.get("admin", f"/api/v1{url}").json()
    assert (read["title"], read["price_fen"], read["code"]) == ("宇航员头盔 模型", 19900, "HELMET-1")
    assert audited(w, "sku.updated", w.ids["sku"]) == []


def test_a_sku_on_order_lines_cannot_be_deleted(world: World) -> None:
    w = world
    before = audit_count(w)
    detail = problem(delete(w, "merchantA", f"/skus/{w.ids['sku']}"), 409, "conflict")
    assert detail == f"SKU 'HELMET-1' ({w.ids['sku']}) is on 3 order lines of 3 orders; it cannot be deleted"
    assert w.get("merchantA", f"/api/v1/skus/{w.ids['sku']}").status_code == 200
    with w.rt.uow(write=False) as uow:
        assert len(uow.references.for_sku(sku_id=w.ids["sku"])) == 1
    assert audit_count(w) == before


def test_an_unused_sku_is_deleted_with_its_listing_photo_rows_but_not_the_files(world: World) -> None:
    w = world
    sku = new_sku(w, photo=True)
    with w.rt.uow(write=False) as uow:
        [ref] = uow.references.for_sku(sku_id=sku)
    r = delete(w, "merchantA", f"/skus/{sku}")
    assert r.status_code == 204 and r.content == b""
    problem(w.get("merchantA", f"/api/v1/skus/{sku}"), 404, "not-found")
    problem(delete(w, "merchantA", f"/skus/{sku}"), 404, "not-found")  # gone: a second delete finds nothing
    with w.rt.uow(write=False) as uow:
        assert uow.references.get(id=ref.id) is None
        assert uow.blobs.get(id=ref.blob_sha256) is not None
    assert w.rt.blobs.exists(ref.blob_sha256)
    [entry] = audited(w, "sku.deleted", sku)
    assert entry.actor == w.ids["merchantA"]
    assert entry.detail == {
        "shop_id": w.ids["shopA"],
        "code": "CASE-2",
        "title": "头盔收纳盒",
        "price_fen": 4900,
        "reference_photos": [{"id": ref.id, "blob_sha256": ref.blob_sha256}],
    }
    # The code is free again in the shop.
    assert new_sku(w) != sku


def test_a_sku_becomes_deletable_once_its_orders_are_gone(world: World) -> None:
    w = world
    for order in ("order1", "order2", "order3"):
        assert delete(w, "admin", f"/orders/{w.ids[order]}").status_code == 204
    assert delete(w, "admin", f"/skus/{w.ids['sku']}").status_code == 204
    assert len(audited(w, "sku.deleted", w.ids["sku"])) == 1


def test_a_listing_photo_a_screening_matched_keeps_its_sku(world: World) -> None:
    """A screening names the reference it found the claim photo derived from; losing that reference would
    leave the verdict unexplainable, so the SKU stays even when (older data) no order line names it."""
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    with w.rt.uow(write=False) as uow:
        [ref] = uow.references.for_sku(sku_id=w.ids["sku"])
        [matched] = uow.screenings.matching_references(reference_ids=[ref.id])
        assert matched.claim_id == cid
    with w.rt.uow(write=True) as uow:  # lines written before the line check existed, removed by hand
        for order in ("order1", "order2", "order3"):
            uow.orders.delete_items(order_id=w.ids[order])
        uow.commit()
    detail = problem(delete(w, "admin", f"/skus/{w.ids['sku']}"), 409, "conflict")
    assert detail == (
        f"SKU 'HELMET-1' ({w.ids['sku']}) has reference photos that screenings of claim {cid} matched;"
        " it cannot be deleted"
    )
    assert w.get("admin", f"/api/v1/skus/{w.ids['sku']}").status_code == 200


# ----- orders


def test_merchant_staff_correct_the_delivery_time_and_the_change_is_audited(world: World) -> None:
    w = world
    order = w.ids["order2"]
    r = patch(w, "merchantA", f"/orders/{order}", {"delivered_at": "2026-11-01T09:30:00+08:00"})
    assert r.status_code == 200, r.text
    read = w.get("admin", f"/api/v1/orders/{order}").json()
    assert when(read["delivered_at"]) == when("2026-11-01T01:30:00+00:00")
    assert when(read["placed_at"]) == when("2026-10-28T00:00:00+00:00")
    assert len(read["items"]) == 1
    [entry] = audited(w, "order.updated", order)
    assert entry.actor == w.ids["merchantA"]
    assert entry.detail == {
        "old": {"delivered_at": "2026-11-01T07:00:00+00:00"},
        "new": {"delivered_at": "2026-11-01T01:30:00+00:00"},
        "open_claims": [],
    }
    r = patch(
        w,
        "admin",
        f"/orders/{order}",
        {"placed_at": "2026-10-27T20:00:00+08:00", "delivered_at": "2026-11-02T10:00:00Z"},
    )
    assert r.status_code == 200, r.text
    assert when(r.json()["placed_at"]) == when("2026-10-27T12:00:00+00:00")
    assert when(r.json()["delivered_at"]) == when("2026-11-02T10:00:00+00:00")
    newest = audited(w, "order.updated", order)[0]
    assert newest.detail["old"] == {
        "placed_at": "2026-10-28T00:00:00+00:00",
        "delivered_at": "2026-11-01T01:30:00+00:00",
    }


def test_a_correction_of_an_order_with_an_open_claim_is_allowed_and_says_so(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    state = w.claim("admin", cid)["state"]
    assert state == "awaiting_merchant"
    with w.rt.uow(write=False) as uow:
        screenings = len(uow.screenings.current_for_claim(claim_id=cid))
    r = patch(w, "merchantA", f"/orders/{w.ids['order1']}", {"delivered_at": "2026-11-01T18:00:00+08:00"})
    assert r.status_code == 200, r.text
    [entry] = audited(w, "order.updated", w.ids["order1"])
    assert entry.detail["open_claims"] == [cid]
    assert "their screenings were not run again" in entry.detail["note"]
    assert w.run_jobs() == 0  # nothing was queued: no re-screening
    assert w.claim("admin", cid)["state"] == state
    with w.rt.uow(write=False) as uow:
        assert len(uow.screenings.current_for_claim(claim_id=cid)) == screenings


def test_order_corrections_are_validated(world: World) -> None:
    w = world
    url = f"/orders/{w.ids['order1']}"  # placed 2026-10-28T08:00+08:00, delivered 2026-11-01T15:00+08:00
    detail = problem(
        patch(w, "merchantA", url, {"delivered_at": "2026-10-27T08:00:00+08:00"}), 422, "invalid-input"
    )
    assert detail == (
        "delivered_at (2026-10-27T00:00:00+00:00) would be before placed_at (2026-10-28T00:00:00+00:00)"
    )
    detail = problem(
        patch(w, "merchantA", url, {"placed_at": "2026-11-02T08:00:00+08:00"}), 422, "invalid-input"
    )
    assert "would be before placed_at (2026-11-02T00:00:00+00:00)" in detail
    detail = problem(
        patch(w, "merchantA", url, {"delivered_at": "2026-11-01T15:00:00"}), 422, "invalid-input"
    )
    assert "timezone" in detail
    assert "nothing to change" in problem(patch(w, "merchantA", url, {}), 422, "invalid-input")
    for body in (
        {"delivered_at": None},
        {"delivered_at": "yesterday"},
        {"shop_id": w.ids["shopB"]},
        {"buyer_id": w.ids["buyer_of_order2"]},
    ):
        problem(patch(w, "merchantA", url, body), 422, "invalid-input")
    read = w.get("admin", f"/api/v1{url}").json()
    assert when(read["delivered_at"]) == when("2026-11-01T15:00:00+08:00")
    assert read["shop_id"] == w.ids["shopA"]
    assert audited(w, "order.updated", w.ids["order1"]) == []


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        ("merchantB", 404, "not-found"),
        ("buyer1", 403, "forbidden"),  # the order's own buyer: orders come from the shop's platform
        ("rev1", 403, "forbidden"),
    ],
)
def test_outsiders_cannot_change_or_delete_an_order(world: World, who: str, status: int, slug: str) -> None:
    w = world
    url = f"/orders/{w.ids['order1']}"
    before = audit_count(w)
    problem(patch(w, who, url, {"delivered_at": "2026-11-01T18:00:00+08:00"}), status, slug)
    problem(delete(w, who, url), status, slug)
    read = w.get("admin", f"/api/v1{url}").json()
    assert when(read["delivered_at"]) == when("2026-11-01T15:00:00+08:00")
    assert audit_count(w) == before


def test_unknown_orders_are_404(world: World) -> None:
    w = world
    problem(
        patch(w, "admin", "/orders/ord_nope", {"delivered_at": "2026-11-01T18:00:00+08:00"}), 404, "not-found"
    )
    problem(delete(w, "admin", "/orders/ord_nope"), 404, "not-found")


def test_an_order_with_a_claim_cannot_be_deleted(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.post("buyer1", f"/api/v1/claims/{cid}/withdraw", json={"reason": "撤回"})
    assert w.claim("admin", cid)["state"] == "withdrawn"  # even a finished claim keeps its order
    before = audit_count(w)
    detail = problem(delete(w, "merchantA", f"/orders/{w.ids['order1']}"), 409, "conflict")
    assert detail == f"order 'TB-order1' ({w.ids['order1']}) has 1 claim ({cid}); it cannot be deleted"
    assert w.get("merchantA", f"/api/v1/orders/{w.ids['order1']}").status_code == 200
    assert audit_count(w) == before


def test_an_order_without_claims_is_deleted_with_its_lines_and_packing_rows_and_the_buyer_stays(
    world: World,
) -> None:
    w = world
    order = w.ids["order2"]
    r = w.post(
        "merchantA",
        f"/api/v1/orders/{order}/reference-photos",
        files=[("photos", ("packing.jpg", jpeg(listing_rgb()), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    ref = r.json()[0]
    r = delete(w, "merchantA", f"/orders/{order}")
    assert r.status_code == 204 and r.content == b""
    for who in ("admin", "merchantA", "buyer2"):
        problem(w.get(who, f"/api/v1/orders/{order}"), 404, "not-found")
    with w.rt.uow(write=False) as uow:
        assert uow.orders.items(order_id=order) == []
        assert uow.references.get(id=ref["id"]) is None
        assert uow.buyers.get(id=w.ids["buyer_of_order2"]) is not None
    assert w.rt.blobs.exists(ref["blob_sha256"])
    assert w.get("buyer2", "/api/v1/users/me").status_code == 200
    [entry] = audited(w, "order.deleted", order)
    assert entry.actor == w.ids["merchantA"]
    assert entry.detail == {
        "shop_id": w.ids["shopA"],
        "buyer_id": w.ids["buyer_of_order2"],
        "platform_order_id": "TB-order2",
        "placed_at": "2026-10-28T00:00:00+00:00",
        "delivered_at": "2026-11-01T07:00:00+00:00",
        "items": [{"sku_id": w.ids["sku"], "quantity": 1, "price_fen": 19900}],
        "reference_photos": [{"id": ref["id"], "blob_sha256": ref["blob_sha256"]}],
    }
    # The platform's order id is free again: the order can be entered anew.
    r = w.post(
        "merchantA",
        "/api/v1/orders",
        json={
            "shop_id": w.ids["shopA"],
            "platform_order_id": "TB-order2",
            "buyer": {"platform_buyer_id": "tb-buyer-2", "name": "李四", "phone": "13900001111"},
            "items": [{"sku_id": w.ids["sku"], "price_fen": 19900}],
            "placed_at": "2026-10-28T08:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["buyer_id"] == w.ids["buyer_of_order2"]


def test_an_order_needs_times_with_a_zone_when_created_too(world: World) -> None:
    w = world
    body = {
        "shop_id": w.ids["shopA"],
        "platform_order_id": "TB-naive",
        "buyer": {"platform_buyer_id": "tb-buyer-9", "name": "赵六", "phone": "13700000000"},
        "items": [{"sku_id": w.ids["sku"], "price_fen": 19900}],
        "placed_at": "2026-10-28T08:00:00",
    }
    assert "timezone" in problem(w.post("merchantA", "/api/v1/orders", json=body), 422, "invalid-input")
    body["placed_at"] = "2026-10-28T08:00:00+08:00"
    body["delivered_at"] = "2026-11-01T15:00:00"
    assert "timezone" in problem(w.post("merchantA", "/api/v1/orders", json=body), 422, "invalid-input")
