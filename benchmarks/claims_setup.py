"""Set-up for the claim-submission benchmark: a fresh site (keys, database, shop, SKU with a listing photo,
buyers with one order each) and a ~300 KB phone-like JPEG whose bytes can be made unique per request."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from pydantic import SecretStr
from skimage import data as skdata
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shouhou.accounts import service as accounts
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.claims import catalog, references
from shouhou.config import Settings
from shouhou.privacy.crypto import format_keys, new_key
from shouhou.runtime import Runtime

# An EXIF ImageDescription of fixed length: each request overwrites it in place with its own serial number,
# so content addressing stores every upload apart without re-encoding the JPEG on the client.
MARK = b"shouhou-bench-serial-000000000000"
PHOTO_BYTES = (290_000, 310_000)
PG_ADMIN_URL = os.environ.get(
    "SHOUHOU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Site:
    home: Path
    settings: Settings
    env: dict[str, str]  # the server's environment: the same home, database and keys
    buyers: list[tuple[str, str]] = field(default_factory=list)  # (token, order id) per buyer


def new_site(home: Path, database_url: str | None) -> Site:
    """Settings for a fresh home (keys generated here, passed to the server through its environment)."""
    url = database_url or f"sqlite:///{home / 'shouhou.db'}"
    field_keys = format_keys({"k1": new_key()})
    lookup, audit = new_key().hex(), new_key().hex()
    settings = Settings(home=home, database_url=url, field_keys=SecretStr(field_keys),
                        lookup_key=SecretStr(lookup), audit_key=SecretStr(audit), worker_enabled=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env.update(SHOUHOU_HOME=str(home), SHOUHOU_DATABASE_URL=url, SHOUHOU_FIELD_KEYS=field_keys,
               SHOUHOU_LOOKUP_KEY=lookup, SHOUHOU_AUDIT_KEY=audit)
    return Site(home=home, settings=settings, env=env)


def populate(site: Site, *, buyers: int, listing_jpeg: bytes) -> None:
    """One shop, one SKU with a listing photo, `buyers` buyers with one order and an API token each."""
    rt = Runtime.open(site.settings)
    try:
        user, _ = accounts.create_user(rt, actor=SYSTEM, username="admin", role=Role.ADMIN)
        admin = accounts.principal_of(user)
        plat = catalog.create_platform(rt, actor=admin, name="淘宝 bench")
        shop = catalog.create_shop(rt, actor=admin, platform_id=plat.id, name="bench shop")
        sku = catalog.create_sku(rt, actor=admin, shop_id=shop.id, code="MUG-1", title="咖啡杯 coffee cup",
                                 price_fen=19900)
        references.upload_sku_photos(rt, actor=admin, sku_id=sku.id,
                                  uploads=[catalog.Upload("listing.jpg", listing_jpeg)])
        placed = datetime.now(UTC) - timedelta(days=5)
        for i in range(buyers):
            order = catalog.create_order(
                rt, actor=admin, shop_id=shop.id, platform_order_id=f"TB-bench-{i}",
                buyer=catalog.BuyerInfo(platform_buyer_id=f"tb-bench-{i}", name=f"买家{i}",
                                        phone=f"139{i:08d}"),
                lines=[catalog.OrderLine(sku_id=sku.id, quantity=1, price_fen=19900)],
                placed_at=placed, delivered_at=placed + timedelta(days=3),
            )
            _u, token = accounts.create_user(rt, actor=SYSTEM, username=f"buyer{i}", role=Role.BUYER,
                                             buyer_id=order.buyer_id)
            site.buyers.append((token, order.id))
    finally:
        rt.close()


def _encode(rgb: np.ndarray, quality: int, *, description: bytes | None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0110] = "2201123C"  # Model
    if description is not None:
        exif[0x010E] = description.decode("ascii")  # ImageDescription
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def photo_scene(long_side: int = 1600) -> np.ndarray:
    """scikit-image's coffee photo upscaled to phone-like size, with faint sensor-like noise."""
    rgb = np.asarray(skdata.coffee())  # type: ignore[no-untyped-call]
    h, w = rgb.shape[:2]
    size = (long_side, round(long_side * h / w))
    big = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC), dtype=np.float32)
    noise = np.random.default_rng(7).normal(0, 2.0, big.shape).astype(np.float32)
    return np.asarray(np.clip(big + noise, 0, 255), dtype=np.uint8)


def claim_photo(target: tuple[int, int] = PHOTO_BYTES) -> tuple[bytes, int]:
    """A JPEG of 290–310 KB carrying MARK in its EXIF; returns (bytes, JPEG quality used)."""
    for long_side in (1600, 1280, 2000, 1024, 2400):
        rgb = photo_scene(long_side)
        lo, hi = 30, 98
        while lo <= hi:
            q = (lo + hi) // 2
            jpeg = _encode(rgb, q, description=MARK)
            if len(jpeg) < target[0]:
                lo = q + 1
            elif len(jpeg) > target[1]:
                hi = q - 1
            else:
                assert jpeg.count(MARK) == 1
                return jpeg, q
    raise RuntimeError(f"no size/quality lands a JPEG in {target} bytes")


def listing_photo() -> bytes:
    return _encode(photo_scene(1024), 92, description=None)


def create_scratch_postgres() -> tuple[str, str]:
    """A new, empty database on the local server; returns (its URL, its name)."""
    name = f"shouhou_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name


def drop_scratch_postgres(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()
