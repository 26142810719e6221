"""Buyer pages (phone first): my claims, my orders and the claim form, one claim with its timeline, more
evidence, withdrawal and appeal, my credit record. Every read and move goes through the claims services,
which scope everything to the signed-in buyer (another buyer's claim or order is a 404)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.api.deps import read_upload
from shouhou.claims import orders, process, service
from shouhou.claims.catalog import Upload
from shouhou.claims.states import ClaimKind, ClaimState, allowed
from shouhou.storage import tables as t
from shouhou.web.deps import UserPage, require_role
from shouhou.web.render import Page

router = APIRouter()

PAGE_SIZE = 50
Photos = Annotated[list[UploadFile] | None, File()]
# Letters only: a key of random digits could, once in a while, read like a phone number on the page.
_KEY_ALPHABET = str.maketrans("0123456789", "ghijklmnop")


def _buyer(page: Page) -> Principal:
    return require_role(page, Role.BUYER)


def uploads(page: Page, files: Sequence[UploadFile] | None) -> list[Upload]:
    """The files of a multipart field; an empty file input (no file chosen) sends one nameless part."""
    limit = page.rt.settings.limits.max_bytes
    return [read_upload(f, limit) for f in files or [] if f.filename]


def yuan_to_fen(text: str) -> int | None:
    """'199', '199.5', '¥1,199.00' → fen; None when it is not a positive amount with at most two decimals."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def new_form_key() -> str:
    return "web-" + secrets.token_hex(16).translate(_KEY_ALPHABET)


def appeal_open(claim: t.Claim, now: datetime) -> bool:
    """A decided claim may be appealed once, until its appeal window closes (the service checks again)."""
    return (
        claim.state == ClaimState.DECIDED.value
        and not claim.appeal_used
        and claim.deadline_kind == "appeal_window"
        and (claim.deadline_at is None or now <= claim.deadline_at)
    )


def may_withdraw(claim: t.Claim) -> bool:
    return allowed(ClaimState(claim.state), ClaimState.WITHDRAWN)


def evidence_request(view: service.ClaimView) -> str:
    """What the reviewer asked for, from the move into awaiting_buyer ("more evidence: …")."""
    for tr in reversed(view.transitions):
        if tr.to_state == ClaimState.AWAITING_BUYER.value:
            return tr.reason.removeprefix("more evidence:").strip()
    return ""


def reference_url(claim_id: str, ref: t.ReferencePhoto) -> str:
    """Counter-evidence sent with this claim's response, or another reference photo of the order/SKU."""
    if ref.claim_id == claim_id:
        return f"/media/claims/{claim_id}/responses/{ref.id}"
    return f"/media/claims/{claim_id}/references/{ref.id}"


# ----- my claims


@router.get("/buyer")
def my_claims(page: UserPage, offset: int = 0) -> Response:
    me = _buyer(page)
    offset = max(offset, 0)
    rows, total = service.list_claims(
        page.rt, actor=me, state=None, risk=None, offset=offset, limit=PAGE_SIZE
    )
    return page.render(
        "buyer/claims.html",
        title=page._("My claims"),
        claims=rows,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
    )


# ----- orders and the claim form


@router.get("/buyer/orders")
def my_orders(page: UserPage) -> Response:
    me = _buyer(page)
    views, total = orders.list_buyer_orders(page.rt, actor=me, limit=PAGE_SIZE)
    claims, _n = service.list_claims(page.rt, actor=me, state=None, risk=None, offset=0, limit=200)
    by_order: dict[str, list[t.Claim]] = {}
    for c in claims:
        by_order.setdefault(c.order_id, []).append(c)
    return page.render(
        "buyer/orders.html", title=page._("My orders"), orders=views, total=total, claims_by_order=by_order
    )


@router.get("/buyer/orders/{order_id}/claim")
def claim_form(page: UserPage, order_id: str) -> Response:
    me = _buyer(page)
    view = orders.get_order_view(page.rt, actor=me, order_id=order_id)
    return page.render(
        "buyer/claim_form.html",
        title=page._("File a claim"),
        view=view,
        kinds=[k.value for k in ClaimKind],
        amount=fen_to_yuan(view.total_fen),
        key=new_form_key(),
        max_photos=page.rt.settings.claims.max_photos,
    )


@router.post("/buyer/orders/{order_id}/claim")
def file_claim(
    page: UserPage,
    order_id: str,
    amount: Annotated[str, Form(max_length=30)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    kind: Annotated[str, Form(max_length=30)] = ClaimKind.REFUND_ONLY.value,
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    photos: Photos = None,
) -> Response:
    me = _buyer(page)
    back = f"/buyer/orders/{order_id}/claim"
    fen = yuan_to_fen(amount)
    if fen is None:
        return page.redirect(back, error=page._("Enter the amount in yuan, for example 199 or 199.50."))
    claim, created = service.submit_claim(
        page.rt,
        actor=me,
        order_id=order_id,
        kind=kind,
        reason=reason,
        amount_fen=fen,
        photos=uploads(page, photos),
        idempotency_key=idempotency_key or None,
    )
    message = (
        page._("Claim filed. Its photos are being checked; follow it on this page.")
        if created
        else page._("This claim was filed already; here it is.")
    )
    return page.redirect(f"/buyer/claims/{claim.id}", flash=message)


# ----- one claim


@router.get("/buyer/claims/{claim_id}")
def claim_page(page: UserPage, claim_id: str) -> Response:
    me = _buyer(page)
    view = service.get_claim(page.rt, actor=me, claim_id=claim_id)
    contact = service.buyer_contact(page.rt, actor=me, claim_id=claim_id, reveal=False)
    order = orders.get_order_view(page.rt, actor=me, order_id=view.claim.order_id)
    claim = view.claim
    counter = [r for r in view.references if r.kind != "listing" and r.order_id == claim.order_id]
    return page.render(
        "buyer/claim.html",
        title=page._("Claim %(id)s") % {"id": claim.id},
        view=view,
        claim=claim,
        order=order,
        contact=contact,
        photos=[e for e in view.evidence if e.party == "buyer"],
        counter=counter,
        reference_url=reference_url,
        decision=view.decisions[-1] if view.decisions else None,
        can_appeal=appeal_open(claim, page.rt.now()),
        can_withdraw=may_withdraw(claim),
        needs_evidence=claim.state == ClaimState.AWAITING_BUYER.value,
        request_text=evidence_request(view),
        max_photos=page.rt.settings.claims.max_photos,
    )


@router.get("/buyer/claims/{claim_id}/{action}")
def back_to_claim(page: UserPage, claim_id: str, action: str) -> Response:
    """An action's address opened directly (or an error sent back to it): show the claim instead."""
    _buyer(page)
    return RedirectResponse(f"/buyer/claims/{claim_id}", status_code=303)


@router.post("/buyer/claims/{claim_id}/evidence")
def add_evidence(page: UserPage, claim_id: str, photos: Photos = None) -> Response:
    me = _buyer(page)
    service.add_evidence(page.rt, actor=me, claim_id=claim_id, photos=uploads(page, photos))
    return page.redirect(
        f"/buyer/claims/{claim_id}", flash=page._("Thank you. The new photos go to the reviewer.")
    )


@router.post("/buyer/claims/{claim_id}/withdraw")
def withdraw(
    page: UserPage, claim_id: str, withdraw_reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    me = _buyer(page)
    service.withdraw(page.rt, actor=me, claim_id=claim_id, reason=withdraw_reason)
    return page.redirect(f"/buyer/claims/{claim_id}", flash=page._("Claim withdrawn."))


@router.post("/buyer/claims/{claim_id}/appeal")
def appeal(page: UserPage, claim_id: str, reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    me = _buyer(page)
    if not reason.strip():
        return page.redirect(
            f"/buyer/claims/{claim_id}", error=page._("Say why you appeal: the reason is required.")
        )
    process.appeal(page.rt, actor=me, claim_id=claim_id, reason=reason)
    return page.redirect(
        f"/buyer/claims/{claim_id}",
        flash=page._("Appeal sent. A different reviewer will decide the claim again."),
    )


# ----- credit record


@router.get("/buyer/credit")
def credit(page: UserPage) -> Response:
    me = _buyer(page)
    record = service.credit_record(page.rt, actor=me, buyer_id=me.buyer_id or "-")
    return page.render("buyer/credit.html", title=page._("My credit record"), record=record)
