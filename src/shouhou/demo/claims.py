"""The demo shop: a platform, a shop with fast-track, SKUs with listing photos, orders, users with tokens, and
claims (honest and forged) screened by the in-process worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Principal, Role
from shouhou.claims import catalog, process, service
from shouhou.claims import references as reference_photos
from shouhou.claims.catalog import BuyerInfo, OrderLine, Upload
from shouhou.demo.evidence import CASES, DELIVERED_AT, references
from shouhou.runtime import Runtime

PLATFORM = "演示平台 demo platform"

# (case file, SKU listing photo, buyer index)
CLAIMS = (
    ("01-honest-reshot.jpg", "listing-motorbike.jpg", 0),
    ("02-forged-crack.jpg", "listing-cup.jpg", 1),
    ("04-reused-listing-photo.jpg", "listing-motorbike.jpg", 2),
    ("05-photo-of-the-screen.jpg", "listing-rocket.jpg", 1),
)
BUYERS = (
    BuyerInfo("demo-buyer-1", "张伟", "13800138001", "广东省深圳市南山区科技园路 1 号"),
    BuyerInfo("demo-buyer-2", "李娜", "13900139002", "上海市浦东新区世纪大道 100 号"),
    BuyerInfo("demo-buyer-3", "王芳", "13700137003", "北京市海淀区中关村大街 27 号"),
)


@dataclass(frozen=True)
class DemoWorld:
    tokens: dict[str, str]
    claims: list[tuple[str, str]]  # (case name, claim id)
    loaded: bool


def load(rt: Runtime) -> DemoWorld:
    """Load the demo shop once (a second call finds it and changes nothing)."""
    with rt.uow(write=False) as uow:
        if uow.platforms.by_name(name=PLATFORM) is not None:
            return DemoWorld(tokens={}, claims=[], loaded=False)
    tokens: dict[str, str] = {}
    _user, tokens["admin"] = accounts.create_user(rt, actor=SYSTEM, username="demo-admin", role=Role.ADMIN)
    admin = accounts.authenticate(rt, tokens["admin"])
    plat = catalog.create_platform(rt, actor=admin, name=PLATFORM)
    shop = catalog.create_shop(
        rt,
        actor=admin,
        platform_id=plat.id,
        name="演示旗舰店 demo flagship",
        fast_track=True,
        fast_track_limit_fen=30000,
    )
    skus = {}
    for i, (name, data) in enumerate(references().items()):
        sku = catalog.create_sku(
            rt,
            actor=admin,
            shop_id=shop.id,
            code=f"SKU-{i + 1}",
            title=name.removeprefix("listing-").removesuffix(".jpg"),
            price_fen=19900,
        )
        reference_photos.upload_sku_photos(rt, actor=admin, sku_id=sku.id, uploads=[Upload(name, data)])
        skus[name] = sku.id
    _user, tokens["merchant"] = accounts.create_user(
        rt, actor=SYSTEM, username="demo-merchant", role=Role.MERCHANT, shop_id=shop.id
    )
    for r in ("reviewer-1", "reviewer-2"):
        _user, tokens[r] = accounts.create_user(
            rt, actor=SYSTEM, username=f"demo-{r}", role=Role.REVIEWER, on_shift=True
        )
    cases = {c.file: c for c in CASES}
    claims: list[tuple[str, str]] = []
    buyer_principals: dict[int, Principal] = {}
    for n, (case_name, listing, b) in enumerate(CLAIMS):
        order = catalog.create_order(
            rt,
            actor=admin,
            shop_id=shop.id,
            platform_order_id=f"DEMO-{n + 1:04d}",
            buyer=BUYERS[b],
            lines=[OrderLine(sku_id=skus[listing], quantity=1, price_fen=19900)],
            placed_at=DELIVERED_AT - timedelta(days=3),
            delivered_at=DELIVERED_AT,
        )
        if b not in buyer_principals:
            _user, tokens[f"buyer-{b + 1}"] = accounts.create_user(
                rt, actor=SYSTEM, username=f"demo-buyer-{b + 1}", role=Role.BUYER, buyer_id=order.buyer_id
            )
            buyer_principals[b] = accounts.authenticate(rt, tokens[f"buyer-{b + 1}"])
        claim, _ = service.submit_claim(
            rt,
            actor=buyer_principals[b],
            order_id=order.id,
            kind="refund_only",
            reason=cases[case_name].story,
            amount_fen=19900,
            photos=[Upload(case_name, cases[case_name].make())],
        )
        claims.append((case_name, claim.id))
    return DemoWorld(tokens=tokens, claims=claims, loaded=True)


def dispute_risky(rt: Runtime, world: DemoWorld) -> int:
    """After screening, the demo merchant disputes the medium- and high-risk claims waiting for them, so they
    reach a reviewer (the console's review queue is not empty); the others stay with the merchant."""
    merchant = accounts.authenticate(rt, world.tokens["merchant"])
    disputed = 0
    for _case, claim_id in world.claims:
        with rt.uow(write=False) as uow:
            claim = uow.claims.get_or_raise(id=claim_id)
        if claim.state != "awaiting_merchant" or claim.risk not in ("high", "medium"):
            continue
        process.merchant_respond(
            rt, actor=merchant, claim_id=claim_id, action="dispute",
            note="发货前已检查完好，买家照片与主图一致 packed intact; the photo matches our listing photo",
        )
        disputed += 1
    return disputed
