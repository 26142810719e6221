"""Buyer pages: orders and the claim form (real JPEGs, idempotent), my claims, one claim with its timeline,
more evidence, withdrawal, appeal, and the credit record; another buyer's claim and order are 404s."""

from __future__ import annotations

import re
from typing import Any

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import service
from tests.api.conftest import BUYER_NAME, BUYER_PHONE, forged_rgb, honest_rgb, jpeg, listing_rgb
from tests.web.conftest import Browser, WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _photo(rgb: Any = None, name: str = "damage.jpg") -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (name, jpeg(forged_rgb() if rgb is None else rgb), "image/jpeg"))]


def _form(b: Browser, order_id: str) -> str:
    r = b.get(f"/buyer/orders/{order_id}/claim")
    assert r.status_code == 200, r.text
    found = KEY.search(r.text)
    assert found
    return found.group(1)


def _file(web: WebWorld, b: Browser, order: str = "order1", **over: Any) -> Any:
    oid = web.api.ids[order]
    key = _form(b, oid)
    data = {
        "kind": "refund_only",
        "amount": "199.00",
        "reason": "收到时外壳裂开 cracked on arrival",
        "idempotency_key": key,
        **over,
    }
    return b.submit(f"/buyer/orders/{oid}/claim", data, files=_photo(), follow=False)


def _claim_id(r: Any) -> str:
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/buyer/claims/clm_"), location
    return str(location.rsplit("/", 1)[-1])


def _state(web: WebWorld, cid: str) -> str:
    return str(service.get_claim(web.rt, actor=SYSTEM, claim_id=cid).claim.state)


def _to_decided(web: WebWorld, cid: str) -> str:
    """Screened, disputed by the merchant, rejected by the assigned reviewer (through the API)."""
    api = web.api
    api.run_jobs()
    r = api.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "发货时完好"},
        files=[("photos", ("packing.jpg", jpeg(listing_rgb(), quality=88), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    reviewer = r.json()["reviews"][-1]["reviewer_id"]
    rev = "rev1" if reviewer == api.ids["rev1"] else "rev2"
    r = api.post(rev, f"/api/v1/claims/{cid}/decision", json={"outcome": "rejected", "reason": "照片系合成"})
    assert r.status_code == 200 and r.json()["state"] == "decided", r.text
    return rev


def test_buyer_files_a_claim_with_a_photo_and_follows_it(web: WebWorld) -> None:
    b = web.browser("buyer1")
    orders = b.get("/buyer/orders")
    assert orders.status_code == 200
    assert f"/buyer/orders/{web.api.ids['order1']}/claim" in orders.text
    assert web.api.ids["order2"] not in orders.text  # buyer2's order is not listed
    form = b.get(f"/buyer/orders/{web.api.ids['order1']}/claim").text
    assert 'capture="environment"' in form and 'accept="image/*"' in form and 'name="photos"' in form
    assert 'value="199.00"' in form  # the order total as the default amount
    assert 'id="claim-submit"' in form and 'enctype="multipart/form-data"' in form
    cid = _claim_id(_file(web, b))
    claim = service.get_claim(web.rt, actor=SYSTEM, claim_id=cid)
    assert claim.claim.amount_fen == 19900 and claim.claim.buyer_id == web.api.ids["buyer_of_order1"]
    assert claim.claim.state == "screening" and len(claim.evidence) == 1
    page = b.get(f"/buyer/claims/{cid}")
    assert page.status_code == 200
    assert f"/media/claims/{cid}/evidence/{claim.evidence[0].id}" in page.text
    assert "已提交申请" in page.text or "申请已提交" in page.text  # the flash, in Chinese by default
    assert "138****5678" in page.text  # their own contact, masked
    listing = b.get("/buyer")
    assert cid in listing.text and "¥199.00" in listing.text and "筛查中" in listing.text
    web.api.run_jobs()
    listing = b.get("/buyer")
    assert "待商家处理" in listing.text and "商家响应截止" in listing.text  # state and the timer's label


def test_a_double_submitted_claim_form_makes_one_claim(web: WebWorld) -> None:
    b = web.browser("buyer1")
    oid = web.api.ids["order1"]
    key = _form(b, oid)
    data = {"kind": "refund_only", "amount": "150", "reason": "坏了 broken", "idempotency_key": key}
    first = _claim_id(b.submit(f"/buyer/orders/{oid}/claim", data, files=_photo(), follow=False))
    second = _claim_id(b.submit(f"/buyer/orders/{oid}/claim", data, files=_photo(), follow=False))
    assert first == second
    rows, total = service.list_claims(web.rt, actor=SYSTEM, state=None, risk=None, offset=0, limit=10)
    assert total == 1 and rows[0].amount_fen == 15000
    # A fresh form has a fresh key: a second, deliberate claim is another claim.
    assert _form(b, oid) != key


def test_bad_amounts_are_refused_and_file_nothing(web: WebWorld) -> None:
    b = web.browser("buyer1")
    for amount, message in (("abc", "金额"), ("0", "金额"), ("1.234", "金额"), ("500", "19900")):
        r = _file(web, b, amount=amount)
        assert r.status_code == 303 and r.headers["location"].endswith("/claim"), amount
        shown = b.get(r.headers["location"]).text
        assert message in shown, (amount, shown[:2000])
    _rows, total = service.list_claims(web.rt, actor=SYSTEM, state=None, risk=None, offset=0, limit=10)
    assert total == 0


def test_one_buyer_cannot_open_anothers_claim_or_order(web: WebWorld) -> None:
    cid = _claim_id(_file(web, web.browser("buyer1")))
    other = web.browser("buyer2")
    r = other.get(f"/buyer/claims/{cid}")
    assert r.status_code == 404 and "clm_" not in r.text.split("<main", 1)[1].split("</h1>", 1)[1]
    assert other.get(f"/buyer/orders/{web.api.ids['order1']}/claim").status_code == 404
    assert cid not in other.get("/buyer").text
    # Nor act on it: withdrawing another's claim is a 404 and changes nothing.
    other.get("/buyer")
    r = other.submit(f"/buyer/claims/{cid}/withdraw", {"withdraw_reason": "x"}, follow=False)
    assert r.status_code == 404 and _state(web, cid) == "screening"
    # A merchant is not a buyer.
    assert web.browser("merchantA").get("/buyer").status_code == 403


def test_a_decided_claim_is_appealed_from_its_page(web: WebWorld) -> None:
    b = web.browser("buyer1")
    cid = _claim_id(_file(web, b))
    page = b.get(f"/buyer/claims/{cid}").text
    assert 'id="appeal-form"' not in page  # not decided yet
    _to_decided(web, cid)
    page = b.get(f"/buyer/claims/{cid}").text
    assert 'id="appeal-form"' in page and 'id="appeal-submit"' in page
    assert "照片系合成" in page and "驳回" in page  # the decision and its reason
    assert "申诉截止" in page  # the appeal window's timer
    assert f"/media/claims/{cid}/responses/" in page  # the merchant's packing photo
    # The reason is required.
    r = b.submit(f"/buyer/claims/{cid}/appeal", {"reason": "  "}, follow=False)
    assert r.status_code == 303 and _state(web, cid) == "decided"
    r = b.submit(f"/buyer/claims/{cid}/appeal", {"reason": "裂纹是真的 the crack is real"})
    assert r.status_code == 200
    view = service.get_claim(web.rt, actor=SYSTEM, claim_id=cid)
    assert view.claim.state == "appealed" and view.appeal is not None and view.appeal.party == "buyer"
    assert 'id="appeal-form"' not in r.text and "裂纹是真的" in r.text
    # Once only: a second try is refused by the service and shown as a message.
    r = b.submit(f"/buyer/claims/{cid}/appeal", {"reason": "again"}, page=f"/buyer/claims/{cid}")
    assert r.status_code == 200 and 'class="flash error"' in r.text


def test_more_evidence_when_asked_then_withdraw(web: WebWorld) -> None:
    b = web.browser("buyer1")
    cid = _claim_id(_file(web, b))
    web.api.run_jobs()
    r = web.api.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "完好"},
    )
    reviewer = r.json()["reviews"][-1]["reviewer_id"]
    rev = "rev1" if reviewer == web.api.ids["rev1"] else "rev2"
    r = web.api.post(rev, f"/api/v1/claims/{cid}/evidence-request", json={"message": "请拍外包装箱"})
    assert r.json()["state"] == "awaiting_buyer", r.text
    page = b.get(f"/buyer/claims/{cid}").text
    assert 'id="evidence-form"' in page and "请拍外包装箱" in page
    r = b.submit(f"/buyer/claims/{cid}/evidence", files=_photo(honest_rgb(), "box.jpg"))
    assert r.status_code == 200 and _state(web, cid) == "screening"
    assert len([e for e in service.get_claim(web.rt, actor=SYSTEM, claim_id=cid).evidence]) == 2
    r = b.submit(f"/buyer/claims/{cid}/withdraw", {"withdraw_reason": "已和商家协商"})
    assert r.status_code == 200 and _state(web, cid) == "withdrawn"
    assert 'id="withdraw-form"' not in r.text


def test_credit_record_with_its_notice_and_reasons(web: WebWorld) -> None:
    b = web.browser("buyer1")
    page = b.get("/buyer/credit").text
    assert "个人信息保护法" in page
    cid = _claim_id(_file(web, b))
    _to_decided(web, cid)
    page = b.get("/buyer/credit").text
    assert cid in page and "照片系合成" in page


def test_no_full_phone_number_or_name_on_any_buyer_page(web: WebWorld) -> None:
    b = web.browser("buyer1")
    cid = _claim_id(_file(web, b))
    _to_decided(web, cid)
    urls = [
        "/buyer",
        "/buyer/orders",
        f"/buyer/orders/{web.api.ids['order1']}/claim",
        f"/buyer/claims/{cid}",
        "/buyer/credit",
    ]
    for url in urls:
        for lang in ("zh_Hans", "en"):
            b.client.cookies.set("shouhou_lang", lang)
            r = b.get(url)
            assert r.status_code == 200, url
            assert not FULL_PHONE.search(r.text), url
            if lang == "en":  # the English switch reaches these pages too
                assert '<html lang="en">' in r.text and "My claims" in r.text, url
            assert BUYER_PHONE not in r.text and BUYER_NAME not in r.text, url


def test_pages_are_for_buyers_only_and_sign_in_first(web: WebWorld) -> None:
    anon = web.browser()
    r = anon.get("/buyer", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert web.browser("rev1").get("/buyer/orders").status_code == 403
