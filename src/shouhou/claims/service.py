"""Claim use cases for buyers: submit, add evidence, withdraw, appeal; reads for every role."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.claims.catalog import Upload, order_total, require_role
from shouhou.claims.credit import CreditRecord, build_record
from shouhou.claims.references import record_blob
from shouhou.claims.states import ClaimKind, ClaimState, Party
from shouhou.claims.workflow import WAKES_WORKER, Effect, transition
from shouhou.errors import IdempotencyMismatch, NotFound, RuleViolation, ValidationFailed
from shouhou.evidence.probe import probe_image
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.blobs import StoredBlob
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

S = ClaimState
SCREEN_JOB = "screen_claim"


def wake_effects(rt: Runtime) -> dict[tuple[ClaimState, ClaimState], Effect]:
    return {pair: (lambda _claim_id: rt.wake_worker()) for pair in WAKES_WORKER}


@dataclass(frozen=True)
class ClaimView:
    claim: t.Claim
    evidence: Sequence[t.EvidenceFile]
    screenings: Sequence[t.Screening]
    transitions: Sequence[t.ClaimTransition]
    decisions: Sequence[t.Decision]
    reviews: Sequence[t.Review]
    responses: Sequence[t.MerchantResponse]
    appeal: t.Appeal | None
    references: Sequence[t.ReferencePhoto]


def _request_hash(order_id: str, kind: str, reason: str, amount_fen: int, photos: Sequence[Upload]) -> str:
    h = hashlib.sha256()
    for part in (order_id, kind, reason, str(amount_fen)):
        h.update(part.encode("utf-8") + b"\x00")
    for p in photos:
        h.update(hashlib.sha256(p.data).digest())
    return h.hexdigest()


def _validate_photos(rt: Runtime, photos: Sequence[Upload]) -> None:
    if not photos:
        raise ValidationFailed("at least one evidence photo is required")
    if len(photos) > rt.settings.claims.max_photos:
        raise ValidationFailed(f"at most {rt.settings.claims.max_photos} photos per upload")
    for p in photos:
        probe_image(p.data, name=p.filename, limits=rt.settings.limits)  # precise InputError, no decode


def submit_claim(
    rt: Runtime,
    *,
    actor: Principal,
    order_id: str,
    kind: str,
    reason: str,
    amount_fen: int,
    photos: Sequence[Upload],
    idempotency_key: str | None = None,
) -> tuple[t.Claim, bool]:
    """File a claim; returns (claim, created). Replaying an idempotency key returns the first claim.

    The photos are validated and written (encrypted) before the transaction that records the claim, its
    evidence, its screening job and its audit entries commits: a claim is either wholly there or not at all.
    """
    require_role(actor, Role.BUYER)
    try:
        kind_v = ClaimKind(kind)
    except ValueError:
        raise ValidationFailed(f"kind must be one of {[k.value for k in ClaimKind]}") from None
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise ValidationFailed("reason must be 1–2000 characters")
    if amount_fen <= 0:
        raise ValidationFailed("amount_fen must be > 0")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ValidationFailed("Idempotency-Key must be 1–200 characters")
    req_hash = _request_hash(order_id, kind_v.value, reason, amount_fen, photos)
    # Reads first, in a read transaction: the write transaction below (one writer at a time on SQLite)
    # holds its lock only for the inserts.
    with rt.uow(write=False) as read:
        if idempotency_key:
            replay = _replayed_in(read, actor, idempotency_key, req_hash)
            if replay is not None:
                return replay, False
        order = read.orders.get(id=order_id)
        if order is None or order.buyer_id != actor.buyer_id:
            raise NotFound(f"order {order_id} not found")
        total = order_total(read, order_id)
        if amount_fen > total:
            raise ValidationFailed(f"amount_fen {amount_fen} is over the order total {total}")
        shop = read.shops.get_or_raise(id=order.shop_id)
    _validate_photos(rt, photos)
    files = _write_files(rt, photos)
    now = rt.now()
    with rt.uow(write=True) as uow:
        if idempotency_key:  # re-checked under the write lock: two racing retries create one claim
            replay = _replayed_in(uow, actor, idempotency_key, req_hash)
            if replay is not None:
                return replay, False
        uow.attach(shop)  # the shop read above: the transition needs no query for it
        uow.audit.lock()
        claim = uow.claims.add(
            t.Claim(
                id=new_id("clm"),
                shop_id=order.shop_id,
                buyer_id=order.buyer_id,
                order_id=order_id,
                kind=kind_v.value,
                reason=reason,
                amount_fen=amount_fen,
                state=S.SUBMITTED.value,
                state_entered_at=now,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
                reviewed=False,
                appeal_used=False,
                sla_breached=False,
            )
        )
        uow.claims.add_transition(
            t.ClaimTransition(
                claim_id=claim.id,
                from_state="",
                to_state=S.SUBMITTED.value,
                actor=actor.user_id,
                reason="claim filed",
                created_at=now,
            )
        )
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="claim.submitted",
            subject_type="claim",
            subject_id=claim.id,
            detail={
                "order_id": order_id,
                "kind": kind_v.value,
                "amount_fen": amount_fen,
                "photos": len(photos),
            },
        )
        _attach_photos(uow, claim, files, party=Party.BUYER, actor=actor, now=now)
        queue_screening(uow, claim.id, now)
        transition(
            uow,
            claim,
            to=S.SCREENING,
            actor="system",
            reason="evidence received",
            now=now,
            policy=rt.settings.claims,
            effects=wake_effects(rt),
            shop=shop,
        )
        if idempotency_key:
            uow.idempotency.add(
                t.IdempotencyKey(
                    user_id=actor.user_id,
                    key=idempotency_key,
                    request_hash=req_hash,
                    resource_id=claim.id,
                    created_at=now,
                )
            )
        uow.commit()
        return claim, True


def _replayed_in(uow: UnitOfWork, actor: Principal, key: str, req_hash: str) -> t.Claim | None:
    row = uow.idempotency.find(user_id=actor.user_id, key=key)
    if row is None:
        return None
    if row.request_hash != req_hash:
        raise IdempotencyMismatch(f"Idempotency-Key {key!r} was used for a different request")
    return uow.claims.get_or_raise(id=row.resource_id)


def _write_files(rt: Runtime, photos: Sequence[Upload]) -> list[tuple[Upload, StoredBlob]]:
    """Encrypt and write the files durably before the transaction that names them opens, so no database lock
    is held across file I/O. A file whose claim never commits stays unreferenced (content-addressed: a retry
    finds it)."""
    return [(p, rt.blobs.put(p.data)) for p in photos]


def _attach_photos(
    uow: UnitOfWork,
    claim: t.Claim,
    files: Sequence[tuple[Upload, StoredBlob]],
    *,
    party: Party,
    actor: Principal,
    now: datetime,
) -> list[t.EvidenceFile]:
    rows = []
    for p, stored in files:
        blob = record_blob(uow, stored, uploader=actor.user_id, now=now)
        rows.append(
            uow.evidence.add(
                t.EvidenceFile(
                    id=new_id("evd"),
                    claim_id=claim.id,
                    blob_sha256=blob.sha256,
                    filename=p.filename[:300],
                    party=party.value,
                    uploaded_by=actor.user_id,
                    created_at=now,
                    screened=False,
                )
            )
        )
    return rows


def queue_screening(
    uow: UnitOfWork, claim_id: str, now: datetime, *, rescreen: bool = False, reason: str = ""
) -> None:
    uow.jobs.add(
        t.Job(
            id=new_id("job"),
            kind=SCREEN_JOB,
            payload={"claim_id": claim_id, "rescreen": rescreen, "reason": reason},
            state="queued",
            attempts=0,
            run_after=now,
            created_at=now,
        )
    )


def add_evidence(rt: Runtime, *, actor: Principal, claim_id: str, photos: Sequence[Upload]) -> t.Claim:
    """More evidence from the buyer, asked for by a reviewer: awaiting_buyer → screening (→ in_review)."""
    require_role(actor, Role.BUYER)
    _validate_photos(rt, photos)
    files = _write_files(rt, photos)
    now = rt.now()
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        if claim.state != S.AWAITING_BUYER.value:
            raise RuleViolation(
                f"claim {claim_id} is {claim.state}: evidence is taken only when a reviewer asks"
            )
        _attach_photos(uow, claim, files, party=Party.BUYER, actor=actor, now=now)
        queue_screening(uow, claim.id, now)
        transition(
            uow,
            claim,
            to=S.SCREENING,
            actor=actor.user_id,
            reason="buyer sent the requested evidence",
            now=now,
            policy=rt.settings.claims,
            effects=wake_effects(rt),
        )
        uow.commit()
        return claim


def withdraw(rt: Runtime, *, actor: Principal, claim_id: str, reason: str) -> t.Claim:
    require_role(actor, Role.BUYER)
    now = rt.now()
    with rt.uow(write=True) as uow:
        claim = locked_visible(uow, actor, claim_id)
        transition(
            uow,
            claim,
            to=S.WITHDRAWN,
            actor=actor.user_id,
            reason=reason.strip() or "withdrawn by buyer",
            now=now,
            policy=rt.settings.claims,
            audit_reason="withdrawn by the buyer",
        )
        for review in uow.reviews.for_claim(claim_id=claim_id):
            if review.completed_at is None:
                review.completed_at = now
        uow.commit()
        return claim


def locked_visible(uow: UnitOfWork, actor: Principal, claim_id: str) -> t.Claim:
    if uow.claims.get_scoped(id=claim_id, scope=actor.claim_scope()) is None:
        raise NotFound(f"claim {claim_id} not found")
    return uow.claims.lock_or_raise(id=claim_id)


def visible_or_raise(uow: UnitOfWork, actor: Principal, claim_id: str) -> t.Claim:
    claim = uow.claims.get_scoped(id=claim_id, scope=actor.claim_scope())
    if claim is None:
        raise NotFound(f"claim {claim_id} not found")
    return claim


def get_claim(rt: Runtime, *, actor: Principal, claim_id: str) -> ClaimView:
    with rt.uow(write=False) as uow:
        claim = visible_or_raise(uow, actor, claim_id)
        order_items = uow.orders.items(order_id=claim.order_id)
        refs = uow.references.for_claim(
            shop_id=claim.shop_id, sku_ids=[i.sku_id for i in order_items], order_id=claim.order_id
        )
        return ClaimView(
            claim=claim,
            evidence=uow.evidence.for_claim(claim_id=claim_id),
            screenings=uow.screenings.current_for_claim(claim_id=claim_id),
            transitions=uow.claims.transitions(claim_id=claim_id),
            decisions=uow.claims.decisions(claim_id=claim_id),
            reviews=uow.reviews.for_claim(claim_id=claim_id),
            responses=uow.claims.responses(claim_id=claim_id),
            appeal=uow.claims.appeal(claim_id=claim_id),
            references=refs,
        )


def list_claims(
    rt: Runtime, *, actor: Principal, state: str | None, risk: str | None, offset: int, limit: int
) -> tuple[Sequence[t.Claim], int]:
    if state is not None and state not in {s.value for s in ClaimState}:
        raise ValidationFailed(f"unknown state {state!r}")
    with rt.uow(write=False) as uow:
        return uow.claims.list_scoped(
            scope=actor.claim_scope(), state=state, risk=risk, offset=offset, limit=limit
        )


def screening_signals(
    rt: Runtime, *, actor: Principal, claim_id: str
) -> list[tuple[t.Screening, Sequence[t.ScreeningSignal]]]:
    with rt.uow(write=False) as uow:
        visible_or_raise(uow, actor, claim_id)
        return [
            (s, uow.screenings.signals(screening_id=s.id))
            for s in uow.screenings.current_for_claim(claim_id=claim_id)
        ]


def evidence_bytes(
    rt: Runtime, *, actor: Principal, claim_id: str, evidence_id: str
) -> tuple[t.EvidenceFile, t.Blob, bytes]:
    """The original bytes of one evidence photo (may carry EXIF names and GPS): reading them is audited."""
    now = rt.now()
    with rt.uow(write=True) as uow:
        visible_or_raise(uow, actor, claim_id)
        ev = uow.evidence.get(id=evidence_id)
        if ev is None or ev.claim_id != claim_id:
            raise NotFound(f"evidence {evidence_id} not found")
        blob = uow.blobs.get(id=ev.blob_sha256)
        if blob is None:
            raise NotFound(f"evidence {evidence_id} has no stored file")
        data = rt.blobs.get(ev.blob_sha256)
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="evidence.read",
            subject_type="claim",
            subject_id=claim_id,
            detail={"evidence_id": evidence_id},
        )
        uow.commit()
        return ev, blob, data


# ----- buyer personal data and credit


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    address: str | None
    masked: bool


def buyer_contact(rt: Runtime, *, actor: Principal, claim_id: str, reveal: bool) -> Contact:
    """Masked by default; cleartext only for the buyer themself, the claim's reviewers and admins, and every
    cleartext read is written to the audit log in the same transaction."""
    now = rt.now()
    with rt.uow(write=reveal) as uow:  # a masked read writes nothing, so it takes no write lock
        claim = visible_or_raise(uow, actor, claim_id)
        buyer = uow.buyers.get_or_raise(id=claim.buyer_id)
        if not reveal:
            return Contact(
                name=buyer.name_masked,
                phone=buyer.phone_masked,
                address=None if buyer.address_enc is None else "******",
                masked=True,
            )
        if actor.role not in (Role.BUYER, Role.REVIEWER, Role.ADMIN):
            raise NotFound("no contact details to show")  # merchants see masked values only
        ring = rt.keys.fields
        contact = Contact(
            name=ring.decrypt_field(buyer.name_enc, context="buyers.name"),
            phone=ring.decrypt_field(buyer.phone_enc, context="buyers.phone"),
            address=ring.decrypt_field(buyer.address_enc, context="buyers.address")
            if buyer.address_enc
            else None,
            masked=False,
        )
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="pii.read",
            subject_type="buyer",
            subject_id=buyer.id,
            detail={"claim_id": claim_id, "fields": ["name", "phone", "address"]},
        )
        uow.commit()
        return contact


def credit_record(rt: Runtime, *, actor: Principal, buyer_id: str) -> CreditRecord:
    """The buyer's own record, or a reviewer's view while they hold one of this person's claims."""
    now = rt.now()
    with rt.uow(write=True) as uow:
        buyer = uow.buyers.get(id=buyer_id)
        if buyer is None:
            raise NotFound(f"buyer {buyer_id} not found")
        if actor.role is Role.BUYER:
            if actor.buyer_id != buyer_id:
                raise NotFound(f"buyer {buyer_id} not found")
        elif actor.role is Role.REVIEWER:
            mine = uow.claims.list_scoped(
                scope=actor.claim_scope(), state=None, risk=None, offset=0, limit=1000
            )[0]
            linked = {b.id for b in uow.buyers.by_person(person_key=buyer.person_key)}
            if not any(c.buyer_id in linked for c in mine):
                raise NotFound(f"buyer {buyer_id} not found")
        elif actor.role is not Role.ADMIN:
            raise NotFound(f"buyer {buyer_id} not found")
        accounts = [b.id for b in uow.buyers.by_person(person_key=buyer.person_key)]
        filed = len(uow.claims.by_buyers(buyer_ids=accounts))
        record = build_record(uow.credit.events(person_key=buyer.person_key), filed)
        if actor.role is Role.BUYER and buyer.credit_notice_at is None:
            uow.buyers.lock_or_raise(id=buyer_id).credit_notice_at = now
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="credit.read",
            subject_type="buyer",
            subject_id=buyer_id,
            detail={"role": actor.role.value},
        )
        uow.commit()
        return record
