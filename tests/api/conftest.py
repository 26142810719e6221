"""A real app on a real database (SQLite and PostgreSQL), driven through an ASGI client; the worker runs
jobs when a test says so and the clock moves only when a test moves it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.api.app import create_app
from shouhou.config import Settings
from shouhou.privacy.crypto import format_keys, new_key
from shouhou.runtime import ManualClock, Runtime
from tests.conftest import sample

BUYER_PHONE = "13812345678"
BUYER_NAME = "王小明"
BUYER_ADDRESS = "浙江省杭州市西湖区文三路 88 号 3 幢 402 室"
EXIF_OWNER = "Wang Xiaoming 王小明"


def jpeg(rgb: np.ndarray, *, quality: int = 90, owner: str | None = None) -> bytes:
    im = Image.fromarray(rgb)
    buf = io.BytesIO()
    exif = Image.Exif()
    if owner:
        exif[0x013B] = owner  # Artist
        exif[0x010F] = "Xiaomi"
    im.save(buf, "JPEG", quality=quality, exif=exif.tobytes() if owner else b"")
    return buf.getvalue()


def listing_rgb() -> np.ndarray:
    return np.ascontiguousarray(sample("astronaut")[::1, ::1])


def forged_rgb() -> np.ndarray:
    """The listing photo with a dark crack drawn across it: the fraud recipe."""
    import cv2

    img = listing_rgb().copy()
    pts = np.array([[150, 120], [190, 170], [215, 240], [260, 300], [300, 330]], np.int32)
    cv2.polylines(img, [pts], False, (25, 22, 20), 3, lineType=cv2.LINE_AA)
    return img


def honest_rgb() -> np.ndarray:
    return sample("coffee")


def settings_for(home: Path, url: str) -> Settings:
    return Settings(
        home=home,
        database_url=url,
        field_keys=SecretStr(format_keys({"k1": new_key()})),
        lookup_key=SecretStr("lookup-key-for-tests-0123456789"),
        audit_key=SecretStr("audit-key-for-tests-0123456789"),
        worker_enabled=False,
    )


@dataclass
class World:
    rt: Runtime
    client: TestClient
    clock: ManualClock
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(who), **kw)

    def post(self, who: str, url: str, **kw: Any) -> Any:
        headers = {**self.h(who), **kw.pop("headers", {})}
        return self.client.post(url, headers=headers, **kw)

    def run_jobs(self) -> int:
        return int(self.client.app.state.worker.run_pending())  # type: ignore[attr-defined]

    def tick(self, delta: timedelta | None = None) -> int:
        if delta:
            self.clock.advance(delta)
        return int(self.client.app.state.scheduler.tick())  # type: ignore[attr-defined]

    def user(self, name: str, role: Role, **kw: Any) -> str:
        user, token = accounts.create_user(self.rt, actor=SYSTEM, username=name, role=role, **kw)
        self.tokens[name] = token
        self.ids[name] = user.id
        return user.id

    def file_claim(
        self,
        who: str,
        order: str,
        photo: bytes,
        *,
        amount: int = 19900,
        key: str | None = None,
        name: str = "damage.jpg",
    ) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        return self.post(
            who,
            "/api/v1/claims",
            headers=headers,
            data={
                "order_id": self.ids[order],
                "reason": "屏幕碎了 screen cracked on arrival",
                "amount_fen": str(amount),
                "kind": "refund_only",
            },
            files=[("photos", (name, photo, "image/jpeg"))],
        )

    def claim(self, who: str, claim_id: str) -> dict[str, Any]:
        r = self.get(who, f"/api/v1/claims/{claim_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())


def populate(w: World) -> None:
    """Shops A and B, a SKU with its listing photo, three orders, two buyers, merchants and reviewers."""
    w.user("admin", Role.ADMIN)
    plat = w.post("admin", "/api/v1/platforms", json={"name": "淘宝 demo"}).json()["id"]
    for shop_name in ("shopA", "shopB"):
        r = w.post("admin", "/api/v1/shops", json={"platform_id": plat, "name": shop_name})
        assert r.status_code == 201, r.text
        w.ids[shop_name] = r.json()["id"]
    w.ids["platform"] = plat
    r = w.post(
        "admin",
        f"/api/v1/shops/{w.ids['shopA']}/skus",
        json={"code": "HELMET-1", "title": "宇航员头盔 模型", "price_fen": 19900},
    )
    w.ids["sku"] = r.json()["id"]
    r = w.post(
        "admin",
        f"/api/v1/skus/{w.ids['sku']}/reference-photos",
        files=[("photos", ("listing.jpg", jpeg(listing_rgb(), quality=92), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    for order, (phone, pid) in {
        "order1": (BUYER_PHONE, "tb-buyer-1"),
        "order2": ("13900001111", "tb-buyer-2"),
        "order3": (BUYER_PHONE, "tb-buyer-1"),
    }.items():
        r = w.post(
            "admin",
            "/api/v1/orders",
            json={
                "shop_id": w.ids["shopA"],
                "platform_order_id": f"TB-{order}",
                "buyer": {
                    "platform_buyer_id": pid,
                    "name": BUYER_NAME if pid.endswith("1") else "李四",
                    "phone": phone,
                    "address": BUYER_ADDRESS,
                },
                "items": [{"sku_id": w.ids["sku"], "quantity": 1, "price_fen": 19900}],
                "placed_at": "2026-10-28T08:00:00+08:00",
                "delivered_at": "2026-11-01T15:00:00+08:00",
            },
        )
        assert r.status_code == 201, r.text
        w.ids[order] = r.json()["id"]
        w.ids[f"buyer_of_{order}"] = r.json()["buyer_id"]
    w.user("buyer1", Role.BUYER, buyer_id=w.ids["buyer_of_order1"])
    w.user("buyer2", Role.BUYER, buyer_id=w.ids["buyer_of_order2"])
    w.user("merchantA", Role.MERCHANT, shop_id=w.ids["shopA"])
    w.user("merchantB", Role.MERCHANT, shop_id=w.ids["shopB"])
    w.user("rev1", Role.REVIEWER, on_shift=True)
    w.user("rev2", Role.REVIEWER, on_shift=True)
    w.user("rev_off", Role.REVIEWER, on_shift=False)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    clock = ManualClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    rt = Runtime.open(settings_for(tmp_path / "home", database_url), clock=clock)
    app = create_app(rt, background=False)
    with TestClient(app) as client:
        w = World(rt=rt, client=client, clock=clock)
        populate(w)
        yield w
    rt.close()
