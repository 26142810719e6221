"""Reads for people's own lists: a buyer's orders (to file a claim from), a shop's SKUs with their listing
photos. Each is scoped to the caller: a buyer sees only their orders, merchant staff only their shop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import may_see_order, require_role, require_shop
from shouhou.errors import NotFound
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.uow import UnitOfWork


@dataclass(frozen=True)
class OrderLineView:
    sku_id: str
    title: str
    quantity: int
    price_fen: int


@dataclass(frozen=True)
class OrderView:
    order: t.Order
    lines: Sequence[OrderLineView]
    total_fen: int


@dataclass(frozen=True)
class SkuView:
    sku: t.Sku
    photos: Sequence[t.ReferencePhoto]


def _view(uow: UnitOfWork, order: t.Order) -> OrderView:
    lines = []
    for item in uow.orders.items(order_id=order.id):
        sku = uow.skus.get(id=item.sku_id)
        lines.append(
            OrderLineView(
                sku_id=item.sku_id,
                title=sku.title if sku else item.sku_id,
                quantity=item.quantity,
                price_fen=item.price_fen,
            )
        )
    return OrderView(order=order, lines=lines, total_fen=sum(x.price_fen * x.quantity for x in lines))


def list_buyer_orders(
    rt: Runtime, *, actor: Principal, offset: int = 0, limit: int = 50
) -> tuple[list[OrderView], int]:
    """The signed-in buyer's own orders, newest first (a buyer account with no buyer record has none)."""
    require_role(actor, Role.BUYER)
    if actor.buyer_id is None:
        return [], 0
    with rt.uow(write=False) as uow:
        rows, total = uow.orders.for_buyer(buyer_id=actor.buyer_id, offset=offset, limit=limit)
        return [_view(uow, o) for o in rows], total


def get_order_view(rt: Runtime, *, actor: Principal, order_id: str) -> OrderView:
    """One order with its lines and total; another person's order is a 404."""
    with rt.uow(write=False) as uow:
        order = uow.orders.get(id=order_id)
        if order is None or not may_see_order(actor, order):
            raise NotFound(f"order {order_id} not found")
        return _view(uow, order)


def list_shop_skus(rt: Runtime, *, actor: Principal, shop_id: str) -> list[SkuView]:
    """A shop's SKUs with their listing photos (merchant staff of that shop, or an admin)."""
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    require_shop(actor, shop_id)
    with rt.uow(write=False) as uow:
        return [
            SkuView(sku=sku, photos=[p for p in uow.references.for_sku(sku_id=sku.id) if p.kind == "listing"])
            for sku in uow.skus.for_shop(shop_id=shop_id)
        ]
