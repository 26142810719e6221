"""Merchant back office: my shop's claims; one claim with its screening summary and the response forms
(accept, or dispute with packing photos and/or a packing video; contest an automatic approval; appeal); the
shop's SKUs with their listing photos; the fast-track policy. The services scope everything to the principal's
shop: another shop's claim is a 404, and the buyer's contact details are only ever shown masked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.api.deps import read_upload
from shouhou.claims import catalog, orders, process, references, service
from shouhou.claims.states import ClaimState
from shouhou.storage import tables as t
from shouhou.web.deps import UserPage, require_role
from shouhou.web.pages.buyer import appeal_open, fen_to_yuan, reference_url, uploads, yuan_to_fen
from shouhou.web.render import Page

router = APIRouter()

PAGE_SIZE = 50
NEEDS_RESPONSE = ClaimState.AWAITING_MERCHANT.value
FILTERS = ("needs_response", "all", *(s.value for s in ClaimState))


def _merchant(page: Page) -> Principal:
    return require_role(page, Role.MERCHANT)


def _shop(me: Principal) -> str:
    return me.shop_id or "-"  # staff without a shop see nothing (the services answer 404)


def main_reasons(
    rows: Sequence[tuple[t.Screening, Sequence[t.ScreeningSignal]]],
) -> list[tuple[str, str, str]]:
    """The flagged findings of the current screenings, most severe first: (signal, severity, summary)."""
    order = {"high": 0, "medium": 1, "low": 2}
    found = {
        (s.signal, s.severity, s.summary)
        for _scr, signals in rows
        for s in signals
        if s.flagged and s.status != "failed"
    }
    return sorted(found, key=lambda x: (order.get(x[1], 3), x[0]))


def contest_open(view: service.ClaimView, now: datetime) -> bool:
    """An automatic (fast-track) decision may be contested while its window runs (the service checks)."""
    claim = view.claim
    last = view.decisions[-1] if view.decisions else None
    return (
        claim.state == ClaimState.DECIDED.value
        and last is not None
        and last.automated
        and (claim.deadline_at is None or now <= claim.deadline_at)
    )


def may_appeal(view: service.ClaimView, now: datetime) -> bool:
    """A reviewer's decision may be appealed by the merchant too (an automatic one is contested instead, and
    the merchant's own acceptance is final)."""
    last = view.decisions[-1] if view.decisions else None
    return (
        appeal_open(view.claim, now) and last is not None and not last.automated and last.stage != "merchant"
    )


# ----- claims


@router.get("/merchant")
def my_claims(page: UserPage, state: str = "needs_response", offset: int = 0) -> Response:
    me = _merchant(page)
    if state not in FILTERS:
        state = "needs_response"
    wanted = {"needs_response": NEEDS_RESPONSE, "all": None}.get(state, state)
    offset = max(offset, 0)
    rows, total = service.list_claims(
        page.rt, actor=me, state=wanted, risk=None, offset=offset, limit=PAGE_SIZE
    )
    return page.render(
        "merchant/claims.html",
        title=page._("My shop's claims"),
        claims=rows,
        total=total,
        state=state,
        states=[s.value for s in ClaimState],
        offset=offset,
        page_size=PAGE_SIZE,
    )


@router.get("/merchant/claims/{claim_id}")
def claim_page(page: UserPage, claim_id: str) -> Response:
    me = _merchant(page)
    view = service.get_claim(page.rt, actor=me, claim_id=claim_id)
    contact = service.buyer_contact(page.rt, actor=me, claim_id=claim_id, reveal=False)
    screenings = service.screening_signals(page.rt, actor=me, claim_id=claim_id)
    order = orders.get_order_view(page.rt, actor=me, order_id=view.claim.order_id)
    claim = view.claim
    now = page.rt.now()
    return page.render(
        "merchant/claim.html",
        title=page._("Claim %(id)s") % {"id": claim.id},
        view=view,
        claim=claim,
        order=order,
        contact=contact,
        photos=[e for e in view.evidence if e.party == "buyer"],
        counter=[r for r in view.references if r.claim_id == claim.id],
        listing=[r for r in view.references if r.kind == "listing"],
        reference_url=reference_url,
        reasons=main_reasons(screenings),
        screening_errors=[s.error for s, _sig in screenings if s.error],
        screened=bool(screenings),
        decision=view.decisions[-1] if view.decisions else None,
        can_respond=claim.state == NEEDS_RESPONSE,
        can_contest=contest_open(view, now),
        can_appeal=may_appeal(view, now),
        max_photos=page.rt.settings.claims.max_photos,
    )


@router.get("/merchant/claims/{claim_id}/{action}")
def back_to_claim(page: UserPage, claim_id: str, action: str) -> Response:
    """An action's address opened directly (or an error sent back to it): show the claim instead."""
    _merchant(page)
    return RedirectResponse(f"/merchant/claims/{claim_id}", status_code=303)


@router.post("/merchant/claims/{claim_id}/accept")
def accept(page: UserPage, claim_id: str, statement: Annotated[str, Form(max_length=4000)] = "") -> Response:
    me = _merchant(page)
    process.merchant_respond(page.rt, actor=me, claim_id=claim_id, action="accept", note=statement)
    return page.redirect(
        f"/merchant/claims/{claim_id}", flash=page._("Accepted: the buyer is refunded as asked.")
    )


@router.post("/merchant/claims/{claim_id}/dispute")
def dispute(
    page: UserPage,
    claim_id: str,
    statement: Annotated[str, Form(max_length=4000)] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    video: Annotated[UploadFile | None, File()] = None,
) -> Response:
    me = _merchant(page)
    if not statement.strip():
        return page.redirect(
            f"/merchant/claims/{claim_id}", error=page._("Say why you dispute the claim: it is required.")
        )
    vid = (
        read_upload(video, page.rt.settings.claims.max_video_bytes)
        if video is not None and video.filename
        else None
    )
    process.merchant_respond(
        page.rt,
        actor=me,
        claim_id=claim_id,
        action="dispute",
        note=statement,
        photos=uploads(page, photos),
        video=vid,
    )
    return page.redirect(
        f"/merchant/claims/{claim_id}",
        flash=page._("Dispute sent. A platform reviewer decides, with your evidence beside the buyer's."),
    )


@router.post("/merchant/claims/{claim_id}/contest")
def contest(page: UserPage, claim_id: str, statement: Annotated[str, Form(max_length=4000)] = "") -> Response:
    me = _merchant(page)
    if not statement.strip():
        return page.redirect(
            f"/merchant/claims/{claim_id}", error=page._("Say why you contest the decision: it is required.")
        )
    process.merchant_respond(page.rt, actor=me, claim_id=claim_id, action="contest", note=statement)
    return page.redirect(
        f"/merchant/claims/{claim_id}", flash=page._("Contested: a platform reviewer looks at the claim.")
    )


@router.post("/merchant/claims/{claim_id}/appeal")
def appeal(page: UserPage, claim_id: str, reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    me = _merchant(page)
    if not reason.strip():
        return page.redirect(
            f"/merchant/claims/{claim_id}", error=page._("Say why you appeal: the reason is required.")
        )
    process.appeal(page.rt, actor=me, claim_id=claim_id, reason=reason)
    return page.redirect(
        f"/merchant/claims/{claim_id}",
        flash=page._("Appeal sent. A different reviewer will decide the claim again."),
    )


# ----- SKUs and reference photos


@router.get("/merchant/skus")
def skus(page: UserPage) -> Response:
    me = _merchant(page)
    views = orders.list_shop_skus(page.rt, actor=me, shop_id=_shop(me))
    return page.render("merchant/skus.html", title=page._("Reference photos"), skus=views)


@router.post("/merchant/skus/{sku_id}/photos")
def upload_sku_photos(
    page: UserPage, sku_id: str, photos: Annotated[list[UploadFile] | None, File()] = None
) -> Response:
    me = _merchant(page)
    rows = references.upload_sku_photos(page.rt, actor=me, sku_id=sku_id, uploads=uploads(page, photos))
    return page.redirect("/merchant/skus", flash=page._("%(n)d reference photo(s) added.") % {"n": len(rows)})


@router.get("/merchant/skus/{sku_id}/photos")
def back_to_skus(page: UserPage, sku_id: str) -> Response:
    _merchant(page)
    return RedirectResponse("/merchant/skus", status_code=303)


# ----- fast-track policy


@router.get("/merchant/policy")
def policy(page: UserPage) -> Response:
    me = _merchant(page)
    shop = catalog.get_shop(page.rt, actor=me, shop_id=_shop(me))
    return page.render(
        "merchant/policy.html",
        title=page._("Fast-track policy"),
        shop=shop,
        limit=fen_to_yuan(shop.fast_track_limit_fen),
        hours="" if shop.response_window_hours is None else f"{shop.response_window_hours:g}",
        default_hours=f"{page.rt.settings.claims.merchant_response_hours:g}",
    )


@router.post("/merchant/policy")
def set_policy(
    page: UserPage,
    limit: Annotated[str, Form(max_length=30)] = "0",
    hours: Annotated[str, Form(max_length=10)] = "",
    fast_track: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    me = _merchant(page)
    limit_fen = 0 if limit.strip() in ("", "0") else yuan_to_fen(limit)
    if limit_fen is None:
        return page.redirect("/merchant/policy", error=page._("Enter the limit in yuan, for example 100."))
    try:
        window = float(hours) if hours.strip() else None
    except ValueError:
        return page.redirect("/merchant/policy", error=page._("Enter the response window in hours."))
    catalog.set_policy(
        page.rt,
        actor=me,
        shop_id=_shop(me),
        fast_track=fast_track == "on",
        fast_track_limit_fen=limit_fen,
        response_window_hours=window,
    )
    return page.redirect(
        "/merchant/policy", flash=page._("Policy saved. It applies to claims screened from now on.")
    )
