"""The merchant's reference photos: listing photos per SKU, packing photos and packing-video frames per order,
written to the evidence store before the transaction that records them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import REFERENCE_KINDS, Upload, may_see_order, require_role
from shouhou.errors import NotFound, ValidationFailed
from shouhou.evidence.image import load_image
from shouhou.evidence.video import extract_frames
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.blobs import StoredBlob
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork


def store_blob(rt: Runtime, uow: UnitOfWork, data: bytes, *, uploader: str, now: datetime) -> t.Blob:
    """Write the encrypted file (before the metadata row that names it commits) and record its metadata."""
    return record_blob(uow, rt.blobs.put(data), uploader=uploader, now=now)


def record_blob(uow: UnitOfWork, stored: StoredBlob, *, uploader: str, now: datetime) -> t.Blob:
    """The metadata row and audit entry of a file already written (durably) to the evidence store."""
    # A file this call created new cannot have a row yet (content addressing), so no lookup is needed.
    add = uow.blobs.add if stored.created else uow.blobs.add_if_absent
    row = add(
        t.Blob(
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
            uploaded_by=uploader,
            created_at=now,
        )
    )
    uow.audit.append(
        at=now,
        actor=uploader,
        action="evidence.uploaded",
        subject_type="blob",
        subject_id=stored.sha256,
        detail={"size": stored.size, "media_type": stored.media_type},
    )
    return row


@dataclass(frozen=True)
class PreparedPhoto:
    """A reference photo checked and written to the evidence store, ready to be recorded."""

    filename: str
    stored: StoredBlob


@dataclass(frozen=True)
class PreparedVideo:
    filename: str
    video: StoredBlob
    frames: tuple[tuple[float, StoredBlob], ...]  # (seconds into the video, frame JPEG)


def prepare_photos(rt: Runtime, uploads: Sequence[Upload]) -> list[PreparedPhoto]:
    """Decode each photo (a precise error for a bad one, before anything is kept), then write them all.
    Runs before the transaction that records them, so no database lock is held across decoding or I/O."""
    for up in uploads:
        load_image(up.data, name=up.filename, limits=rt.settings.limits)
    return [PreparedPhoto(up.filename[:300], rt.blobs.put(up.data)) for up in uploads]


def prepare_video(rt: Runtime, upload: Upload) -> PreparedVideo:
    """Decode a spread of frames from a packing video (FFmpeg through OpenCV); write the video and frames."""
    policy = rt.settings.claims
    # The decoder reads from a file; it goes in a private folder under the home, never the shared /tmp
    # (packing videos show shipping labels).
    scratch = rt.settings.home / "tmp"
    scratch.mkdir(mode=0o700, exist_ok=True)
    frames = extract_frames(
        upload.data, count=policy.video_frames, max_bytes=policy.max_video_bytes, tmp_dir=scratch
    )
    return PreparedVideo(
        filename=upload.filename[:200],
        video=rt.blobs.put(upload.data),
        frames=tuple((frame.seconds, rt.blobs.put(frame.jpeg)) for frame in frames),
    )


def add_reference_photos(
    uow: UnitOfWork,
    *,
    actor: Principal,
    shop_id: str,
    kind: str,
    photos: Sequence[PreparedPhoto],
    now: datetime,
    sku_id: str | None = None,
    order_id: str | None = None,
    claim_id: str | None = None,
) -> list[t.ReferencePhoto]:
    if kind not in REFERENCE_KINDS - {"packing_video_frame"}:
        raise ValidationFailed(f"reference kind must be listing or packing, not {kind!r}")
    rows = []
    for photo in photos:
        blob = record_blob(uow, photo.stored, uploader=actor.user_id, now=now)
        rows.append(
            uow.references.add(
                t.ReferencePhoto(
                    id=new_id("ref"),
                    shop_id=shop_id,
                    sku_id=sku_id,
                    order_id=order_id,
                    claim_id=claim_id,
                    kind=kind,
                    blob_sha256=blob.sha256,
                    filename=photo.filename,
                    uploaded_by=actor.user_id,
                    created_at=now,
                )
            )
        )
    return rows


def add_packing_video(
    uow: UnitOfWork,
    *,
    actor: Principal,
    shop_id: str,
    order_id: str,
    video: PreparedVideo,
    now: datetime,
    claim_id: str | None = None,
) -> list[t.ReferencePhoto]:
    """Record the video itself and its frames as reference photos of the order."""
    record_blob(uow, video.video, uploader=actor.user_id, now=now)
    rows = []
    for seconds, stored in video.frames:
        blob = record_blob(uow, stored, uploader=actor.user_id, now=now)
        rows.append(
            uow.references.add(
                t.ReferencePhoto(
                    id=new_id("ref"),
                    shop_id=shop_id,
                    order_id=order_id,
                    claim_id=claim_id,
                    kind="packing_video_frame",
                    blob_sha256=blob.sha256,
                    video_sha256=video.video.sha256,
                    frame_seconds=round(seconds, 3),
                    filename=f"{video.filename}#t={seconds:.2f}",
                    uploaded_by=actor.user_id,
                    created_at=now,
                )
            )
        )
    return rows


def upload_sku_photos(
    rt: Runtime, *, actor: Principal, sku_id: str, uploads: Sequence[Upload]
) -> list[t.ReferencePhoto]:
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    if not uploads:
        raise ValidationFailed("no photos were uploaded")
    _sku_for(rt, actor, sku_id)  # permission first: nothing is written for a caller who may not
    photos = prepare_photos(rt, uploads)
    now = rt.now()
    with rt.uow(write=True) as uow:
        shop_id = _sku_for(rt, actor, sku_id, uow=uow)
        rows = add_reference_photos(
            uow, actor=actor, shop_id=shop_id, kind="listing", photos=photos, now=now, sku_id=sku_id
        )
        uow.commit()
        return rows


def _sku_for(rt: Runtime, actor: Principal, sku_id: str, *, uow: UnitOfWork | None = None) -> str:
    if uow is None:
        with rt.uow(write=False) as read:
            return _sku_for(rt, actor, sku_id, uow=read)
    sku = uow.skus.get(id=sku_id)
    # Another shop's SKU reads exactly like a missing one (the answer must not name its shop).
    if sku is None or not (
        actor.role is Role.ADMIN or (actor.role is Role.MERCHANT and actor.shop_id == sku.shop_id)
    ):
        raise NotFound(f"SKU {sku_id} not found")
    return sku.shop_id


def _order_for(rt: Runtime, actor: Principal, order_id: str, *, uow: UnitOfWork | None = None) -> t.Order:
    if uow is None:
        with rt.uow(write=False) as read:
            return _order_for(rt, actor, order_id, uow=read)
    order = uow.orders.get(id=order_id)
    if order is None or not may_see_order(actor, order):
        raise NotFound(f"order {order_id} not found")
    return order


def upload_order_references(
    rt: Runtime,
    *,
    actor: Principal,
    order_id: str,
    photos: Sequence[Upload],
    video: Upload | None,
) -> list[t.ReferencePhoto]:
    require_role(actor, Role.ADMIN, Role.MERCHANT)
    if not photos and video is None:
        raise ValidationFailed("no packing photos or video were uploaded")
    _order_for(rt, actor, order_id)
    prepared = prepare_photos(rt, photos)
    prepared_video = prepare_video(rt, video) if video is not None else None
    now = rt.now()
    with rt.uow(write=True) as uow:
        order = _order_for(rt, actor, order_id, uow=uow)
        rows = add_reference_photos(
            uow,
            actor=actor,
            shop_id=order.shop_id,
            kind="packing",
            photos=prepared,
            now=now,
            order_id=order_id,
        )
        if prepared_video is not None:
            rows += add_packing_video(
                uow, actor=actor, shop_id=order.shop_id, order_id=order_id, video=prepared_video, now=now
            )
        uow.commit()
        return rows


