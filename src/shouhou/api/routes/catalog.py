"""What an integrator sets up before claims: platforms, shops and their policy, SKUs with listing photos,
orders with packing photos or a packing video; and corrections to shops, SKUs and orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from shouhou.api.deps import PrincipalDep, RuntimeDep, read_upload
from shouhou.claims import catalog, corrections, references
from shouhou.claims import schemas as s

router = APIRouter(tags=["catalog"])


@router.post("/platforms", status_code=status.HTTP_201_CREATED, response_model=s.PlatformRead)
def create_platform(rt: RuntimeDep, principal: PrincipalDep, body: s.PlatformCreate) -> s.PlatformRead:
    return s.PlatformRead.model_validate(catalog.create_platform(rt, actor=principal, name=body.name))


@router.post("/shops", status_code=status.HTTP_201_CREATED, response_model=s.ShopRead)
def create_shop(rt: RuntimeDep, principal: PrincipalDep, body: s.ShopCreate) -> s.ShopRead:
    shop = catalog.create_shop(
        rt,
        actor=principal,
        platform_id=body.platform_id,
        name=body.name,
        fast_track=body.fast_track,
        fast_track_limit_fen=body.fast_track_limit_fen,
        response_window_hours=body.response_window_hours,
    )
    return s.ShopRead.model_validate(shop)


@router.get("/shops/{shop_id}", response_model=s.ShopRead)
def get_shop(rt: RuntimeDep, principal: PrincipalDep, shop_id: str) -> s.ShopRead:
    return s.ShopRead.model_validate(catalog.get_shop(rt, actor=principal, shop_id=shop_id))


@router.patch("/shops/{shop_id}", response_model=s.ShopRead)
def rename_shop(rt: RuntimeDep, principal: PrincipalDep, shop_id: str, body: s.ShopRename) -> s.ShopRead:
    shop = corrections.rename_shop(rt, actor=principal, shop_id=shop_id, name=body.name)
    return s.ShopRead.model_validate(shop)


@router.put("/shops/{shop_id}/policy", response_model=s.ShopRead)
def set_policy(rt: RuntimeDep, principal: PrincipalDep, shop_id: str, body: s.ShopPolicy) -> s.ShopRead:
    shop = catalog.set_policy(
        rt,
        actor=principal,
        shop_id=shop_id,
        fast_track=body.fast_track,
        fast_track_limit_fen=body.fast_track_limit_fen,
        response_window_hours=body.response_window_hours,
    )
    return s.ShopRead.model_validate(shop)


@router.post("/shops/{shop_id}/skus", status_code=status.HTTP_201_CREATED, response_model=s.SkuRead)
def create_sku(rt: RuntimeDep, principal: PrincipalDep, shop_id: str, body: s.SkuCreate) -> s.SkuRead:
    sku = catalog.create_sku(
        rt, actor=principal, shop_id=shop_id, code=body.code, title=body.title, price_fen=body.price_fen
    )
    return s.SkuRead.model_validate(sku)


@router.get("/skus/{sku_id}", response_model=s.SkuRead)
def get_sku(rt: RuntimeDep, principal: PrincipalDep, sku_id: str) -> s.SkuRead:
    return s.SkuRead.model_validate(corrections.get_sku(rt, actor=principal, sku_id=sku_id))


@router.patch("/skus/{sku_id}", response_model=s.SkuRead)
def update_sku(rt: RuntimeDep, principal: PrincipalDep, sku_id: str, body: s.SkuUpdate) -> s.SkuRead:
    sku = corrections.update_sku(
        rt, actor=principal, sku_id=sku_id, title=body.title, price_fen=body.price_fen
    )
    return s.SkuRead.model_validate(sku)


@router.delete("/skus/{sku_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_sku(rt: RuntimeDep, principal: PrincipalDep, sku_id: str) -> Response:
    corrections.delete_sku(rt, actor=principal, sku_id=sku_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/skus/{sku_id}/reference-photos",
    status_code=status.HTTP_201_CREATED,
    response_model=list[s.ReferenceRead],
)
def upload_listing_photos(
    rt: RuntimeDep,
    principal: PrincipalDep,
    sku_id: str,
    photos: Annotated[list[UploadFile], File()],
) -> list[s.ReferenceRead]:
    uploads = [read_upload(f, rt.settings.limits.max_bytes) for f in photos]
    rows = references.upload_sku_photos(rt, actor=principal, sku_id=sku_id, uploads=uploads)
    return [s.ReferenceRead.model_validate(r) for r in rows]


@router.post("/orders", status_code=status.HTTP_201_CREATED, response_model=s.OrderRead)
def create_order(rt: RuntimeDep, principal: PrincipalDep, body: s.OrderCreate) -> s.OrderRead:
    order = catalog.create_order(
        rt,
        actor=principal,
        shop_id=body.shop_id,
        platform_order_id=body.platform_order_id,
        buyer=catalog.BuyerInfo(**body.buyer.model_dump()),
        lines=[catalog.OrderLine(**i.model_dump()) for i in body.items],
        placed_at=body.placed_at,
        delivered_at=body.delivered_at,
    )
    return _order(rt, principal, order.id)


@router.get("/orders/{order_id}", response_model=s.OrderRead)
def get_order(rt: RuntimeDep, principal: PrincipalDep, order_id: str) -> s.OrderRead:
    return _order(rt, principal, order_id)


@router.patch("/orders/{order_id}", response_model=s.OrderRead)
def update_order(rt: RuntimeDep, principal: PrincipalDep, order_id: str, body: s.OrderUpdate) -> s.OrderRead:
    corrections.update_order(
        rt, actor=principal, order_id=order_id, placed_at=body.placed_at, delivered_at=body.delivered_at
    )
    return _order(rt, principal, order_id)


@router.delete("/orders/{order_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_order(rt: RuntimeDep, principal: PrincipalDep, order_id: str) -> Response:
    corrections.delete_order(rt, actor=principal, order_id=order_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _order(rt: RuntimeDep, principal: PrincipalDep, order_id: str) -> s.OrderRead:
    order, items = catalog.get_order(rt, actor=principal, order_id=order_id)
    return s.OrderRead(
        id=order.id,
        shop_id=order.shop_id,
        buyer_id=order.buyer_id,
        platform_order_id=order.platform_order_id,
        placed_at=order.placed_at,
        delivered_at=order.delivered_at,
        items=[s.OrderItemRead.model_validate(i) for i in items],
    )


@router.post(
    "/orders/{order_id}/reference-photos",
    status_code=status.HTTP_201_CREATED,
    response_model=list[s.ReferenceRead],
)
def upload_packing(
    rt: RuntimeDep,
    principal: PrincipalDep,
    order_id: str,
    photos: Annotated[list[UploadFile] | None, File()] = None,
    video: Annotated[UploadFile | None, File(description="packing video; frames are extracted")] = None,
) -> list[s.ReferenceRead]:
    uploads = [read_upload(f, rt.settings.limits.max_bytes) for f in photos or []]
    vid = read_upload(video, rt.settings.claims.max_video_bytes) if video is not None else None
    rows = references.upload_order_references(
        rt, actor=principal, order_id=order_id, photos=uploads, video=vid
    )
    return [s.ReferenceRead.model_validate(r) for r in rows]
