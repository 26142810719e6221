"""Time to serve the reviewer's claim page (/review/claims/{id}) for a claim with 3 screened photos, through
the ASGI app in-process (Starlette's TestClient, so no network), after a warm-up; the images the page links
(display copies, aligned references, overlays) are timed apart.

A fresh site on SQLite: a shop with a listing photo, a buyer's claim with three ~1600 px phone-like JPEGs
(the listing photo with a crack drawn in, twice, and once re-sized with sensor-like noise; each matches the
listing photo, so each has an aligned reference and an overlay), screened by the worker, disputed
by the merchant (so it is in review with a reviewer), and a reviewer signed in through the console's form.
Every page request does what a reviewer's does: the claim, its screenings, the masked contact and the buyer's
credit record (an audited read: one audit entry per view). Target: p95 < 300 ms.

    .venv/bin/python benchmarks/reviewer_page.py [--requests 200] [--warmup 20] [--output PATH]

Results go to benchmarks/results/reviewer_page.json (replaced).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "reviewer_page.json"
TARGET_P95_MS = 300.0
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_IMG = re.compile(r'<img [^>]*src="(/media/[^"]+)"')


def _jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x0110] = "2201123C"
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def _cracked(rgb: np.ndarray, seed: int) -> np.ndarray:
    """The listing photo, re-sized to a phone photo's size, with a dark crack drawn across part of it."""
    img = np.ascontiguousarray(cv2.resize(rgb, (1600, round(1600 * rgb.shape[0] / rgb.shape[1]))))
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    x, y = int(w * rng.uniform(0.2, 0.5)), int(h * rng.uniform(0.2, 0.5))
    pts = [(x, y)]
    for _ in range(6):
        x, y = x + int(rng.integers(20, 60)), y + int(rng.integers(10, 50))
        pts.append((x, y))
    cv2.polylines(img, [np.array(pts, np.int32)], False, (25, 22, 20), 5, lineType=cv2.LINE_AA)
    return img


def build(home: Path) -> tuple[Any, Any, str, str]:
    """(runtime, app, claim id, reviewer username) on a fresh home, the claim screened and in review."""
    sys.path.insert(0, str(HERE))
    import claims_setup as cs

    from shouhou.accounts import service as accounts
    from shouhou.accounts import sessions
    from shouhou.accounts.roles import SYSTEM, Role
    from shouhou.api.app import create_app
    from shouhou.claims import catalog, process, references, service
    from shouhou.runtime import Runtime

    site = cs.new_site(home, None)
    rt = Runtime.open(site.settings)
    admin = accounts.principal_of(
        accounts.create_user(rt, actor=SYSTEM, username="admin", role=Role.ADMIN)[0]
    )
    plat = catalog.create_platform(rt, actor=admin, name="淘宝 bench")
    shop = catalog.create_shop(rt, actor=admin, platform_id=plat.id, name="bench shop")
    sku = catalog.create_sku(
        rt, actor=admin, shop_id=shop.id, code="MUG-1", title="咖啡杯 coffee cup", price_fen=19900
    )
    listing_rgb = cs.photo_scene(1024)
    references.upload_sku_photos(
        rt, actor=admin, sku_id=sku.id, uploads=[catalog.Upload("listing.jpg", _jpeg(listing_rgb, 92))]
    )
    placed = datetime.now(UTC) - timedelta(days=5)
    order = catalog.create_order(
        rt,
        actor=admin,
        shop_id=shop.id,
        platform_order_id="TB-bench-review",
        buyer=catalog.BuyerInfo(platform_buyer_id="tb-review", name="买家甲", phone="13900000001"),
        lines=[catalog.OrderLine(sku_id=sku.id, quantity=1, price_fen=19900)],
        placed_at=placed,
        delivered_at=placed + timedelta(days=3),
    )
    buyer = accounts.principal_of(
        accounts.create_user(rt, actor=SYSTEM, username="buyer", role=Role.BUYER, buyer_id=order.buyer_id)[0]
    )
    merchant = accounts.principal_of(
        accounts.create_user(rt, actor=SYSTEM, username="merchant", role=Role.MERCHANT, shop_id=shop.id)[0]
    )
    reviewer, _token = accounts.create_user(
        rt, actor=SYSTEM, username="reviewer", role=Role.REVIEWER, on_shift=True
    )
    sessions.set_password(rt, actor=SYSTEM, user_id=reviewer.id, password=PASSWORD)
    photos = [
        catalog.Upload("crack-1.jpg", _jpeg(_cracked(listing_rgb, 1))),
        catalog.Upload("crack-2.jpg", _jpeg(_cracked(listing_rgb, 2))),
        catalog.Upload("other.jpg", cs.claim_photo()[0]),
    ]
    claim, _created = service.submit_claim(
        rt,
        actor=buyer,
        order_id=order.id,
        kind="refund_only",
        reason="杯子有裂纹 the cup arrived cracked",
        amount_fen=19900,
        photos=photos,
    )
    app = create_app(rt, background=False)
    with TestClient(app):  # the lifespan builds the worker; it screens the three photos here
        app.state.worker.run_pending()
        process.merchant_respond(
            rt, actor=merchant, claim_id=claim.id, action="dispute", note="发货前完好 packed intact"
        )
        app.state.worker.run_pending()
    view = service.get_claim(rt, actor=SYSTEM, claim_id=claim.id)
    assert view.claim.state == "in_review", view.claim.state
    assert len(view.screenings) == 3
    return rt, app, claim.id, reviewer.username


def sign_in(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    token = _CSRF.search(page)
    assert token, "no CSRF token on the sign-in page"
    r = client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        k = (len(ordered) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    return {
        "p50": round(pct(50), 1),
        "p95": round(pct(95), 1),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


def measure(app: Any, claim_id: str, username: str, requests: int, warmup: int) -> dict[str, Any]:
    url = f"/review/claims/{claim_id}"
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, username)
        first = client.get(url)
        assert first.status_code == 200, first.status_code
        images = sorted(set(_IMG.findall(first.text)))
        cold = []
        for img in images:  # the first fetch: display copies of references are made now (then cached)
            t0 = time.perf_counter()
            r = client.get(img)
            cold.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and r.headers["content-type"].startswith("image/"), img
        for _ in range(warmup):
            client.get(url)
        page: list[float] = []
        for _ in range(requests):
            t0 = time.perf_counter()
            r = client.get(url)
            page.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
        warm: list[float] = []
        for _ in range(5):
            for img in images:
                t0 = time.perf_counter()
                client.get(img)
                warm.append((time.perf_counter() - t0) * 1000)
    return {
        "page_ms": _ms(page),
        "page_bytes": len(first.content),
        "images_on_page": len(images),
        "photos_with_aligned_reference": len(
            re.findall(r'id="reference-photo[-0-9]*" src="[^"]*/pictures/', first.text)
        ),
        "photos_with_overlay": len(re.findall(r'<img id="overlay[-0-9]*" class="overlay"', first.text)),
        "image_ms_first_fetch": _ms(cold),
        "image_ms_later": _ms(warm),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="timed page requests (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed page requests first (default 20)")
    ap.add_argument("--home", type=Path, help="data folder (default: a new temporary folder, removed after)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args()

    sys.path.insert(0, str(HERE))
    import sqlite3

    from claims_submit import machine_facts

    home = args.home or Path(tempfile.mkdtemp(prefix="shouhou-bench-review-"))
    try:
        t0 = time.perf_counter()
        rt, app, claim_id, username = build(home)
        setup_s = time.perf_counter() - t0
        print(f"set-up: claim {claim_id} with 3 screened photos in {setup_s:.1f} s; timing …", flush=True)
        try:
            stats = measure(app, claim_id, username, args.requests, args.warmup)
        finally:
            rt.close()
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    p95 = stats["page_ms"]["p95"]
    result = {
        "machine": {
            **machine_facts("sqlite", sqlite3.sqlite_version),
            "note": "in-process ASGI (TestClient), one client, sequential requests; SQLite on the local disk",
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "setup": {
            "photos": 3,
            "photo_side_px": 1600,
            "requests": args.requests,
            "warmup_requests": args.warmup,
            "url": "/review/claims/{id} as the assigned reviewer",
        },
        "n": args.requests,
        **stats,
        "target": {"p95_ms": TARGET_P95_MS, "met": p95 < TARGET_P95_MS},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    page = stats["page_ms"]
    print(
        f"reviewer claim page, {args.requests} requests: p50 {page['p50']} ms, p95 {page['p95']} ms, "
        f"max {page['max']} ms (target p95 < {TARGET_P95_MS:.0f} ms: "
        f"{'met' if p95 < TARGET_P95_MS else 'NOT met'})"
    )
    print(
        f"images ({stats['images_on_page']} on the page): first fetch p50 "
        f"{stats['image_ms_first_fetch']['p50']} ms, "
        f"later p50 {stats['image_ms_later']['p50']} ms; written to {args.output}"
    )


if __name__ == "__main__":
    main()
