"""What claims hang on: platforms, shops and their policy, SKUs, buyers (personal data encrypted), orders and
the merchant's reference photos (listing photos per SKU; packing photos and video frames per order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shouhou.privacy.mask import mask_name, mask_phone, normalise_phone
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

REFERENCE_KINDS = frozenset({"listing", "packing", "packing_video_frame"})


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def require_role(actor: Principal, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(f"the {actor.role.value} role may not do this")


def require_shop(actor: Principal, shop_id: str) -> None:
    """Admins act on any shop; merchant staff only on their own (another shop is invisible: 404)."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.MERCHANT and actor.shop_id == shop_id:
        return
    raise NotFound(f"shop {shop_id} not found")


def create_platform(rt: Runtime, *, actor: Principal, name: str) -> t.Platform:
    require_role(actor, Role.ADMIN)
    now = rt.now()
    with rt.uow(write=True) as uow:
        if uow.platforms.by_name(name=name) is not None:
            raise Conflict(f"platform {name!r} exists already")
        row = uow.platforms.add(t.Platform(id=new_id("plt"), name=name, created_at=now))
        _audit(uow, actor, now, "platform.created", "platform", row.id, {"name": name})
        uow.commit()
        return row


def create_shop(
    rt: Runtime,
    *,
    actor: Principal,
    platform_id: str,
    name: str,
    fast_track: bool = False,
    fast_track_limit_fen: int = 0,
    response_window_hours: float | None = None,
) -> t.Shop:
    require_role(actor, Role.ADMIN)
    _check_policy(fast_track_limit_fen, response_window_hours)
    now = rt.now()
    with rt.uow(write=True) as uow:
        uow.platforms.get_or_raise(id=platform_id)
        row = uow.shops.add(
            t.Shop(
                id=new_id("shp"),
                platform_id=platform_id,
                name=name,
                fast_track=fast_track,
                fast_track_limit_fen=fast_track_limit_fen,
                response_window_hours=response_window_hours,
                created_at=now,
            )
        )
        _audit(uow, actor, now, "shop.created", "shop", row.id, {"name": name, "fast_track": fast_track})
        uow.commit()
        return row


def set_policy(
    rt: Runtime,
    *,
    actor: Principal,
    shop_id: str,
    fast_track: bool,
    fast_track_limit_fen: int,
    response_window_hours: float | None,
) -> t.Shop:
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    require_shop(actor, shop_id)
    _check_policy(fast_track_limit_fen, response_window_hours)
    now = rt.now()
    with rt.uow(write=True) as uow:
        shop = uow.shops.lock_or_raise(id=shop_id)
        shop.fast_track, shop.fast_track_limit_fen = fast_track, fast_track_limit_fen
        shop.response_window_hours = response_window_hours
        _audit(
            uow,
            actor,
            now,
            "shop.policy",
            "shop",
            shop_id,
            {
                "fast_track": fast_track,
                "fast_track_limit_fen": fast_track_limit_fen,
                "response_window_hours": response_window_hours,
            },
        )
        uow.commit()
        return shop


def _check_policy(limit_fen: int, hours: float | None) -> None:
    if limit_fen < 0:
        raise ValidationFailed("fast_track_limit_fen must be ≥ 0")
    if hours is not None and not 1 <= hours <= 24 * 14:
        raise ValidationFailed("response_window_hours must be between 1 and 336")


def get_shop(rt: Runtime, *, actor: Principal, shop_id: str) -> t.Shop:
    require_shop(actor, shop_id)
    with rt.uow(write=False) as uow:
        return uow.shops.get_or_raise(id=shop_id)


def create_sku(
    rt: Runtime, *, actor: Principal, shop_id: str, code: str, title: str, price_fen: int
) -> t.Sku:
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    require_shop(actor, shop_id)
    if price_fen < 0:
        raise ValidationFailed("price_fen must be ≥ 0")
    now = rt.now()
    with rt.uow(write=True) as uow:
        uow.shops.get_or_raise(id=shop_id)
        if uow.skus.by_code(shop_id=shop_id, code=code) is not None:
            raise Conflict(f"SKU {code!r} exists already in this shop")
        row = uow.skus.add(
            t.Sku(
                id=new_id("sku"), shop_id=shop_id, code=code, title=title, price_fen=price_fen, created_at=now
            )
        )
        _audit(uow, actor, now, "sku.created", "sku", row.id, {"code": code})
        uow.commit()
        return row


@dataclass(frozen=True)
class BuyerInfo:
    platform_buyer_id: str
    name: str
    phone: str
    address: str | None = None


@dataclass(frozen=True)
class OrderLine:
    sku_id: str
    quantity: int
    price_fen: int


def upsert_buyer(
    rt: Runtime, uow: UnitOfWork, *, platform_id: str, info: BuyerInfo, now: datetime
) -> t.Buyer:
    """The buyer account for (platform, platform buyer id); personal fields encrypted, phone keyed-hashed."""
    phone = normalise_phone(info.phone)
    if not 6 <= len(phone) <= 15:
        raise ValidationFailed("buyer phone must have 6–15 digits")
    if not info.name.strip():
        raise ValidationFailed("buyer name is required")
    ring = rt.keys.fields
    existing = uow.buyers.by_platform_id(platform_id=platform_id, platform_buyer_id=info.platform_buyer_id)
    if existing is not None:
        return existing
    return uow.buyers.add(
        t.Buyer(
            id=new_id("byr"),
            platform_id=platform_id,
            platform_buyer_id=info.platform_buyer_id,
            person_key=rt.keys.phone_key(phone),
            name_enc=ring.encrypt_field(info.name.strip(), context="buyers.name"),
            phone_enc=ring.encrypt_field(phone, context="buyers.phone"),
            address_enc=ring.encrypt_field(info.address, context="buyers.address") if info.address else None,
            phone_masked=mask_phone(phone),
            name_masked=mask_name(info.name),
            created_at=now,
        )
    )


def rotate_personal_fields(rt: Runtime, *, batch: int = 500) -> tuple[int, int]:
    """Re-encrypt buyers' personal fields under the newest key; returns (buyers seen, fields rewritten).

    Evidence files are never rewritten (nothing stored is overwritten): they stay readable as long as their
    key stays in the ring (`StoredBlob` names the key).
    """
    ring = rt.keys.fields
    with rt.uow(write=False) as uow:
        ids = list(uow.buyers.ids())
    rewritten = 0
    for start in range(0, len(ids), batch):
        now = rt.now()
        with rt.uow(write=True) as uow:
            for buyer_id in ids[start : start + batch]:
                b = uow.buyers.lock_or_raise(id=buyer_id)
                for column in ("name_enc", "phone_enc", "address_enc"):
                    token = getattr(b, column)
                    if token is None:
                        continue
                    fresh = ring.rotate_field(token, context=f"buyers.{column.removesuffix('_enc')}")
                    if fresh != token:
                        setattr(b, column, fresh)
                        rewritten += 1
            uow.audit.append(
                at=now,
                actor="system",
                action="keys.rotated",
                subject_type="buyers",
                subject_id=f"{start}-{start + batch}",
                detail={"key": ring.current_kid},
            )
            uow.commit()
    return len(ids), rewritten


def create_order(
    rt: Runtime,
    *,
    actor: Principal,
    shop_id: str,
    platform_order_id: str,
    buyer: BuyerInfo,
    lines: Sequence[OrderLine],
    placed_at: datetime,
    delivered_at: datetime | None,
) -> t.Order:
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    require_shop(actor, shop_id)
    if not lines:
        raise ValidationFailed("an order needs at least one item")
    if any(line.quantity < 1 or line.price_fen < 0 for line in lines):
        raise ValidationFailed("order items need quantity ≥ 1 and price_fen ≥ 0")
    if delivered_at is not None and delivered_at < placed_at:
        raise ValidationFailed("delivered_at is before placed_at")
    now = rt.now()
    with rt.uow(write=True) as uow:
        shop = uow.shops.get_or_raise(id=shop_id)
        for line in lines:
            sku = uow.skus.get(id=line.sku_id)
            if sku is None or sku.shop_id != shop_id:
                raise ValidationFailed(f"SKU {line.sku_id} is not a SKU of this shop")
        b = upsert_buyer(rt, uow, platform_id=shop.platform_id, info=buyer, now=now)
        order = uow.orders.add(
            t.Order(
                id=new_id("ord"),
                shop_id=shop_id,
                buyer_id=b.id,
                platform_order_id=platform_order_id,
                placed_at=placed_at,
                delivered_at=delivered_at,
                created_at=now,
            )
        )
        uow.flush()
        for line in lines:
            uow.orders.add_item(
                t.OrderItem(
                    order_id=order.id, sku_id=line.sku_id, quantity=line.quantity, price_fen=line.price_fen
                )
            )
        _audit(uow, actor, now, "order.created", "order", order.id, {"buyer_id": b.id, "items": len(lines)})
        uow.commit()
        return order


def order_total(uow: UnitOfWork, order_id: str) -> int:
    return sum(i.price_fen * i.quantity for i in uow.orders.items(order_id=order_id))


def get_order(rt: Runtime, *, actor: Principal, order_id: str) -> tuple[t.Order, Sequence[t.OrderItem]]:
    with rt.uow(write=False) as uow:
        order = uow.orders.get(id=order_id)
        if order is None or not may_see_order(actor, order):
            raise NotFound(f"order {order_id} not found")
        return order, uow.orders.items(order_id=order_id)


def may_see_order(actor: Principal, order: t.Order) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.MERCHANT:
        return actor.shop_id == order.shop_id
    if actor.role is Role.BUYER:
        return actor.buyer_id == order.buyer_id
    return False


def _audit(
    uow: UnitOfWork,
    actor: Principal,
    now: datetime,
    action: str,
    kind: str,
    subject: str,
    detail: dict[str, object],
) -> None:
    uow.audit.append(
        at=now, actor=actor.user_id, action=action, subject_type=kind, subject_id=subject, detail=detail
    )


# ----- admin lists


@dataclass(frozen=True)
class PlatformRow:
    platform: t.Platform
    shops: int


@dataclass(frozen=True)
class ShopRow:
    shop: t.Shop
    platform: str  # the platform's name
    skus: int


def list_platforms(rt: Runtime, *, actor: Principal) -> list[PlatformRow]:
    """Every platform with its number of shops (admin)."""
    require_role(actor, Role.ADMIN)
    with rt.uow(write=False) as uow:
        platforms = uow.platforms.all()
        per_platform = uow.shops.counts_by_platform()
    return [PlatformRow(platform=p, shops=per_platform.get(p.id, 0)) for p in platforms]


def list_shops(
    rt: Runtime, *, actor: Principal, offset: int = 0, limit: int = 50
) -> tuple[list[ShopRow], int]:
    """Shops with their platform's name and number of SKUs (admin)."""
    require_role(actor, Role.ADMIN)
    with rt.uow(write=False) as uow:
        shops, total = uow.shops.list(offset=offset, limit=limit)
        names = {p.id: p.name for p in uow.platforms.all()}
        skus = uow.skus.counts(shop_ids=[s.id for s in shops])
    rows = [
        ShopRow(shop=s, platform=names.get(s.platform_id, s.platform_id), skus=skus.get(s.id, 0))
        for s in shops
    ]
    return rows, total
