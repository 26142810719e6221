"""Claim endpoints: file, follow, respond, review, decide, appeal; buyer credit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from shouhou.accounts.roles import Role
from shouhou.api.deps import PagingDep, PrincipalDep, RuntimeDep, read_upload
from shouhou.claims import process, service
from shouhou.claims import schemas as s
from shouhou.claims.catalog import Upload
from shouhou.claims.credit import NOTICE
from shouhou.storage import tables as t

router = APIRouter(tags=["claims"])

Photos = Annotated[list[UploadFile], File(description="evidence photos (JPEG, PNG, WebP, HEIC)")]


def _uploads(rt: RuntimeDep, files: list[UploadFile] | None) -> list[Upload]:
    return [read_upload(f, rt.settings.limits.max_bytes) for f in files or [] if f.filename or f.size]


def _timer(claim: t.Claim, now: datetime) -> s.Timer | None:
    if claim.deadline_at is None or claim.deadline_kind is None:
        return None
    return s.Timer(
        kind=claim.deadline_kind,
        due_at=claim.deadline_at,
        seconds_left=round((claim.deadline_at - now).total_seconds(), 1),
    )


def _notice(buyer_id: str) -> str:
    return f"{NOTICE} GET /api/v1/buyers/{buyer_id}/credit"


def _read(rt: RuntimeDep, principal: PrincipalDep, claim_id: str) -> s.ClaimRead:
    view = service.get_claim(rt, actor=principal, claim_id=claim_id)
    contact = service.buyer_contact(rt, actor=principal, claim_id=claim_id, reveal=False)
    c = view.claim
    return s.ClaimRead(
        **s.ClaimSummary.model_validate(c).model_dump(),
        reason=c.reason,
        state_entered_at=c.state_entered_at,
        timer=_timer(c, rt.now()),
        appeal_used=c.appeal_used,
        evidence=[s.EvidenceRead.model_validate(e) for e in view.evidence],
        transitions=[s.TransitionRead.model_validate(x) for x in view.transitions],
        decisions=[s.DecisionRead.model_validate(d) for d in view.decisions],
        reviews=[s.ReviewRead.model_validate(r) for r in view.reviews],
        merchant_responses=[s.ResponseRead.model_validate(r) for r in view.responses],
        appeal=s.AppealRead.model_validate(view.appeal) if view.appeal else None,
        references=[s.ReferenceRead.model_validate(r) for r in view.references],
        buyer_name=contact.name,
        buyer_phone=contact.phone,
        notices=[_notice(c.buyer_id)] if principal.role is Role.BUYER else [],
    )


@router.post("/claims", status_code=status.HTTP_201_CREATED, response_model=s.ClaimCreated)
def create_claim(
    rt: RuntimeDep,
    principal: PrincipalDep,
    response: Response,
    order_id: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    photos: Photos,
    amount_fen: Annotated[int, Form(gt=0)],
    kind: Annotated[str, Form()] = "refund_only",
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> s.ClaimCreated:
    """File a refund claim with photos. Replaying the same Idempotency-Key returns the first claim (200)."""
    claim, created = service.submit_claim(
        rt,
        actor=principal,
        order_id=order_id,
        kind=kind,
        reason=reason,
        amount_fen=amount_fen,
        photos=_uploads(rt, photos),
        idempotency_key=idempotency_key,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/claims/{claim.id}"
    # Built from the rows in hand: a submission answers without reading the claim back.
    return s.ClaimCreated(
        **s.ClaimSummary.model_validate(claim).model_dump(),
        timer=_timer(claim, rt.now()),
        notices=[_notice(claim.buyer_id)],
    )


@router.get("/claims", response_model=s.Page[s.ClaimSummary])
def list_claims(
    rt: RuntimeDep,
    principal: PrincipalDep,
    paging: PagingDep,
    state: str | None = None,
    risk: str | None = None,
) -> s.Page[s.ClaimSummary]:
    rows, total = service.list_claims(
        rt, actor=principal, state=state, risk=risk, offset=paging.offset, limit=paging.limit
    )
    return s.Page[s.ClaimSummary](
        items=[s.ClaimSummary.model_validate(r) for r in rows],
        total=total,
        offset=paging.offset,
        limit=paging.limit,
    )


@router.get("/claims/{claim_id}", response_model=s.ClaimRead)
def get_claim(rt: RuntimeDep, principal: PrincipalDep, claim_id: str) -> s.ClaimRead:
    return _read(rt, principal, claim_id)


@router.get("/claims/{claim_id}/screening", response_model=s.ClaimScreening)
def get_screening(rt: RuntimeDep, principal: PrincipalDep, claim_id: str) -> s.ClaimScreening:
    view = service.get_claim(rt, actor=principal, claim_id=claim_id)
    rows = service.screening_signals(rt, actor=principal, claim_id=claim_id)
    photos = [
        s.PhotoScreening(
            evidence_id=scr.evidence_id,
            engine_version=scr.engine_version,
            risk=scr.risk,
            score=scr.score,
            error=scr.error,
            matched_reference=scr.result.get("matched_reference"),
            reasons=list(scr.result.get("reasons", [])),
            notes=list(scr.result.get("notes", [])),
            signals=[s.SignalRead.model_validate(x) for x in sigs],
            screened_at=scr.created_at,
        )
        for scr, sigs in rows
    ]
    buyer_photos = [e for e in view.evidence if e.party == "buyer"]
    return s.ClaimScreening(
        claim_id=claim_id,
        risk=view.claim.risk,
        risk_score=view.claim.risk_score,
        complete=all(e.screened for e in buyer_photos) and bool(buyer_photos),
        photos=photos,
    )


@router.get("/claims/{claim_id}/evidence/{evidence_id}/file")
def get_evidence_file(rt: RuntimeDep, principal: PrincipalDep, claim_id: str, evidence_id: str) -> Response:
    """The original bytes, exactly as uploaded (read is audit-logged: EXIF may hold names, GPS)."""
    ev, blob, data = service.evidence_bytes(rt, actor=principal, claim_id=claim_id, evidence_id=evidence_id)
    return Response(
        content=data,
        media_type=blob.media_type,
        headers={"Content-Disposition": f'attachment; filename="{ev.id}"', "ETag": f'"{blob.sha256}"'},
    )


@router.post("/claims/{claim_id}/evidence", response_model=s.ClaimRead)
def add_evidence(rt: RuntimeDep, principal: PrincipalDep, claim_id: str, photos: Photos) -> s.ClaimRead:
    service.add_evidence(rt, actor=principal, claim_id=claim_id, photos=_uploads(rt, photos))
    return _read(rt, principal, claim_id)


@router.post("/claims/{claim_id}/merchant-response", response_model=s.ClaimRead)
def merchant_response(
    rt: RuntimeDep,
    principal: PrincipalDep,
    claim_id: str,
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    video: Annotated[UploadFile | None, File(description="packing video")] = None,
) -> s.ClaimRead:
    """accept | dispute (with packing photos and/or a packing video) | contest (an automated decision)."""
    vid = (
        read_upload(video, rt.settings.claims.max_video_bytes)
        if video is not None and video.filename
        else None
    )
    process.merchant_respond(
        rt,
        actor=principal,
        claim_id=claim_id,
        action=action,
        note=note,
        photos=_uploads(rt, photos),
        video=vid,
    )
    return _read(rt, principal, claim_id)


@router.post("/claims/{claim_id}/evidence-request", response_model=s.ClaimRead)
def request_evidence(
    rt: RuntimeDep, principal: PrincipalDep, claim_id: str, body: s.EvidenceRequestIn
) -> s.ClaimRead:
    process.request_evidence(rt, actor=principal, claim_id=claim_id, message=body.message)
    return _read(rt, principal, claim_id)


@router.post("/claims/{claim_id}/decision", response_model=s.ClaimRead)
def decide(rt: RuntimeDep, principal: PrincipalDep, claim_id: str, body: s.DecisionIn) -> s.ClaimRead:
    process.decide(
        rt,
        actor=principal,
        claim_id=claim_id,
        outcome=body.outcome,
        reason=body.reason,
        refund_fen=body.refund_fen,
        forgery_confirmed=body.forgery_confirmed,
    )
    return _read(rt, principal, claim_id)


@router.post("/claims/{claim_id}/appeal", response_model=s.ClaimRead)
def appeal(rt: RuntimeDep, principal: PrincipalDep, claim_id: str, body: s.TextIn) -> s.ClaimRead:
    process.appeal(rt, actor=principal, claim_id=claim_id, reason=body.reason)
    return _read(rt, principal, claim_id)


@router.post("/claims/{claim_id}/withdraw", response_model=s.ClaimRead)
def withdraw(rt: RuntimeDep, principal: PrincipalDep, claim_id: str, body: s.TextIn) -> s.ClaimRead:
    service.withdraw(rt, actor=principal, claim_id=claim_id, reason=body.reason)
    return _read(rt, principal, claim_id)


@router.get("/claims/{claim_id}/contact", response_model=s.ContactRead)
def contact(
    rt: RuntimeDep, principal: PrincipalDep, claim_id: str, reveal: bool = Query(False)
) -> s.ContactRead:
    """The buyer's contact details, masked; `reveal=true` shows cleartext to allowed roles (audited)."""
    c = service.buyer_contact(rt, actor=principal, claim_id=claim_id, reveal=reveal)
    return s.ContactRead(name=c.name, phone=c.phone, address=c.address, masked=c.masked)


@router.get("/buyers/{buyer_id}/credit", response_model=s.CreditRead, tags=["buyers"])
def credit(rt: RuntimeDep, principal: PrincipalDep, buyer_id: str) -> s.CreditRead:
    r = service.credit_record(rt, actor=principal, buyer_id=buyer_id)
    return s.CreditRead(
        buyer_id=buyer_id,
        claims=r.claims,
        refunds=r.refunds,
        forgeries_confirmed=r.forgeries_confirmed,
        disputes_won=r.disputes_won,
        disputes_lost=r.disputes_lost,
        shops=r.shops,
        platforms=r.platforms,
        lines=[s.CreditLineRead(**vars(x)) for x in r.lines],
        explanation=list(r.explanation),
        notice=r.notice,
    )


__all__ = ["JSONResponse", "router"]
