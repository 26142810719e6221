"""Reviewer console: the queue with its filters, the claim page (photo beside the aligned reference, the
overlay, findings with their signals, raw provenance, credit, counter-evidence, SLA), the masked contact and
its audited reveal, a decision that needs a reason, the appeal view, and scoping."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from shouhou.accounts.roles import SYSTEM
from shouhou.claims import service
from shouhou.config import Settings
from shouhou.evidence.image import PreparedImage, encode_image, load_image
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.model import SignalOutput
from shouhou.evidence.signals.capture import CaptureOutput, CaptureParams, CaptureSignal
from shouhou.evidence.signals.forensics import ForensicsOutput, ForensicsParams, ForensicsSignal
from shouhou.evidence.signals.learned import LearnedParams, LearnedResult, LearnedSignal
from shouhou.evidence.signals.provenance import ProvenanceParams, ProvenanceReport, ProvenanceSignal
from shouhou.evidence.signals.watermark import SD_V1, SDXL, WatermarkParams, WatermarkResult, WatermarkSignal
from shouhou.evidence.synth import labels
from shouhou.evidence.synth.watermark import embed_dwt_dct
from shouhou.web.pages import review_findings as rf
from tests.api.conftest import BUYER_ADDRESS, BUYER_NAME, BUYER_PHONE, forged_rgb, honest_rgb, jpeg
from tests.conftest import prepared, sample
from tests.evidence.signals.test_capture import DELIVERED, _camera_jpeg, _recapture, _screenshot_png
from tests.evidence.signals.test_forensics import _camera_photo, _copy_moved, _spliced
from tests.evidence.signals.test_learned import BLUE, GREEN, RED, model_dir, solid
from tests.evidence.signals.test_learned import item as learned_item
from tests.web.conftest import Browser, WebWorld

FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash
IMG = re.compile(r'<img id="(claim-photo|reference-photo|overlay)" [^>]*src="([^"]+)"')


def _view(web: WebWorld, cid: str) -> service.ClaimView:
    return service.get_claim(web.rt, actor=SYSTEM, claim_id=cid)


def _screened(web: WebWorld, order: str = "order1", who: str = "buyer1", photo: bytes | None = None) -> str:
    r = web.api.file_claim(who, order, photo or jpeg(forged_rgb()))
    assert r.status_code == 201, r.text
    web.api.run_jobs()
    return str(r.json()["id"])


def _disputed(web: WebWorld, order: str = "order1", who: str = "buyer1", photo: bytes | None = None) -> str:
    """A forged claim, screened, disputed by the merchant with a packing photo, screened again: in review."""
    cid = _screened(web, order, who, photo)
    r = web.api.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "发货时完好，见打包照片"},
        files=[("photos", ("packing.jpg", jpeg(honest_rgb()), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    web.api.run_jobs()
    assert _view(web, cid).claim.state == "in_review"
    return cid


def _assigned(web: WebWorld, cid: str) -> tuple[str, str]:
    """(the reviewer holding the open review, the other one)."""
    review = [r for r in _view(web, cid).reviews if r.completed_at is None][-1]
    names = {web.api.ids["rev1"]: "rev1", web.api.ids["rev2"]: "rev2"}
    first = names[review.reviewer_id]
    return first, "rev2" if first == "rev1" else "rev1"


def _audit(web: WebWorld, action: str, subject: str | None = None) -> list[object]:
    with web.rt.uow(write=False) as uow:
        return [
            e
            for e in uow.audit.iter_entries()
            if e.action == action and (subject is None or e.subject_id == subject)
        ]


def _image(b: Browser, url: str) -> Image.Image:
    r = b.get(url)
    assert r.status_code == 200, (url, r.status_code)
    assert r.headers["content-type"] in ("image/jpeg", "image/png"), r.headers["content-type"]
    assert r.headers["cache-control"] == "private, max-age=3600"
    im = Image.open(io.BytesIO(r.content))
    im.load()
    assert im.format == {"image/jpeg": "JPEG", "image/png": "PNG"}[r.headers["content-type"]]
    return im


def test_claim_page_shows_photo_beside_aligned_reference_with_overlay(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    r = b.get(f"/review/claims/{cid}")
    assert r.status_code == 200
    page = r.text
    found = dict(IMG.findall(page))
    assert set(found) == {"claim-photo", "reference-photo", "overlay"}, found
    photo, reference, overlay = (_image(b, found[k]) for k in ("claim-photo", "reference-photo", "overlay"))
    assert photo.format == "JPEG" and reference.format == "JPEG"
    assert overlay.format == "PNG" and overlay.mode == "RGBA"
    assert photo.size == reference.size == overlay.size
    assert not photo.getexif()  # the display copy carries no metadata
    alpha = overlay.getchannel("A")
    assert alpha.getextrema()[0] == 0 and alpha.getextrema()[1] == 255  # transparent, with solid outlines
    # The toggle: a real checkbox (keyboard), its label, before the comparisons it controls.
    assert re.search(r'<input type="checkbox" id="overlay-toggle" class="overlay-toggle"', page)
    assert '<label for="overlay-toggle" class="toggle-label">显示编辑区域</label>' in page
    assert page.index('id="overlay-toggle"') < page.index('class="compare"')
    # Findings in plain words with their signal names; provenance raw; credit; counter-evidence; SLA.
    assert '<code class="signal-name">reference</code>' in page and "源自商家图片" in page
    assert "pixel copy of the merchant&#39;s reference" in page  # the engine's own summary, as a tooltip
    assert re.search(r"这张照片是商家图片 \S+ 的像素级副本；(有 \d+ 处区域与原图不同|未发现局部改动)", page)
    assert re.search(r"在已收录的 \d+ 张照片中没有发现这张照片被使用过。", page)  # the reuse check, told too
    # The other checks are told too, each with the engine's sentence as its tooltip.
    assert 'title="No AI-provenance label was found.">未发现 AI 生成标识。</span>' in page
    # Chinese sentences follow each other without a space (English ones take one, below).
    assert re.search(r"未发现已知的隐形数字水印；\S+。Stable Diffusion v1：136 位中有 \d+ 位", page)
    assert 'title="no known invisible watermark (' in page
    assert re.search(r"(未发现明确的|可能存在)局部篡改痕迹", page)
    assert "拍摄情况看来合理：未发现拍摄时间早于签收、截图或翻拍屏幕的迹象。" in page
    assert "标识很容易被去掉" in page  # the engine's standing note, in the reader's language
    assert "未与该商品的参考照片比对" not in page  # the photo was compared with the shop's reference
    assert "不计入这张照片的风险" not in page  # it matched the listing photo, published before the claim
    assert 'class="raw provenance"' in page or "元数据中没有发现" in page
    assert 'id="credit"' in page
    packing = [r for r in _view(web, cid).references if r.claim_id == cid]
    assert packing and f"/media/claims/{cid}/responses/{packing[0].id}" in page
    assert "发货时完好" in page
    assert 'class="timer' in page and "审核截止" in page
    for marker in ('id="decision-form"', 'name="outcome"', 'name="reason"', 'id="evidence-request-form"'):
        assert marker in page, marker
    b.client.cookies.set("shouhou_lang", "en")
    english = b.get(f"/review/claims/{cid}").text
    assert '<label for="overlay-toggle" class="toggle-label">Show edited regions</label>' in english
    assert "Labels are easily stripped" in english
    assert re.search(r"The photo is a pixel copy of the merchant&#39;s photo \S+;", english)
    assert re.search(r"its absence proves nothing\. Stable Diffusion v1: \d+ of 136 bits match", english)
    assert "The capture looks plausible: no early capture time" in english


def test_decision_without_a_reason_is_refused_and_changes_nothing(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    b.get(f"/review/claims/{cid}")
    r = b.submit(f"/review/claims/{cid}/decision", {"outcome": "rejected", "reason": "   "}, follow=False)
    assert r.status_code == 303 and r.headers["location"] == f"/review/claims/{cid}"
    assert _view(web, cid).claim.state == "in_review" and not _view(web, cid).decisions
    assert not _audit(web, "claim.decided", cid)
    page = b.get(f"/review/claims/{cid}").text
    assert 'class="flash error"' in page and "必须填写理由" in page


def test_decision_with_a_reason_decides_and_is_audited(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    b.get(f"/review/claims/{cid}")
    r = b.submit(
        f"/review/claims/{cid}/decision",
        {"outcome": "rejected", "reason": "主图加裂纹 listing photo with a crack", "forgery_confirmed": "1"},
        follow=False,
    )
    assert r.status_code == 303
    view = _view(web, cid)
    assert view.claim.state == "decided"
    assert view.decisions[-1].outcome == "rejected" and view.decisions[-1].forgery_confirmed
    assert view.decisions[-1].decided_by == web.api.ids[first]
    entries = _audit(web, "claim.decided", cid)
    assert len(entries) == 1 and entries[0].actor == web.api.ids[first]  # type: ignore[attr-defined]
    page = b.get(f"/review/claims/{cid}").text
    assert "主图加裂纹" in page and 'id="decision-form"' not in page


def test_partial_refund_needs_an_amount(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    b.get(f"/review/claims/{cid}")
    r = b.submit(
        f"/review/claims/{cid}/decision", {"outcome": "partial_refund", "reason": "部分", "refund": "x"}
    )
    assert _view(web, cid).claim.state == "in_review" and "flash error" in r.text
    b.submit(
        f"/review/claims/{cid}/decision", {"outcome": "partial_refund", "reason": "部分", "refund": "50"}
    )
    d = _view(web, cid).decisions[-1]
    assert d.outcome == "partial_refund" and d.refund_fen == 5000


def test_request_more_evidence(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    b.get(f"/review/claims/{cid}")
    b.submit(f"/review/claims/{cid}/evidence-request", {"message": "请拍摄外包装"})
    assert _view(web, cid).claim.state == "awaiting_buyer"


def test_contact_is_masked_until_the_audited_reveal(web: WebWorld) -> None:
    cid = _disputed(web)
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    page = b.get(f"/review/claims/{cid}").text
    assert not FULL_PHONE.search(page)
    assert BUYER_PHONE not in page and BUYER_NAME not in page and BUYER_ADDRESS not in page
    assert "138****5678" in page and 'id="reveal-contact"' in page
    assert not _audit(web, "pii.read", None)
    r = b.submit(f"/review/claims/{cid}/contact")
    assert r.status_code == 200 and BUYER_PHONE in r.text and BUYER_NAME in r.text
    assert r.headers["cache-control"] == "no-store"
    reads = _audit(web, "pii.read")
    assert len(reads) == 1 and reads[0].actor == web.api.ids[first]  # type: ignore[attr-defined]
    assert BUYER_PHONE not in b.get(f"/review/claims/{cid}").text  # clear on that response only


def test_appeal_view_for_the_second_reviewer_and_why_the_first_cannot_decide(web: WebWorld) -> None:
    cid = _disputed(web)
    first, second = _assigned(web, cid)
    one = web.browser(first)
    one.get(f"/review/claims/{cid}")
    one.submit(
        f"/review/claims/{cid}/decision", {"outcome": "rejected", "reason": "第一次决定 first decision"}
    )
    r = web.api.post(
        "buyer1", f"/api/v1/claims/{cid}/appeal", json={"reason": "裂纹是真的 the crack is real"}
    )
    assert r.status_code == 200, r.text
    assert _assigned(web, cid)[0] == second
    page = one.get(f"/review/claims/{cid}").text
    assert 'id="decision-form"' not in page and 'id="why-not-decide"' in page and "不同的审核员" in page
    r = one.submit(
        f"/review/claims/{cid}/decision",
        {"outcome": "rejected", "reason": "again"},
        page=f"/review/claims/{cid}",
    )
    assert _view(web, cid).claim.state == "appealed"  # the service refuses too
    two = web.browser(second)
    page = two.get(f"/review/claims/{cid}").text
    assert 'id="appeal-text"' in page and "裂纹是真的" in page
    assert 'id="appealed-decision"' in page and "第一次决定" in page
    assert 'id="decision-form"' in page
    two.submit(f"/review/claims/{cid}/decision", {"outcome": "rejected", "reason": "维持 upheld"})
    view = _view(web, cid)
    assert view.claim.state == "closed" and [d.stage for d in view.decisions] == ["review", "appeal"]


def test_queue_lists_my_claims_with_filters_and_sort(web: WebWorld) -> None:
    a = _disputed(web, "order1")
    b_ = _disputed(web, "order3")
    owners = {cid: _assigned(web, cid)[0] for cid in (a, b_)}
    mine = [cid for cid, who in owners.items() if who == "rev1"]
    theirs = [cid for cid, who in owners.items() if who != "rev1"]
    rev1 = web.browser("rev1")
    page = rev1.get("/review").text
    for cid in mine:
        assert f"/review/claims/{cid}" in page
    for cid in theirs:
        assert f"/review/claims/{cid}" not in page
    assert 'class="timer' in page and "shopA" in page and "badge risk-" in page
    admin = web.browser("admin")
    page = admin.get("/review").text
    assert all(f"/review/claims/{cid}" in page for cid in (a, b_))
    assert f"/review/claims/{a}" not in admin.get(f"/review?shop={web.api.ids['shopB']}").text
    assert f"/review/claims/{a}" in admin.get(f"/review?shop={web.api.ids['shopA']}").text
    assert f"/review/claims/{a}" not in admin.get("/review?risk=none").text
    risk = _view(web, a).claim.risk
    assert f"/review/claims/{a}" in admin.get(f"/review?risk={risk}").text
    assert f"/review/claims/{a}" not in admin.get("/review?sla=overdue").text
    assert f"/review/claims/{a}" not in admin.get("/review?sla=hour").text
    web.clock.advance(timedelta(hours=23, minutes=30))
    admin = web.browser("admin")  # sessions expire while idle: sign in again after the clock moved
    assert f"/review/claims/{a}" in admin.get("/review?sla=hour").text
    web.clock.advance(timedelta(hours=1))
    admin = web.browser("admin")
    assert f"/review/claims/{a}" in admin.get("/review?sla=overdue").text
    assert admin.get("/review?sla=bogus&risk=bogus&sort=x").status_code == 200
    page = admin.get("/review?sort=-due").text
    assert 'aria-sort="descending"' in page


def test_other_people_get_404_and_cannot_act(web: WebWorld) -> None:
    cid = _disputed(web)
    _first, other = _assigned(web, cid)
    assert web.browser("rev_off").get(f"/review/claims/{cid}").status_code == 404
    for who in ("buyer2", "buyer1", "merchantA", "merchantB"):
        r = web.browser(who).get(f"/review/claims/{cid}")
        assert r.status_code == 404, who  # as for a claim that does not exist
        assert "发货时完好" not in r.text
    assert web.browser("buyer1").get("/review").status_code == 403
    # A reviewer who does not hold the claim cannot decide it, nor reveal the buyer's contact.
    b = web.browser(other)
    assert b.get(f"/review/claims/{cid}").status_code == 404
    assert f"/review/claims/{cid}" not in b.get("/review?status=all").text
    r = b.submit(f"/review/claims/{cid}/decision", {"outcome": "rejected", "reason": "x"}, follow=False)
    assert r.status_code == 404
    r = b.submit(f"/review/claims/{cid}/contact", page="/review", follow=False)
    assert r.status_code == 404 and BUYER_PHONE not in r.text
    assert _view(web, cid).claim.state == "in_review" and not _audit(web, "pii.read")


def test_a_claim_screened_before_pictures_existed_still_renders(web: WebWorld) -> None:
    cid = _disputed(web)
    with web.rt.uow(write=True) as uow:
        for s in uow.screenings.current_for_claim(claim_id=cid):
            s.result = {k: v for k, v in s.result.items() if k != "pictures"}
        uow.commit()
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    page = b.get(f"/review/claims/{cid}").text
    found = dict(IMG.findall(page))
    assert "claim-photo" in found and "overlay" not in found
    ev = _view(web, cid).evidence[0]
    assert found["claim-photo"] == f"/media/claims/{cid}/evidence/{ev.id}"
    photo = _image(b, found["claim-photo"])
    assert photo.format == "JPEG" and not photo.getexif()
    if "reference-photo" in found:  # the matched reference, not aligned
        assert "/references/" in found["reference-photo"]
        _image(b, found["reference-photo"])


def test_provenance_labels_are_shown_raw(web: WebWorld) -> None:
    cid = _disputed(web, photo=labels.add_gb45438_xmp(jpeg(honest_rgb()), "1"))
    first, _other = _assigned(web, cid)
    page = web.browser(first).get(f"/review/claims/{cid}").text
    raw = re.search(r'<pre class="raw provenance">(.*?)</pre>', page, re.S)
    assert raw, "no raw provenance block"
    assert "xmp:TC260:AIGC" in raw.group(1) and "&#34;Label&#34;" in raw.group(1)
    assert '<code class="signal-name">provenance</code>' in page


def test_a_copy_of_a_packing_photo_uploaded_after_the_claim_photo_is_told_and_not_counted(
    web: WebWorld,
) -> None:
    # The mirror fraud: the merchant "repairs" the buyer's own photo and sends it as the packing photo. Which
    # of the two came first cannot be told from the pixels: the reviewer is told, and the buyer's risk does
    # not count it.
    photo = honest_rgb()
    cid = _screened(web, photo=jpeg(photo))
    repaired = photo.copy()
    h, w = repaired.shape[:2]
    repaired[h // 3 : h // 2, w // 3 : w // 2] = repaired[h // 3 : h // 2, w // 3 : w // 2].mean(axis=(0, 1))
    web.clock.advance(timedelta(hours=5))
    r = web.api.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "发货时完好"},
        files=[("photos", ("packing.jpg", jpeg(repaired), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    web.api.run_jobs()
    view = _view(web, cid)
    packing = [ref for ref in view.references if ref.claim_id == cid]
    assert len(packing) == 1
    screened = web.api.get("merchantA", f"/api/v1/claims/{cid}/screening").json()["photos"][0]
    assert screened["matched_reference"] is None  # judged against the listing photo only
    assert view.claim.risk != "high"
    with web.rt.uow(write=False) as uow:
        rows = uow.screenings.current_for_claim(claim_id=cid)
    late = rows[0].result["late_reference"]
    assert late["relation"] == "derived" and late["reference"] == packing[0].id and late["kind"] == "packing"
    assert late["regions"]  # the "repaired" area, outlined for the reviewer's comparison
    first, _other = _assigned(web, cid)
    b = web.browser(first)
    page = b.get(f"/review/claims/{cid}").text
    assert "的像素级副本" not in page
    assert re.search(
        rf"商家在 [0-9: -]+ 上传了打包照片 {packing[0].id}，晚于这张售后照片（[0-9: -]+）："
        r".*不计入这张照片的风险",
        page,
    )
    b.client.cookies.set("shouhou_lang", "en")
    english = b.get(f"/review/claims/{cid}").text
    assert f"The merchant uploaded the packing photo {packing[0].id} at " in english
    assert "does not count towards this photo&#39;s risk" in english


def test_a_packing_photo_uploaded_before_the_claim_photo_counts(web: WebWorld) -> None:
    # Packing photos registered at shipping are the merchant's evidence from before any claim: a claim photo
    # copied from one, with damage added, is judged against it as against a listing photo.
    packing = honest_rgb()
    r = web.api.post(
        "merchantA",
        f"/api/v1/orders/{web.api.ids['order1']}/reference-photos",
        files=[("photos", ("packed.jpg", jpeg(packing), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    ref_id = r.json()[0]["id"]
    web.clock.advance(timedelta(days=2))
    cracked = packing.copy()
    h, w = cracked.shape[:2]
    cracked[h // 2 : h // 2 + 4, w // 4 : 3 * w // 4] = 20  # a dark crack across the item
    cid = _screened(web, photo=jpeg(cracked))
    screened = web.api.get("merchantA", f"/api/v1/claims/{cid}/screening").json()["photos"][0]
    assert screened["matched_reference"] == ref_id
    assert _view(web, cid).claim.risk in ("medium", "high")
    with web.rt.uow(write=False) as uow:
        assert uow.screenings.current_for_claim(claim_id=cid)[0].result["late_reference"] is None


def test_the_late_reference_caution_is_told_from_the_screening() -> None:
    from datetime import UTC, datetime

    from shouhou.web.pages.review_findings import REFERENCE_LINES, late_reference_line

    sent = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)

    def result(**late: object) -> dict[str, Any]:
        base = {"status": "ok", "relation": "derived", "reference": "ref_1", "kind": "packing"}
        return {"late_reference": {**base, "uploaded_at": "2026-11-01T07:00:00+00:00", **late}}

    assert late_reference_line(result(), sent_at=sent) == (
        REFERENCE_LINES[("late", "packing")],
        {"name": "ref_1", "uploaded": "2026-11-01 15:00", "sent": "2026-11-01 10:00"},  # Asia/Shanghai
    )
    frame = late_reference_line(result(kind="packing_video_frame", relation="recaptured"), sent_at=sent)
    assert frame is not None and frame[0] == REFERENCE_LINES[("late", "packing_video_frame")]
    assert late_reference_line(result(kind="listing"), sent_at=sent) is None  # not a kind it knows
    assert late_reference_line(result(relation="same_product"), sent_at=sent) is None
    assert late_reference_line(result(status="failed"), sent_at=sent) is None
    assert late_reference_line(result(uploaded_at="yesterday"), sent_at=sent) is None
    assert late_reference_line({"late_reference": None}, sent_at=sent) is None
    assert late_reference_line({}, sent_at=sent) is None


def test_the_reference_finding_is_told_from_its_structured_output() -> None:
    from shouhou.web.pages.review_findings import REFERENCE_LINES, reference_line

    def line(**output: object) -> tuple[str, dict[str, object]] | None:
        return reference_line({"findings": [{"signal": "reference", "status": "ok", "output": output}]})

    two = [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert line(relation="derived", matched_reference="ref-1", regions=two, edit_fraction=0.0312) == (
        REFERENCE_LINES[("derived", True)],
        {"name": "ref-1", "n": 2, "share": "3.1%"},
    )
    assert line(relation="derived", matched_reference="r", regions=[]) == (
        REFERENCE_LINES[("derived", False)],
        {"name": "r", "n": 0, "share": "0.0%"},
    )
    same = line(relation="same_product", matched_reference="r", regions=[])
    assert same is not None and same[0] == REFERENCE_LINES[("same_product", False)]
    assert line(relation="something-new") is None  # an output this console does not know: the summary
    skipped = {"findings": [{"signal": "reference", "status": "skipped", "output": None}]}
    assert reference_line(skipped) is None
    assert reference_line({}) is None


def test_the_reuse_finding_is_told_sentence_by_sentence() -> None:
    from shouhou.web.pages.review_findings import REUSE_LINES, finding_lines, reuse_lines

    def hit(**k: object) -> dict[str, object]:
        return {
            "source": "claim",
            "claim_id": "c-1",
            "distance": 0,
            "exact": False,
            "other_submitter": False,
            **k,
        }

    def lines(**output: object) -> list[tuple[str, dict[str, object]]] | None:
        return reuse_lines({"findings": [{"signal": "reuse", "status": "ok", "output": output}]})

    told = lines(matches=[hit(distance=12), hit(claim_id="c-2", other_submitter=True)], hashes_reliable=True)
    assert told is not None
    assert [m for m, _ in told] == [
        REUSE_LINES[k] for k in (("claim", False), ("more", False), ("other", False))
    ]
    assert told[0][1]["d"] == 12 and told[0][1]["claim"] == "c-1" and told[1][1] == {"n": 1}
    told = lines(matches=[hit(), hit()], uses_found=7, hashes_reliable=True)  # more found than listed
    assert told is not None and told[1] == (REUSE_LINES[("more", False)], {"n": 6})
    told = lines(matches=[hit(source="catalog", claim_id=None, exact=True)], hashes_reliable=True)
    assert told is not None and [m for m, _ in told] == [REUSE_LINES[("catalog", True)]]
    told = lines(matches=[hit(source="none", claim_id=None)], hashes_reliable=True)  # an unknown source
    assert told is not None and told[0] == (
        REUSE_LINES[("source", False)],
        {"d": 0, "claim": "", "source": "none"},
    )
    told = lines(matches=[], indexed_photos=40, hashes_reliable=False, pdq_quality=20)
    assert told == [(REUSE_LINES[("none", False)], {"n": 40}), (REUSE_LINES[("flat", False)], {"q": 20})]
    assert (
        set(finding_lines({"findings": [{"signal": "reuse", "status": "failed", "output": None}]})) == set()
    )


# ----- the other five signals' findings, told from outputs of the signals themselves


def _finding(signal: str, output: SignalOutput | dict[str, Any] | None, status: str = "ok") -> dict[str, Any]:
    """One signal's finding as the pipeline stores it in a screening result."""
    out = output.model_dump(mode="json") if isinstance(output, SignalOutput) else output
    return {"signal": signal, "status": status, "output": out}


def _told(signal: str, output: SignalOutput | dict[str, Any] | None, status: str = "ok") -> dict[str, Any]:
    """A screening result holding that one finding."""
    return {"findings": [_finding(signal, output, status)]}


def _provenance(data: bytes, name: str = "photo.jpg", settings: Settings | None = None) -> ProvenanceReport:
    return ProvenanceSignal(settings).run(Evidence(image=load_image(data, name=name)), ProvenanceParams())


def test_the_provenance_finding_is_told_label_by_label() -> None:
    P = rf.PROVENANCE_LINES
    photo = jpeg(honest_rgb()[:240, :320])
    label = labels.gb45438_json("3", producer="PRODUCER-1", propagator="PROPAGATOR-2")
    labelled = _provenance(labels.add_gb45438_xmp(photo, raw_value=label))
    assert labelled.flagged
    assert rf.provenance_lines(_told("provenance", labelled)) == [
        (P["label_3"], {"where": "xmp:TC260:AIGC"}),
        (P["label_who"], {"who": "ContentProducer PRODUCER-1, ContentPropagator PROPAGATOR-2"}),
    ]
    twin = _provenance(labels.set_software(photo, "iPhone 15 Pro"))
    assert not twin.flagged
    assert rf.provenance_lines(_told("provenance", twin)) == [(P["none"], {})]
    # Four traces: the three strongest told one by one, in the engine's order, then a count of the rest.
    png = encode_image(honest_rgb()[:240, :320], "PNG")
    novelai = _provenance(labels.add_novelai(png), "photo.png")
    told = rf.provenance_lines(_told("provenance", novelai))
    assert told is not None and len(told) == 4
    assert told[0] == (P["generator_software"], {"where": "png:text:Software", "name": "NovelAI"})
    assert told[2] == (P["generator_settings_like"], {"where": "png:text:Comment", "tool": "NovelAI"})
    assert told[3] == (P["more"], {"n": 1})
    sd = _provenance(labels.add_sd_parameters(png), "photo.png")
    assert rf.provenance_lines(_told("provenance", sd)) == [
        (P["generator_settings"], {"where": "png:text:parameters", "tool": "Stable Diffusion WebUI"})
    ]
    iptc = _provenance(labels.add_iptc_digital_source_type(photo, "trainedAlgorithmicMedia"))
    assert rf.provenance_lines(_told("provenance", iptc)) == [
        (P["source_ai"], {"where": "xmp:Iptc4xmpExt:DigitalSourceType", "code": "trainedAlgorithmicMedia"})
    ]
    # A valid C2PA manifest whose signer is not trusted is information, told after "no label".
    signed = _provenance(
        labels.add_c2pa_manifest(photo, labels.make_test_signer(), digital_source_type="digitalCapture")
    )
    assert not signed.flagged
    assert rf.provenance_lines(_told("provenance", signed)) == [
        (P["none"], {}),
        (P["c2pa_untrusted"], {"signer": "shouhou test signer", "issuer": "shouhou tests"}),
    ]
    # Shapes this console does not know keep the engine's sentence.
    unknown = labelled.model_dump(mode="json")
    unknown["markers"] = [{**m, "meaning": "a label of a kind added later"} for m in unknown["markers"]]
    assert rf.provenance_lines(_told("provenance", unknown)) is None
    assert rf.provenance_lines(_told("provenance", {**twin.model_dump(mode="json"), "flagged": True})) is None
    assert rf.provenance_lines(_told("provenance", labelled, status="failed")) is None


def _watermark(rgb: np.ndarray) -> WatermarkResult:
    item = Evidence(image=load_image(encode_image(rgb, "PNG"), name="claim.png"))
    return WatermarkSignal().run(item, WatermarkParams())


def test_the_watermark_finding_is_told_with_its_bits_and_payload() -> None:
    W = rf.WATERMARK_LINES
    photo = sample("astronaut")
    marked = _watermark(embed_dwt_dct(photo, SD_V1))
    assert marked.flagged
    told = rf.watermark_lines(_told("watermark", marked))
    assert told is not None and len(told) == 1 and told[0][0] == W["mark"]
    assert told[0][1]["mark"] == "Stable Diffusion v1" and told[0][1]["bits"] == 136
    assert told[0][1]["matched"] >= 109 and told[0][1]["payload"] == "'StableDiffusionV1'"
    assert re.fullmatch(r"\d\.\de-\d+", told[0][1]["chance"])
    sdxl = rf.watermark_lines(_told("watermark", _watermark(embed_dwt_dct(photo, SDXL))))
    assert sdxl is not None and sdxl[0][1]["payload"] == "0xb3ec907bb19e"
    clean = _watermark(photo)
    assert not clean.flagged
    told = rf.watermark_lines(_told("watermark", clean))
    assert told is not None and [m for m, _ in told] == [W["none"], W["chance"], W["chance"]]
    assert [v["mark"] for _, v in told[1:]] == ["Stable Diffusion v1", "Stable Diffusion XL"]
    assert all(v["matched"] < 0.8 * v["bits"] for _, v in told[1:])
    small = _watermark(photo[:20, :20])
    assert rf.watermark_lines(_told("watermark", small)) == [(W["too_small"], {"blocks": small.blocks})]
    gray = np.repeat(photo.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    assert rf.watermark_lines(_told("watermark", _watermark(gray))) == [(W["flat"], {})]
    lost = {**marked.model_dump(mode="json"), "matched_mark": "a mark added later"}
    assert rf.watermark_lines(_told("watermark", lost)) is None
    assert rf.watermark_lines(_told("watermark", {**clean.model_dump(mode="json"), "marks": None})) is None


def _forensics(image: PreparedImage, params: ForensicsParams | None = None) -> ForensicsOutput:
    return ForensicsSignal().run(Evidence(image=image), params or ForensicsParams())


def test_the_forensics_finding_is_told_by_what_found_each_region() -> None:
    F = rf.FORENSICS_LINES
    copied = _forensics(prepared(_copy_moved(), "photo.png"))
    assert copied.flagged
    n = len(copied.regions)
    assert rf.forensics_lines(_told("forensics", copied)) == [
        (F["edit"], {"n": n}),
        (F["copy"], {"n": n // 2}),
        (F["dq_skipped"], {}),  # a PNG: no JPEG history to test
    ]
    spliced = _forensics(prepared(_spliced(), quality=92))
    assert spliced.flagged
    told = rf.forensics_lines(_told("forensics", spliced))
    assert told is not None and told[0] == (F["edit"], {"n": len(spliced.regions)})
    assert {m for m, _ in told[1:]} <= {F["dq"], F["dq+noise"]} and len(told) > 1
    assert sum(v["n"] for _, v in told[1:]) == len(spliced.regions)
    clean = _forensics(prepared(_camera_photo(), quality=92))
    assert not clean.flagged and clean.score == 0
    told = rf.forensics_lines(_told("forensics", clean))
    assert told is not None and told[0] == (F["none"], {})
    weak = _forensics(prepared(_spliced(), quality=92), ForensicsParams(min_flag_score=0.99))
    assert not weak.flagged and weak.score > 0
    assert rf.forensics_lines(_told("forensics", weak)) == [(F["weak"], {})]
    unknown = copied.model_dump(mode="json")
    unknown["regions"] = [{**r, "label": "a detector added later"} for r in unknown["regions"]]
    assert rf.forensics_lines(_told("forensics", unknown)) is None
    more = clean.model_dump(mode="json")
    more["detectors"] = [*more["detectors"], {"name": "new", "status": "ok", "score": 0.0, "note": ""}]
    assert rf.forensics_lines(_told("forensics", more)) is None


def _capture(raw: bytes, name: str = "claim.jpg") -> CaptureOutput:
    item = Evidence(image=load_image(raw, name=name), context=ScreenContext(delivered_at=DELIVERED))
    return CaptureSignal().run(item, CaptureParams())


def test_the_capture_finding_is_told_check_by_check() -> None:
    C = rf.CAPTURE_LINES
    early = _capture(_camera_jpeg("2026:05:08 18:00:00", "+02:00"))
    assert early.flagged
    # Shown in Asia/Shanghai, as every time in the console.
    assert rf.capture_lines(_told("capture", early)) == [(C["early"], {"time": "2026-05-09 00:00"})]
    after = _capture(_camera_jpeg("2026:05:11 09:30:00"))
    assert not after.flagged
    assert rf.capture_lines(_told("capture", after)) == [(C["plausible"], {})]
    shot = _capture(_screenshot_png(), "order.png")
    assert rf.capture_lines(_told("capture", shot)) == [
        (C["screenshot"], {}),
        (C["screen_size"], {"w": 1170, "h": 2532}),
        (C["png"], {}),
        (C["status_bar"], {"share": re.findall(r"\d+%", shot.summary)[0]}),
    ]
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0131] = "Snipaste"  # Software
    Image.fromarray(sample("coffee")).save(buf, "JPEG", exif=exif)
    tool = rf.capture_lines(_told("capture", _capture(buf.getvalue())))
    assert tool is not None and (C["tool"], {"tool": "snipaste"}) in tool
    rgb = sample("chelsea")
    moire = _capture(_camera_jpeg(rgb=_recapture(rgb), size=rgb.shape[1::-1]))
    told = rf.capture_lines(_told("capture", moire))
    assert told is not None and told[-1][0] == C["recapture"] and float(told[-1][1]["peak"]) >= 2.8
    unknown = shot.model_dump(mode="json")
    unknown["checks"] = [
        {**c, "value": "a trait added later"} if c["name"] == "screenshot" else c for c in unknown["checks"]
    ]
    assert rf.capture_lines(_told("capture", unknown)) is None


def test_the_learned_score_is_told_against_its_threshold(tmp_path: Path) -> None:
    L = rf.LEARNED_LINES
    settings = Settings(learned_model_dir=model_dir(tmp_path))

    def learned(rgb: np.ndarray, params: LearnedParams | None = None) -> LearnedResult:
        return LearnedSignal(settings).run(learned_item(rgb), params or LearnedParams())

    red = learned(solid(RED))
    assert red.flagged
    told = rf.learned_lines(_told("learned", red))
    assert told == [
        (L["above"], {"model": "redness", "version": "0.1", "p": f"{red.probability:.2f}", "t": "0.60"})
    ]
    green = learned(solid(GREEN))
    assert not green.flagged
    told = rf.learned_lines(_told("learned", green))
    assert told is not None and told[0][0] == L["below"] and float(told[0][1]["p"]) < 0.6
    # Blue scores 0.50: below the card's 0.60, above a platform threshold of 0.40.
    assert rf.learned_lines(_told("learned", learned(solid(BLUE)))) == [
        (L["below"], {"model": "redness", "version": "0.1", "p": "0.50", "t": "0.60"})
    ]
    overridden = rf.learned_lines(_told("learned", learned(solid(BLUE), LearnedParams(threshold=0.4))))
    assert overridden == [
        (L["above"], {"model": "redness", "version": "0.1", "p": "0.50", "t": "0.40"}),
        (L["platform_threshold"], {}),
    ]
    assert rf.learned_lines(_told("learned", {**red.model_dump(mode="json"), "probability": "high"})) is None
    assert rf.learned_lines(_told("learned", None, status="skipped")) is None


def test_finding_lines_tells_every_signal_it_knows() -> None:
    photo = jpeg(honest_rgb()[:240, :320])
    result = {
        "findings": [
            _finding("provenance", _provenance(photo)),
            _finding("watermark", _watermark(sample("astronaut")[:20, :20])),
            _finding("capture", _capture(_camera_jpeg("2026:05:11 09:30:00"))),
            _finding("forensics", None, status="failed"),
            _finding("learned", None, status="skipped"),
        ]
    }
    told = rf.finding_lines(result)
    assert set(told) == {"provenance", "watermark", "capture"}
    assert told["capture"] == [(rf.CAPTURE_LINES["plausible"], {})]
