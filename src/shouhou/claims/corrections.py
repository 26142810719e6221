"""Corrections to the catalogue: rename a shop, edit or delete a SKU, correct or delete an order. A deletion
is refused (409) while anything a claim or its screening relies on still points at the row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import may_see_order, require_role
from shouhou.claims.states import OPEN_STATES
from shouhou.errors import Conflict, NotFound, ValidationFailed
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.uow import UnitOfWork


def rename_shop(rt: Runtime, *, actor: Principal, shop_id: str, name: str) -> t.Shop:
    require_role(actor, Role.ADMIN)
    if not name.strip():
        raise ValidationFailed("name must not be blank")
    now = rt.now()
    with rt.uow(write=True) as uow:
        shop = uow.shops.lock_or_raise(id=shop_id)
        old = shop.name
        if old == name:
            return shop  # nothing changes, so nothing is recorded
        shop.name = name
        _audit(
            uow, actor, now, "shop.renamed", "shop", shop_id, {"old": {"name": old}, "new": {"name": name}}
        )
        uow.commit()
        return shop


def get_sku(rt: Runtime, *, actor: Principal, sku_id: str) -> t.Sku:
    with rt.uow(write=False) as uow:
        return _visible_sku(uow, actor, sku_id)


def update_sku(
    rt: Runtime, *, actor: Principal, sku_id: str, title: str | None = None, price_fen: int | None = None
) -> t.Sku:
    """Change the title and/or the price; order lines keep the price they were sold at."""
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    if title is None and price_fen is None:
        raise ValidationFailed("nothing to change: send title and/or price_fen")
    if title is not None and not title.strip():
        raise ValidationFailed("title must not be blank")
    if price_fen is not None and price_fen < 0:
        raise ValidationFailed("price_fen must be ≥ 0")
    now = rt.now()
    with rt.uow(write=True) as uow:
        sku = _visible_sku(uow, actor, sku_id, lock=True)
        old: dict[str, object] = {}
        new: dict[str, object] = {}
        if title is not None and title != sku.title:
            old["title"], new["title"] = sku.title, title
            sku.title = title
        if price_fen is not None and price_fen != sku.price_fen:
            old["price_fen"], new["price_fen"] = sku.price_fen, price_fen
            sku.price_fen = price_fen
        if not new:
            return sku
        _audit(uow, actor, now, "sku.updated", "sku", sku_id, {"code": sku.code, "old": old, "new": new})
        uow.commit()
        return sku


def delete_sku(rt: Runtime, *, actor: Principal, sku_id: str) -> None:
    """Delete a SKU no order line names, with its listing-photo rows.

    The photo files stay in the evidence store: it is written once and content-addressed, so a file may also
    be another reference or a buyer's evidence, and the audit entries of its upload name it.
    """
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    now = rt.now()
    with rt.uow(write=True) as uow:
        sku = _visible_sku(uow, actor, sku_id, lock=True)
        lines, orders = uow.skus.order_lines(sku_id=sku_id)
        if lines:
            raise Conflict(
                f"SKU {sku.code!r} ({sku_id}) is on {_n(lines, 'order line')} of {_n(orders, 'order')};"
                " it cannot be deleted"
            )
        refs = uow.references.for_sku(sku_id=sku_id)
        _refuse_if_relied_on(uow, refs, f"SKU {sku.code!r} ({sku_id})")
        detail: dict[str, object] = {
            "shop_id": sku.shop_id,
            "code": sku.code,
            "title": sku.title,
            "price_fen": sku.price_fen,
            "reference_photos": [{"id": r.id, "blob_sha256": r.blob_sha256} for r in refs],
        }
        for ref in refs:
            uow.references.delete(ref)
        uow.skus.delete(sku)
        _audit(uow, actor, now, "sku.deleted", "sku", sku_id, detail)
        uow.commit()


def update_order(
    rt: Runtime,
    *,
    actor: Principal,
    order_id: str,
    placed_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> t.Order:
    """Correct when the order was placed or delivered (the capture check compares photos with delivery).

    Claims already screened keep their screening; the audit entry names the open ones it may concern.
    """
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    if placed_at is None and delivered_at is None:
        raise ValidationFailed("nothing to change: send placed_at and/or delivered_at")
    for field, value in (("placed_at", placed_at), ("delivered_at", delivered_at)):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValidationFailed(f"{field} must carry a time zone (e.g. +08:00)")
    now = rt.now()
    with rt.uow(write=True) as uow:
        order = _visible_order(uow, actor, order_id, lock=True)
        placed = placed_at if placed_at is not None else order.placed_at
        delivered = delivered_at if delivered_at is not None else order.delivered_at
        if delivered is not None and delivered < placed:
            raise ValidationFailed(
                f"delivered_at ({_iso(delivered)}) would be before placed_at ({_iso(placed)})"
            )
        old: dict[str, object] = {}
        new: dict[str, object] = {}
        if placed_at is not None and placed_at != order.placed_at:
            old["placed_at"], new["placed_at"] = _iso(order.placed_at), _iso(placed_at)
            order.placed_at = placed_at
        if delivered_at is not None and delivered_at != order.delivered_at:
            old["delivered_at"] = _iso(order.delivered_at) if order.delivered_at else None
            new["delivered_at"] = _iso(delivered_at)
            order.delivered_at = delivered_at
        if not new:
            return order
        open_claims = [c.id for c in uow.claims.for_order(order_id=order_id) if c.state in OPEN_STATES]
        detail: dict[str, object] = {"old": old, "new": new, "open_claims": open_claims}
        if open_claims:
            detail["note"] = (
                "changed while claims on this order are open; their screenings were not run again"
            )
        _audit(uow, actor, now, "order.updated", "order", order_id, detail)
        uow.commit()
        return order


def delete_order(rt: Runtime, *, actor: Principal, order_id: str) -> None:
    """Delete an order no claim was filed on, with its lines and packing-reference rows. The buyer stays (a
    buyer account spans orders) and so do the files in the evidence store."""
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    now = rt.now()
    with rt.uow(write=True) as uow:
        order = _visible_order(uow, actor, order_id, lock=True)
        claims = uow.claims.for_order(order_id=order_id)
        if claims:
            ids = ", ".join(c.id for c in claims[:5]) + (", …" if len(claims) > 5 else "")
            raise Conflict(
                f"order {order.platform_order_id!r} ({order_id}) has {_n(len(claims), 'claim')} ({ids});"
                " it cannot be deleted"
            )
        refs = uow.references.for_order(order_id=order_id)
        _refuse_if_relied_on(uow, refs, f"order {order.platform_order_id!r} ({order_id})")
        items = uow.orders.items(order_id=order_id)
        detail: dict[str, object] = {
            "shop_id": order.shop_id,
            "buyer_id": order.buyer_id,
            "platform_order_id": order.platform_order_id,
            "placed_at": _iso(order.placed_at),
            "delivered_at": _iso(order.delivered_at) if order.delivered_at else None,
            "items": [{"sku_id": i.sku_id, "quantity": i.quantity, "price_fen": i.price_fen} for i in items],
            "reference_photos": [{"id": r.id, "blob_sha256": r.blob_sha256} for r in refs],
        }
        for ref in refs:
            uow.references.delete(ref)
        uow.orders.delete_items(order_id=order_id)
        uow.orders.delete(order)
        _audit(uow, actor, now, "order.deleted", "order", order_id, detail)
        uow.commit()


def _refuse_if_relied_on(uow: UnitOfWork, refs: Sequence[t.ReferencePhoto], what: str) -> None:
    """A reference sent with a claim, or one a screening found a claim photo derived from, is part of that
    claim's record and must outlive the SKU or order it was filed under."""
    sent = sorted({r.claim_id for r in refs if r.claim_id is not None})
    if sent:
        raise Conflict(f"{what} has reference photos sent with claim {', '.join(sent)}; it cannot be deleted")
    matched = uow.screenings.matching_references(reference_ids=[r.id for r in refs])
    if matched:
        claims = ", ".join(sorted({s.claim_id for s in matched}))
        raise Conflict(
            f"{what} has reference photos that screenings of claim {claims} matched; it cannot be deleted"
        )


def _visible_sku(uow: UnitOfWork, actor: Principal, sku_id: str, *, lock: bool = False) -> t.Sku:
    """The SKU if the caller may see it; another shop's SKU reads exactly like a missing one."""
    sku = uow.skus.get(id=sku_id)
    if sku is None or not (
        actor.role is Role.ADMIN or (actor.role is Role.MERCHANT and actor.shop_id == sku.shop_id)
    ):
        raise NotFound(f"SKU {sku_id} not found")
    return uow.skus.lock_or_raise(id=sku_id) if lock else sku


def _visible_order(uow: UnitOfWork, actor: Principal, order_id: str, *, lock: bool) -> t.Order:
    order = uow.orders.get(id=order_id)
    if order is None or not may_see_order(actor, order):
        raise NotFound(f"order {order_id} not found")
    return uow.orders.lock_or_raise(id=order_id) if lock else order


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


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
