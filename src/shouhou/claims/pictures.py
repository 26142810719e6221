"""Pictures a reviewer looks at: made when a photo is screened (display copy, aligned reference, overlay),
kept encrypted in the evidence store and listed in the screening's stored result as `pictures`; and the
reads behind the console's /media routes, each checking that the caller may see the claim, SKU or order.

Display copies carry pixels only (orientation applied, metadata stripped), so serving them is not audited;
the original bytes stay behind `service.evidence_bytes`, which is."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import require_shop
from shouhou.claims.imaging import Made, display_copy, explain
from shouhou.claims.references import record_blob
from shouhou.claims.service import visible_or_raise
from shouhou.errors import NotFound
from shouhou.evidence.item import Evidence
from shouhou.evidence.pipeline import Screening as EngineScreening
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.blobs import StoredBlob, media_type_of
from shouhou.storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CACHE_BYTES: Final = 48 * 1024 * 1024


@dataclass(frozen=True)
class Picture:
    """One entry of a screening's `pictures`."""

    kind: str
    title: str
    sha256: str
    width: int
    height: int
    media_type: str


@dataclass(frozen=True)
class Media:
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Prepared:
    """A picture written to the evidence store before the transaction that lists it."""

    made: Made
    stored: StoredBlob


# ----- at screening time


def prepare(rt: Runtime, item: Evidence, result: EngineScreening) -> list[Prepared]:
    """Make and write the pictures of one screened photo; a failure here never fails the screening (the
    page falls back to a display copy made on demand)."""
    try:
        made = explain(item, result)
        return [Prepared(m, rt.blobs.put(m.data)) for m in made]
    except Exception:  # pictures explain a verdict; losing them must not lose the verdict
        log.exception("pictures of %s not made", item.image.name)
        return []


def record(uow: UnitOfWork, prepared: Sequence[Prepared], *, now: datetime) -> list[dict[str, Any]]:
    """Blob rows for the written pictures; returns the `pictures` list for the screening's result."""
    out = []
    for p in prepared:
        record_blob(uow, p.stored, uploader="system", now=now)
        out.append(
            {
                "kind": p.made.kind,
                "title": p.made.title,
                "sha256": p.stored.sha256,
                "width": p.made.width,
                "height": p.made.height,
                "media_type": p.made.media_type,
            }
        )
    return out


def pictures_of(screening: t.Screening) -> list[Picture]:
    """The pictures listed in a stored screening (none for screenings made before pictures existed)."""
    rows = screening.result.get("pictures") if isinstance(screening.result, dict) else None
    out = []
    for p in rows or ():
        try:
            out.append(
                Picture(
                    kind=str(p["kind"]),
                    title=str(p.get("title", "")),
                    sha256=str(p["sha256"]),
                    width=int(p["width"]),
                    height=int(p["height"]),
                    media_type=str(p.get("media_type") or "image/jpeg"),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def by_kind(screening: t.Screening | None) -> dict[str, Picture]:
    return {p.kind: p for p in pictures_of(screening)} if screening is not None else {}


# ----- display copies made on demand, kept in a small in-process cache


class _Cache:
    """Display copies by source sha256, least recently used out first, bounded in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Made] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Made | None:
        with self._lock:
            made = self._items.get(key)
            if made is not None:
                self._items.move_to_end(key)
            return made

    def put(self, key: str, made: Made) -> None:
        if len(made.data) > self.limit // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = made
            self._size += len(made.data)
            while self._size > self.limit:
                _k, old = self._items.popitem(last=False)
                self._size -= len(old.data)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


_CACHE = _Cache(CACHE_BYTES)


def display_of(rt: Runtime, sha256: str) -> Media:
    """A display copy of a stored photo; call only after the caller's right to see it was checked."""
    made = _CACHE.get(sha256)
    if made is None:
        made = display_copy(rt.blobs.get(sha256), limits=rt.settings.limits)
        _CACHE.put(sha256, made)
    return Media(made.data, made.media_type)


def _stored(rt: Runtime, picture: Picture) -> Media:
    data = rt.blobs.get(picture.sha256)
    return Media(data, picture.media_type if picture.media_type.startswith("image/") else media_type_of(data))


# ----- reads for the /media routes


def evidence_display(rt: Runtime, *, actor: Principal, claim_id: str, evidence_id: str) -> Media:
    """The display copy of one evidence photo: the one stored at screening, else one made now."""
    with rt.uow(write=False) as uow:
        visible_or_raise(uow, actor, claim_id)
        ev = uow.evidence.get(id=evidence_id)
        if ev is None or ev.claim_id != claim_id:
            raise NotFound(f"evidence {evidence_id} not found")
        current = [s for s in uow.screenings.current_for_claim(claim_id=claim_id) if s.evidence_id == ev.id]
        blob_sha = ev.blob_sha256
    stored = by_kind(current[0] if current else None).get("display")
    if stored is not None:
        try:
            return _stored(rt, stored)
        except NotFound:
            log.warning("display copy of evidence %s missing from the store; making one", evidence_id)
    return display_of(rt, blob_sha)


def claim_picture(rt: Runtime, *, actor: Principal, claim_id: str, sha256: str) -> Media:
    """An explanation picture (display copy, aligned reference, overlay) of one of the claim's screenings."""
    with rt.uow(write=False) as uow:
        visible_or_raise(uow, actor, claim_id)
        listed = {
            p.sha256: p for s in uow.screenings.current_for_claim(claim_id=claim_id) for p in pictures_of(s)
        }
    picture = listed.get(sha256)
    if picture is None:
        raise NotFound(f"picture {sha256[:12]} not found")
    return _stored(rt, picture)


def _claim_reference(uow: UnitOfWork, claim: t.Claim, photo_id: str) -> t.ReferencePhoto:
    ref = uow.references.get(id=photo_id)
    if ref is None or ref.shop_id != claim.shop_id:
        raise NotFound(f"reference photo {photo_id} not found")
    skus = {i.sku_id for i in uow.orders.items(order_id=claim.order_id)}
    if ref.order_id != claim.order_id and (ref.sku_id is None or ref.sku_id not in skus):
        raise NotFound(f"reference photo {photo_id} not found")
    return ref


def reference_display(rt: Runtime, *, actor: Principal, claim_id: str, photo_id: str) -> Media:
    """A reference photo of the claim's order or SKUs (listing, packing photo, packing-video frame)."""
    with rt.uow(write=False) as uow:
        claim = visible_or_raise(uow, actor, claim_id)
        sha = _claim_reference(uow, claim, photo_id).blob_sha256
    return display_of(rt, sha)


def response_display(rt: Runtime, *, actor: Principal, claim_id: str, file_id: str) -> Media:
    """The merchant's counter-evidence sent with this claim (packing photos, frames of a packing video)."""
    with rt.uow(write=False) as uow:
        claim = visible_or_raise(uow, actor, claim_id)
        ref = _claim_reference(uow, claim, file_id)
        if ref.claim_id != claim_id:
            raise NotFound(f"counter-evidence {file_id} not found")
        sha = ref.blob_sha256
    return display_of(rt, sha)


def sku_photo_display(rt: Runtime, *, actor: Principal, sku_id: str, photo_id: str) -> Media:
    """A SKU's listing photo, for the shop's own staff and admins (another shop's SKU is a 404)."""
    if actor.role not in (Role.ADMIN, Role.MERCHANT):
        raise NotFound(f"SKU {sku_id} not found")
    with rt.uow(write=False) as uow:
        sku = uow.skus.get(id=sku_id)
        if sku is None:
            raise NotFound(f"SKU {sku_id} not found")
        require_shop(actor, sku.shop_id)
        ref = uow.references.get(id=photo_id)
        if ref is None or ref.sku_id != sku_id:
            raise NotFound(f"reference photo {photo_id} not found")
        sha = ref.blob_sha256
    return display_of(rt, sha)
