"""Images for console pages: display copies of evidence and reference photos and the explanation pictures
made at screening (aligned reference, overlay). Every read goes through a service that checks the caller may
see the claim, SKU or order (another person's object is a 404); nothing here serves original bytes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from shouhou.claims import pictures
from shouhou.web.deps import UserPage

router = APIRouter()

# The pictures of a claim never change under one URL (content-addressed or fixed per stored photo);
# private: shared caches must not keep them.
CACHE_CONTROL = "private, max-age=3600"


def _image(media: pictures.Media) -> Response:
    return Response(
        content=media.data,
        media_type=media.media_type,
        headers={"Cache-Control": CACHE_CONTROL, "Content-Disposition": "inline"},
    )


@router.get("/media/claims/{claim_id}/evidence/{evidence_id}")
def evidence_photo(page: UserPage, claim_id: str, evidence_id: str) -> Response:
    return _image(
        pictures.evidence_display(page.rt, actor=page.principal, claim_id=claim_id, evidence_id=evidence_id)
    )


@router.get("/media/claims/{claim_id}/pictures/{sha256}")
def explanation_picture(page: UserPage, claim_id: str, sha256: str) -> Response:
    return _image(pictures.claim_picture(page.rt, actor=page.principal, claim_id=claim_id, sha256=sha256))


@router.get("/media/claims/{claim_id}/references/{photo_id}")
def reference_photo(page: UserPage, claim_id: str, photo_id: str) -> Response:
    return _image(
        pictures.reference_display(page.rt, actor=page.principal, claim_id=claim_id, photo_id=photo_id)
    )


@router.get("/media/claims/{claim_id}/responses/{file_id}")
def response_file(page: UserPage, claim_id: str, file_id: str) -> Response:
    return _image(
        pictures.response_display(page.rt, actor=page.principal, claim_id=claim_id, file_id=file_id)
    )


@router.get("/media/skus/{sku_id}/photos/{photo_id}")
def sku_photo(page: UserPage, sku_id: str, photo_id: str) -> Response:
    return _image(pictures.sku_photo_display(page.rt, actor=page.principal, sku_id=sku_id, photo_id=photo_id))
