"""The whole claim lifecycle through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from shouhou.claims import timers
from tests.api.conftest import World, forged_rgb, honest_rgb, jpeg, listing_rgb


def _state(w: World, cid: str, who: str = "admin") -> str:
    return str(w.claim(who, cid)["state"])


def _problem(r: object, status: int, slug: str) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert body["type"].endswith(slug) and body["status"] == status and body["detail"]


def test_forged_claim_dispute_review_evidence_reject_appeal(world: World) -> None:
    w = world
    r = w.file_claim("buyer1", "order1", jpeg(forged_rgb()))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["state"] == "screening" and r.headers["location"].endswith(cid)
    assert "个人信息保护法" in r.json()["notices"][0]  # the buyer is told a credit record is kept
    assert w.claim("merchantA", cid)["notices"] == []
    assert w.run_jobs() == 1
    c = w.claim("merchantA", cid)
    assert c["state"] == "awaiting_merchant" and c["risk"] in ("medium", "high")
    assert c["timer"]["kind"] == "merchant_response" and c["timer"]["seconds_left"] == 48 * 3600
    scr = w.get("merchantA", f"/api/v1/claims/{cid}/screening").json()
    assert scr["complete"] and scr["photos"][0]["matched_reference"]
    ref = {s["signal"]: s for s in scr["photos"][0]["signals"]}["reference"]
    assert ref["flagged"] and ref["version"] and ref["params_hash"]
    # Illegal moves while the merchant holds it.
    _problem(
        w.post("rev1", f"/api/v1/claims/{cid}/decision", json={"outcome": "rejected", "reason": "x"}),
        404,
        "not-found",
    )  # not in rev1's queue yet: invisible
    _problem(
        w.post("admin", f"/api/v1/claims/{cid}/decision", json={"outcome": "rejected", "reason": "x"}),
        409,
        "illegal-transition",
    )
    _problem(
        w.post("buyer1", f"/api/v1/claims/{cid}/appeal", json={"reason": "x"}), 409, "illegal-transition"
    )
    # The merchant disputes with a packing photo (the intact item as shipped).
    r = w.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "发货时完好，见打包照片"},
        files=[("photos", ("packing.jpg", jpeg(listing_rgb(), quality=88), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["state"] == "in_review" and c["merchant_responses"][0]["action"] == "dispute"
    assert any(ref["kind"] == "packing" for ref in c["references"])
    reviewer = c["reviews"][-1]["reviewer_id"]
    rev = "rev1" if reviewer == w.ids["rev1"] else "rev2"
    other = "rev2" if rev == "rev1" else "rev1"
    assert c["timer"]["kind"] == "review_sla"
    w.run_jobs()  # re-screen against the new packing photo
    # The assigned reviewer asks for more evidence; the other one cannot see the claim.
    _problem(w.post(other, f"/api/v1/claims/{cid}/evidence-request", json={"message": "x"}), 404, "not-found")
    r = w.post(rev, f"/api/v1/claims/{cid}/evidence-request", json={"message": "请提供包装外箱照片"})
    assert r.json()["state"] == "awaiting_buyer" and r.json()["timer"]["kind"] == "buyer_evidence"
    r = w.post(
        "buyer1",
        f"/api/v1/claims/{cid}/evidence",
        files=[("photos", ("box.jpg", jpeg(honest_rgb()), "image/jpeg"))],
    )
    assert r.json()["state"] == "screening", r.text
    w.run_jobs()
    c = w.claim(rev, cid)
    assert c["state"] == "in_review" and c["reviews"][-1]["reviewer_id"] == w.ids[rev]
    # A partial refund needs an amount; a rejection needs a reason (validated), then the reviewer rejects.
    _problem(
        w.post(rev, f"/api/v1/claims/{cid}/decision", json={"outcome": "partial_refund", "reason": "x"}),
        422,
        "invalid-input",
    )
    r = w.post(
        rev,
        f"/api/v1/claims/{cid}/decision",
        json={"outcome": "rejected", "reason": "照片由商家主图添加裂纹而成", "forgery_confirmed": True},
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["state"] == "decided" and c["decisions"][-1]["automated"] is False
    assert c["timer"]["kind"] == "appeal_window"
    # The buyer appeals once; a different reviewer decides; the claim closes.
    r = w.post("buyer1", f"/api/v1/claims/{cid}/appeal", json={"reason": "照片是真实拍摄"})
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["state"] == "appealed" and c["appeal"]["party"] == "buyer"
    assert c["reviews"][-1]["reviewer_id"] == w.ids[other] and c["reviews"][-1]["kind"] == "appeal"
    _problem(
        w.post("buyer1", f"/api/v1/claims/{cid}/appeal", json={"reason": "again"}), 409, "illegal-transition"
    )
    r = w.post(
        other,
        f"/api/v1/claims/{cid}/decision",
        json={"outcome": "rejected", "reason": "维持原判", "forgery_confirmed": True},
    )
    assert r.json()["state"] == "closed", r.text
    assert [d["stage"] for d in r.json()["decisions"]] == ["review", "appeal"]
    states = [(x["from_state"], x["to_state"]) for x in r.json()["transitions"]]
    assert states[:2] == [("", "submitted"), ("submitted", "screening")]
    assert states[-2:] == [("appealed", "decided"), ("decided", "closed")]
    _problem(
        w.post("buyer1", f"/api/v1/claims/{cid}/withdraw", json={"reason": "x"}), 409, "illegal-transition"
    )
    # The buyer's credit record counts the confirmed forgery once (the appeal superseded the first decision).
    credit = w.get("buyer1", f"/api/v1/buyers/{w.ids['buyer_of_order1']}/credit").json()
    assert credit["forgeries_confirmed"] == 1 and credit["disputes_lost"] == 1 and credit["refunds"] == 0
    assert "个人信息保护法" in credit["notice"]


def test_fast_track_approval_is_automated_explained_and_contestable(world: World) -> None:
    w = world
    r = w.client.put(
        f"/api/v1/shops/{w.ids['shopA']}/policy",
        headers=w.h("merchantA"),
        json={"fast_track": True, "fast_track_limit_fen": 50000},
    )
    assert r.status_code == 200, r.text
    cid = w.file_claim("buyer2", "order2", jpeg(honest_rgb())).json()["id"]
    w.run_jobs()
    c = w.claim("buyer2", cid)
    assert c["risk"] in ("none", "low"), c
    assert c["state"] == "decided"
    d = c["decisions"][0]
    assert d["automated"] and d["outcome"] == "refund_only" and "fast-track" in d["reason"]
    r = w.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "contest", "note": "货已寄回?"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_review"
    # Over the limit or risky → the merchant answers first.
    cid2 = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    assert _state(w, cid2) == "awaiting_merchant"


def test_merchant_window_lapse_evidence_lapse_and_appeal_window(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    assert w.tick(timedelta(hours=47)) == 0 and _state(w, cid) == "awaiting_merchant"
    assert w.tick(timedelta(hours=1, seconds=1)) >= 1
    c = w.claim("admin", cid)
    assert c["state"] == "in_review" and "did not respond" in c["transitions"][-1]["reason"]
    rev = "rev1" if c["reviews"][-1]["reviewer_id"] == w.ids["rev1"] else "rev2"
    w.post(rev, f"/api/v1/claims/{cid}/evidence-request", json={"message": "开箱视频"})
    w.tick(timedelta(hours=72, seconds=1))
    c = w.claim("buyer1", cid)
    assert c["state"] == "decided" and c["decisions"][-1]["outcome"] == "rejected"
    assert c["decisions"][-1]["stage"] == "lapse"
    w.tick(timedelta(days=7, seconds=1))
    assert _state(w, cid) == "closed"
    _problem(
        w.post("buyer1", f"/api/v1/claims/{cid}/appeal", json={"reason": "late"}), 409, "illegal-transition"
    )


def test_merchant_accepts_and_buyer_withdraws(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    r = w.post("merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "accept"})
    assert r.json()["state"] == "decided" and r.json()["decisions"][0]["stage"] == "merchant"
    _problem(
        w.post("merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "accept"}),
        409,
        "rule-violation",
    )
    cid2 = w.file_claim("buyer1", "order3", jpeg(forged_rgb())).json()["id"]
    r = w.post("buyer1", f"/api/v1/claims/{cid2}/withdraw", json={"reason": "已和商家协商"})
    assert r.json()["state"] == "withdrawn"
    w.run_jobs()  # the queued screening still runs; the claim stays withdrawn
    assert _state(w, cid2) == "withdrawn"


def test_appeal_window_and_single_appeal_rules(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    w.post("merchantA", f"/api/v1/claims/{cid}/merchant-response", data={"action": "dispute", "note": "假图"})
    c = w.claim("admin", cid)
    rev = "rev1" if c["reviews"][-1]["reviewer_id"] == w.ids["rev1"] else "rev2"
    w.post(
        rev,
        f"/api/v1/claims/{cid}/decision",
        json={"outcome": "partial_refund", "refund_fen": 5000, "reason": "轻微划痕"},
    )
    # The merchant appeals (once per claim, either party); the first reviewer may not decide it.
    r = w.post("merchantA", f"/api/v1/claims/{cid}/appeal", json={"reason": "不同意部分退款"})
    assert r.json()["state"] == "appealed"
    _problem(
        w.post(rev, f"/api/v1/claims/{cid}/decision", json={"outcome": "rejected", "reason": "x"}),
        403,
        "forbidden",
    )


def test_rescreen_keeps_history_and_versions(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    first = w.get("buyer1", f"/api/v1/claims/{cid}/screening").json()["photos"]
    assert timers.rescreen(w.rt, claim_ids=[cid], reason="engine upgrade") == 1
    assert w.run_jobs() == 1
    again = w.get("buyer1", f"/api/v1/claims/{cid}/screening").json()["photos"]
    assert len(again) == len(first) == 1
    assert again[0]["screened_at"] >= first[0]["screened_at"]
    assert {s["signal"]: s["version"] for s in again[0]["signals"]} == {
        s["signal"]: s["version"] for s in first[0]["signals"]
    }
    with w.rt.uow(write=False) as uow:
        rows = uow.session.query(__import__("shouhou.storage.tables", fromlist=["Screening"]).Screening).all()
        assert len(rows) == 2 and sum(r.current for r in rows) == 1
    assert _state(w, cid) == "awaiting_merchant"  # a re-screen updates results, not the claim's place


def test_idempotent_submission_and_pagination(world: World) -> None:
    w = world
    photo = jpeg(forged_rgb())
    a = w.file_claim("buyer1", "order1", photo, key="k-1")
    b = w.file_claim("buyer1", "order1", photo, key="k-1")
    assert a.status_code == 201 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
    _problem(w.file_claim("buyer1", "order1", photo, key="k-1", amount=100), 422, "idempotency-key-reused")
    for i in range(3):
        assert w.file_claim("buyer1", "order3", photo, key=f"p-{i}").status_code == 201
    page = w.get("buyer1", "/api/v1/claims", params={"limit": 2, "offset": 0}).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    page2 = w.get("buyer1", "/api/v1/claims", params={"limit": 2, "offset": 2}).json()
    assert {c["id"] for c in page["items"]}.isdisjoint({c["id"] for c in page2["items"]})
    assert w.get("buyer2", "/api/v1/claims").json()["total"] == 0


def test_bad_photos_get_precise_errors_and_nothing_is_stored(world: World) -> None:
    w = world
    good = jpeg(forged_rgb())
    cases = [
        (good[: len(good) // 3], 422, "unreadable-image"),
        (b"not an image at all", 422, "unreadable-image"),
        (b"%PDF-1.7 a shipping label", 415, "unsupported-format"),
    ]
    for data, status, slug in cases:
        r = w.file_claim("buyer1", "order1", data, name="photo.jpg")
        assert r.status_code == status, (r.status_code, r.text)
        assert r.json()["type"].endswith(slug)
    r = w.file_claim("buyer1", "order1", good, name="photo.png")
    _problem(r, 422, "extension-mismatch")
    assert w.get("admin", "/api/v1/claims").json()["total"] == 0


def _packing_video(tmp: Path) -> bytes:
    """A short real MP4 (OpenCV's mp4v encoder) of the item on the packing table, moving slightly."""
    import cv2

    base = cv2.cvtColor(listing_rgb(), cv2.COLOR_RGB2BGR)
    path = tmp / "packing.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (base.shape[1], base.shape[0]))
    for i in range(30):
        writer.write(np.roll(base, i, axis=1))
    writer.release()
    return path.read_bytes()


def test_dispute_with_a_packing_video_adds_its_frames_as_references(world: World, tmp_path: Path) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    w.run_jobs()
    video = _packing_video(tmp_path)
    bad = w.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "x"},
        files=[("video", ("packing.mp4", video[:300], "video/mp4"))],
    )
    _problem(bad, 422, "unreadable-video")
    assert _state(w, cid) == "awaiting_merchant"  # nothing of the refused response was kept
    r = w.post(
        "merchantA",
        f"/api/v1/claims/{cid}/merchant-response",
        data={"action": "dispute", "note": "打包视频"},
        files=[("video", ("packing.mp4", video, "video/mp4"))],
    )
    assert r.status_code == 200, r.text
    frames = [ref for ref in r.json()["references"] if ref["kind"] == "packing_video_frame"]
    assert len(frames) == w.rt.settings.claims.video_frames
    assert len({f["video_sha256"] for f in frames}) == 1
    assert [f["frame_seconds"] for f in frames] == sorted(f["frame_seconds"] for f in frames)
    assert w.run_jobs() == 1  # screened again against the frames
    photo = w.get("merchantA", f"/api/v1/claims/{cid}/screening").json()["photos"][0]
    assert photo["matched_reference"] is not None
