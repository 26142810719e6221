"""Merchant back office: my shop's claims, respond (accept, or dispute with packing photos and/or a video),
contest an automatic approval, SKUs with their listing photos, the fast-track policy; scoping and masking."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import catalog, service
from tests.api.conftest import BUYER_NAME, BUYER_PHONE, forged_rgb, honest_rgb, jpeg, listing_rgb
from tests.web.conftest import Browser, WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash


def _claim(web: WebWorld, rgb: Any = None, *, amount: int = 19900) -> str:
    r = web.api.file_claim("buyer1", "order1", jpeg(forged_rgb() if rgb is None else rgb), amount=amount)
    assert r.status_code == 201, r.text
    web.api.run_jobs()
    return str(r.json()["id"])


def _view(web: WebWorld, cid: str) -> service.ClaimView:
    return service.get_claim(web.rt, actor=SYSTEM, claim_id=cid)


def _packing(name: str = "packing.jpg") -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (name, jpeg(listing_rgb(), quality=88), "image/jpeg"))]


def test_my_shops_claims_needing_a_response_with_risk_and_timer(web: WebWorld) -> None:
    cid = _claim(web)
    m = web.browser("merchantA")
    page = m.get("/merchant").text
    assert f"/merchant/claims/{cid}" in page
    assert "badge risk-" in page and "商家响应截止" in page
    assert f"/merchant/claims/{cid}" not in m.get("/merchant?state=decided").text
    assert f"/merchant/claims/{cid}" in m.get("/merchant?state=all").text
    assert m.get("/merchant?state=nonsense").status_code == 200  # an unknown filter falls back
    assert f"/merchant/claims/{cid}" not in web.browser("merchantB").get("/merchant?state=all").text


def test_merchant_of_another_shop_gets_404(web: WebWorld) -> None:
    cid = _claim(web)
    b = web.browser("merchantB")
    r = b.get(f"/merchant/claims/{cid}")
    assert r.status_code == 404
    assert cid not in r.text.split("<main", 1)[1]
    b.get("/merchant")
    r = b.submit(f"/merchant/claims/{cid}/accept", {"statement": ""}, follow=False)
    assert r.status_code == 404 and _view(web, cid).claim.state == "awaiting_merchant"
    r = b.submit(
        f"/merchant/skus/{web.api.ids['sku']}/photos", files=_packing("x.jpg"), page="/merchant", follow=False
    )
    assert r.status_code == 404
    assert web.browser("buyer1").get(f"/merchant/claims/{cid}").status_code == 403


def test_claim_page_shows_photos_masked_buyer_screening_and_forms(web: WebWorld) -> None:
    cid = _claim(web)
    view = _view(web, cid)
    page = web.browser("merchantA").get(f"/merchant/claims/{cid}").text
    assert f"/media/claims/{cid}/evidence/{view.evidence[0].id}" in page
    assert "138****5678" in page and BUYER_PHONE not in page and BUYER_NAME not in page
    assert not FULL_PHONE.search(page)
    assert "源自商家图片" in page  # the reference signal's finding, in plain words
    for marker in (
        'id="dispute-form"',
        'name="statement"',
        'name="photos"',
        'name="video" type="file" accept="video/*"',
        'id="dispute-submit"',
        'id="accept-submit"',
        'enctype="multipart/form-data"',
    ):
        assert marker in page, marker


def test_merchant_disputes_with_a_packing_photo(web: WebWorld) -> None:
    cid = _claim(web)
    m = web.browser("merchantA")
    m.get(f"/merchant/claims/{cid}")
    # A dispute needs a statement: refused, nothing recorded.
    r = m.submit(f"/merchant/claims/{cid}/dispute", {"statement": " "}, files=_packing(), follow=False)
    assert r.status_code == 303 and _view(web, cid).claim.state == "awaiting_merchant"
    r = m.submit(
        f"/merchant/claims/{cid}/dispute",
        {"statement": "发货前拍照确认完好 packed intact"},
        files=_packing(),
    )
    assert r.status_code == 200, r.text
    view = _view(web, cid)
    assert view.claim.state == "in_review"
    assert [(x.action, x.note) for x in view.responses] == [("dispute", "发货前拍照确认完好 packed intact")]
    packing = [x for x in view.references if x.kind == "packing" and x.claim_id == cid]
    assert len(packing) == 1
    assert f"/media/claims/{cid}/responses/{packing[0].id}" in r.text
    assert 'id="dispute-form"' not in r.text  # answered: no second response
    # Too late now: the service refuses a second answer.
    r = m.submit(f"/merchant/claims/{cid}/accept", {"statement": ""}, page=f"/merchant/claims/{cid}")
    assert 'class="flash error"' in r.text and _view(web, cid).claim.state == "in_review"


def test_merchant_accepts(web: WebWorld) -> None:
    cid = _claim(web)
    m = web.browser("merchantA")
    r = m.submit(f"/merchant/claims/{cid}/accept", {"statement": "抱歉"}, page=f"/merchant/claims/{cid}")
    assert r.status_code == 200
    view = _view(web, cid)
    assert view.claim.state == "decided"
    assert view.decisions[-1].stage == "merchant" and view.decisions[-1].refund_fen == 19900
    assert 'id="accept-submit"' not in r.text and 'id="merchant-appeal-form"' not in r.text


def test_an_automatic_approval_can_be_contested(web: WebWorld) -> None:
    catalog.set_policy(
        web.rt,
        actor=SYSTEM,
        shop_id=web.api.ids["shopA"],
        fast_track=True,
        fast_track_limit_fen=50000,
        response_window_hours=None,
    )
    cid = _claim(web, honest_rgb(), amount=5000)
    view = _view(web, cid)
    assert view.claim.state == "decided" and view.decisions[-1].automated, view.claim.risk
    m = web.browser("merchantA")
    page = m.get(f"/merchant/claims/{cid}").text
    assert 'id="contest-form"' in page
    r = m.submit(f"/merchant/claims/{cid}/contest", {"statement": "买家已签收完好"})
    assert r.status_code == 200 and _view(web, cid).claim.state == "in_review"


def test_skus_with_reference_photos_and_upload(web: WebWorld) -> None:
    m = web.browser("merchantA")
    sku = web.api.ids["sku"]
    page = m.get("/merchant/skus").text
    before = [
        p
        for p in catalog_refs(web, sku)  # the listing photo of the test world
    ]
    assert len(before) == 1 and f"/media/skus/{sku}/photos/{before[0].id}" in page
    assert f'action="/merchant/skus/{sku}/photos"' in page
    r = m.submit(f"/merchant/skus/{sku}/photos", files=_packing("side.jpg"))
    assert r.status_code == 200
    after = catalog_refs(web, sku)
    assert len(after) == 2
    assert all(f"/media/skus/{sku}/photos/{p.id}" in r.text for p in after)
    # Not an image: refused with a message, nothing added.
    r = m.submit(f"/merchant/skus/{sku}/photos", files=[("photos", ("x.jpg", b"not a jpeg", "image/jpeg"))])
    assert 'class="flash error"' in r.text and len(catalog_refs(web, sku)) == 2
    assert "宇航员头盔" not in web.browser("merchantB").get("/merchant/skus").text


def catalog_refs(web: WebWorld, sku: str) -> list[Any]:
    from shouhou.claims import orders

    views = orders.list_shop_skus(web.rt, actor=SYSTEM, shop_id=web.api.ids["shopA"])
    return [p for v in views if v.sku.id == sku for p in v.photos]


def test_fast_track_policy_is_changed_by_the_shop(web: WebWorld) -> None:
    m = web.browser("merchantA")
    page = m.get("/merchant/policy").text
    assert 'id="policy-form"' in page and "shopA" in page
    r = m.submit("/merchant/policy", {"fast_track": "on", "limit": "120.50", "hours": "24"})
    assert r.status_code == 200
    shop = catalog.get_shop(web.rt, actor=SYSTEM, shop_id=web.api.ids["shopA"])
    assert shop.fast_track and shop.fast_track_limit_fen == 12050 and shop.response_window_hours == 24
    r = m.submit("/merchant/policy", {"limit": "0", "hours": ""})
    shop = catalog.get_shop(web.rt, actor=SYSTEM, shop_id=web.api.ids["shopA"])
    assert not shop.fast_track and shop.response_window_hours is None
    r = m.submit("/merchant/policy", {"fast_track": "on", "limit": "1", "hours": "999"})
    assert 'class="flash error"' in r.text
    assert not catalog.get_shop(web.rt, actor=SYSTEM, shop_id=web.api.ids["shopA"]).fast_track
    other = catalog.get_shop(web.rt, actor=SYSTEM, shop_id=web.api.ids["shopB"])
    assert not other.fast_track  # only the merchant's own shop changed


def test_no_full_phone_number_on_any_merchant_page(web: WebWorld) -> None:
    cid = _claim(web)
    m: Browser = web.browser("merchantA")
    m.get(f"/merchant/claims/{cid}")
    m.submit(f"/merchant/claims/{cid}/dispute", {"statement": "完好"}, files=_packing())
    for url in (
        "/merchant",
        "/merchant?state=all",
        f"/merchant/claims/{cid}",
        "/merchant/skus",
        "/merchant/policy",
    ):
        for lang in ("zh_Hans", "en"):
            m.client.cookies.set("shouhou_lang", lang)
            r = m.get(url)
            assert r.status_code == 200, url
            assert not FULL_PHONE.search(r.text), url
            if lang == "en":  # the English switch reaches these pages too
                assert '<html lang="en">' in r.text and "Reference photos" in r.text, url
            assert BUYER_PHONE not in r.text and BUYER_NAME not in r.text, url


def test_merchant_disputes_with_a_packing_video_from_the_form(web: WebWorld, tmp_path: Path) -> None:
    from tests.api.test_lifecycle import _packing_video

    cid = _claim(web)
    m = web.browser("merchantA")
    video = _packing_video(tmp_path)
    m.get(f"/merchant/claims/{cid}")
    r = m.submit(
        f"/merchant/claims/{cid}/dispute",
        {"statement": "打包视频 packing video"},
        files=[("video", ("packing.mp4", video, "video/mp4"))],
    )
    assert r.status_code == 200, r.text
    view = _view(web, cid)
    frames = [x for x in view.references if x.kind == "packing_video_frame" and x.claim_id == cid]
    assert view.claim.state == "in_review" and len(frames) == web.rt.settings.claims.video_frames
    assert all(f"/media/claims/{cid}/responses/{f.id}" in r.text for f in frames)
