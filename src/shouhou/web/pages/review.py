"""Reviewer console: the queue (risk, SLA and shop filters, by deadline) and one claim — each photo beside
the merchant's photo it matched, aligned, with the edited regions as a toggled overlay; every finding with
its signal; provenance labels raw; the buyer's credit record; the merchant's counter-evidence; the SLA
countdown; the buyer's contact masked until an audited reveal; the decision form (a reason is required),
requests for more evidence, and the appeal view for the second reviewer. Reviewers see the claims assigned
to them, admins every claim; the services enforce both (another person's claim is a 404)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts.roles import Principal, Role
from shouhou.claims import pictures, process, queue, service
from shouhou.claims.states import ClaimState, Outcome
from shouhou.errors import NotFound
from shouhou.evidence.model import RiskLevel
from shouhou.storage import tables as t
from shouhou.web.deps import UserPage, require_role
from shouhou.web.labels import N_
from shouhou.web.pages.buyer import fen_to_yuan, yuan_to_fen
from shouhou.web.pages.review_findings import finding_lines, late_reference_line
from shouhou.web.render import Page

router = APIRouter()

PAGE_SIZE = 50
RISKS = tuple(r.label for r in sorted(RiskLevel, reverse=True))
# What each signal looks at, in plain words (the engine's own summary of what it found follows it).
SIGNAL_PLAIN = {
    "provenance": N_(
        "Looks for labels in the file saying it was made or edited with AI (C2PA, IPTC, GB 45438)."
    ),
    "watermark": N_("Looks for an invisible watermark that AI image generators put in the pixels."),
    "reference": N_(
        "Compares the photo with the merchant's own photos: a copy of one, edited, "
        "is a strong sign of forgery."
    ),
    "reuse": N_("Looks for the same photo sent before, in this or another claim."),
    "forensics": N_("Looks for traces of local editing in the pixels, without a reference photo."),
    "capture": N_("Checks that the photo plausibly was taken by a camera after the order was delivered."),
    "learned": N_("A trained detector's estimate that the photo was generated or manipulated."),
}
WHY_NOT = {
    "not_open": N_("This claim is not waiting for a decision."),
    "own_decision_appealed": N_(
        "You made the decision under appeal. An appeal is decided by a different reviewer, so you cannot "
        "decide it; it is in a colleague's queue."
    ),
    "unassigned": N_("This claim is not in your queue: no open review of it is assigned to you."),
    "other_reviewer": N_("Another reviewer holds this claim's review."),
    "role": N_("Your role may not decide claims."),
}


def _reviewer(page: Page) -> Principal:
    return require_role(page, Role.REVIEWER, Role.ADMIN)


def _claim_reviewer(page: Page) -> Principal:
    """For a claim's address, another role gets the same 404 as a claim it may not see: the answer must not
    tell whether the claim exists."""
    if page.principal.role not in (Role.REVIEWER, Role.ADMIN):
        raise NotFound("no such claim page")
    return page.principal


# ----- the queue


@router.get("/review")
def review_queue(
    page: UserPage,
    status: str = "open",
    risk: str = "",
    sla: str = "all",
    shop: str = "",
    sort: str = "due",
    offset: int = 0,
) -> Response:
    me = _reviewer(page)
    status = status if status in queue.STATUS_FILTERS else "open"
    risk = risk if risk in RISKS else ""
    sla = sla if sla in queue.SLA_FILTERS else "all"
    sort = sort if sort in ("due", "-due") else "due"
    offset = max(offset, 0)
    q = queue.review_queue(
        page.rt,
        actor=me,
        status=status,
        risk=risk or None,
        sla=sla,
        shop_id=shop or None,
        descending=sort == "-due",
        offset=offset,
        limit=PAGE_SIZE,
    )
    filters = {"status": status, "risk": risk, "sla": sla, "shop": shop, "sort": sort}
    return page.render(
        "review/queue.html",
        title=page._("Review queue") if me.role is Role.REVIEWER else page._("Claims"),
        q=q,
        filters=filters,
        risks=RISKS,
        offset=offset,
        page_size=PAGE_SIZE,
        query=lambda **change: (
            "/review?"
            + urlencode({k: v for k, v in {**filters, "offset": 0, **change}.items() if v not in ("", 0)})
        ),
    )


# ----- one claim


@dataclass
class PhotoPanel:
    """One buyer photo with what its current screening found and the pictures that explain it."""

    evidence: t.EvidenceFile
    n: int
    claim_url: str
    width: int | None = None
    height: int | None = None
    reference_url: str | None = None
    reference_aligned: bool = False
    matched_reference: str | None = None
    overlay_url: str | None = None
    screening: t.Screening | None = None
    signals: Sequence[t.ScreeningSignal] = ()
    markers: list[dict[str, Any]] = field(default_factory=list)
    c2pa: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    # Per signal, its finding as review_findings messages with their values (in order).
    lines: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    # Messages shown above the findings: a copy relation with counter-evidence uploaded after the photo.
    cautions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def suffix(self) -> str:
        """Element ids: the first photo's are `claim-photo`, `reference-photo`, `overlay`; then `-2`, `-3`…"""
        return "" if self.n == 1 else f"-{self.n}"

    @property
    def flagged(self) -> list[t.ScreeningSignal]:
        order = {"high": 0, "medium": 1, "low": 2}
        return sorted(
            (s for s in self.signals if s.flagged and s.status == "ok"),
            key=lambda s: order.get(s.severity, 3),
        )

    @property
    def others(self) -> list[t.ScreeningSignal]:
        return [s for s in self.signals if not (s.flagged and s.status == "ok")]


def _provenance(result: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    for f in result.get("findings") or ():
        if isinstance(f, dict) and f.get("signal") == "provenance" and isinstance(f.get("output"), dict):
            out = f["output"]
            markers = [m for m in out.get("markers") or () if isinstance(m, dict)]
            c2pa = out.get("c2pa") if isinstance(out.get("c2pa"), dict) else None
            return markers, c2pa
    return [], None


def photo_panels(
    claim_id: str,
    evidence: Sequence[t.EvidenceFile],
    screened: Sequence[tuple[t.Screening, Sequence[t.ScreeningSignal]]],
    references: Sequence[t.ReferencePhoto],
) -> list[PhotoPanel]:
    by_evidence = {s.evidence_id: (s, sig) for s, sig in screened}
    known_refs = {r.id for r in references}
    panels = []
    for n, ev in enumerate((e for e in evidence if e.party == "buyer"), start=1):
        panel = PhotoPanel(evidence=ev, n=n, claim_url=f"/media/claims/{claim_id}/evidence/{ev.id}")
        scr, signals = by_evidence.get(ev.id, (None, ()))
        if scr is not None:
            panel.screening, panel.signals = scr, signals
            result = scr.result if isinstance(scr.result, dict) else {}
            panel.markers, panel.c2pa = _provenance(result)
            panel.notes = [str(x) for x in result.get("notes") or ()]
            panel.lines = finding_lines(result)
            matched = result.get("matched_reference")
            panel.matched_reference = matched if matched in known_refs else None
            late = late_reference_line(result, sent_at=ev.created_at)
            panel.cautions = [late] if late is not None else []
            pics = pictures.by_kind(scr)
            base = f"/media/claims/{claim_id}/pictures/"
            if "display" in pics:
                panel.claim_url = base + pics["display"].sha256
                panel.width, panel.height = pics["display"].width, pics["display"].height
            if "reference" in pics:
                panel.reference_url, panel.reference_aligned = base + pics["reference"].sha256, True
            elif panel.matched_reference:
                panel.reference_url = f"/media/claims/{claim_id}/references/{panel.matched_reference}"
            if "overlay" in pics and "display" in pics:
                panel.overlay_url = base + pics["overlay"].sha256
        panels.append(panel)
    return panels


def _claim_page(page: Page, me: Principal, claim_id: str, contact: service.Contact | None = None) -> Response:
    rt = page.rt
    view = service.get_claim(rt, actor=me, claim_id=claim_id)
    claim = view.claim
    screened = service.screening_signals(rt, actor=me, claim_id=claim_id)
    contact = contact or service.buyer_contact(rt, actor=me, claim_id=claim_id, reveal=False)
    try:
        credit = service.credit_record(rt, actor=me, buyer_id=claim.buyer_id)
    except NotFound:
        credit = None
    why_not = queue.why_not_decide(view, me)
    decisions = list(view.decisions)
    appealed = None
    if view.appeal is not None:
        before = [d for d in decisions if d.created_at <= view.appeal.created_at]
        appealed = before[-1] if before else None
    return page.render(
        "review/claim.html",
        title=page._("Claim %(id)s") % {"id": claim.id},
        view=view,
        claim=claim,
        shop_name=queue.shop_name(rt, actor=me, shop_id=claim.shop_id),
        panels=photo_panels(claim.id, view.evidence, screened, view.references),
        screening_errors=[s.error for s, _sig in screened if s.error],
        counter=[r for r in view.references if r.claim_id == claim.id],
        listing=[r for r in view.references if r.claim_id is None],
        contact=contact,
        credit=credit,
        why_not=WHY_NOT.get(why_not) if why_not else None,
        can_decide=why_not is None,
        can_request=why_not is None and claim.state == ClaimState.IN_REVIEW.value,
        full_outcome=Outcome.RETURN_AND_REFUND.value
        if claim.kind == "return_and_refund"
        else Outcome.REFUND_ONLY.value,
        amount_yuan=fen_to_yuan(claim.amount_fen),
        decisions=decisions,
        appealed=appealed,
        review=queue.open_review(view),
        me=me,
        signal_plain=SIGNAL_PLAIN,
    )


@router.get("/review/claims/{claim_id}")
def claim_page(page: UserPage, claim_id: str) -> Response:
    return _claim_page(page, _claim_reviewer(page), claim_id)


@router.get("/review/claims/{claim_id}/{action}")
def back_to_claim(page: UserPage, claim_id: str, action: str) -> Response:
    """An action's address opened directly (or an error sent back to it): show the claim instead."""
    _claim_reviewer(page)
    return RedirectResponse(f"/review/claims/{claim_id}", status_code=303)


@router.post("/review/claims/{claim_id}/contact")
def reveal_contact(page: UserPage, claim_id: str) -> Response:
    """The buyer's contact in clear, on this response only (the read is written to the audit log)."""
    me = _claim_reviewer(page)
    contact = service.buyer_contact(page.rt, actor=me, claim_id=claim_id, reveal=True)
    return _claim_page(page, me, claim_id, contact=contact)


@router.post("/review/claims/{claim_id}/decision")
def decide(
    page: UserPage,
    claim_id: str,
    outcome: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    refund: Annotated[str, Form(max_length=30)] = "",
    forgery_confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    me = _claim_reviewer(page)
    back = f"/review/claims/{claim_id}"
    if not reason.strip():
        return page.redirect(
            back, error=page._("A decision needs a reason: say why, for the buyer and merchant.")
        )
    if outcome not in {o.value for o in Outcome}:
        return page.redirect(back, error=page._("Choose an outcome."))
    refund_fen = None
    if outcome == Outcome.PARTIAL_REFUND.value:
        refund_fen = yuan_to_fen(refund)
        if refund_fen is None:
            return page.redirect(
                back, error=page._("Enter the partial refund in yuan, for example 50 or 49.50.")
            )
    process.decide(
        page.rt,
        actor=me,
        claim_id=claim_id,
        outcome=outcome,
        reason=reason,
        refund_fen=refund_fen,
        forgery_confirmed=bool(forgery_confirmed) and outcome == Outcome.REJECTED.value,
    )
    return page.redirect(back, flash=page._("Decision recorded. The buyer and the merchant are told."))


@router.post("/review/claims/{claim_id}/evidence-request")
def request_evidence(
    page: UserPage, claim_id: str, message: Annotated[str, Form(max_length=4000)] = ""
) -> Response:
    me = _claim_reviewer(page)
    back = f"/review/claims/{claim_id}"
    if not message.strip():
        return page.redirect(back, error=page._("Say what evidence the buyer should send."))
    process.request_evidence(page.rt, actor=me, claim_id=claim_id, message=message)
    return page.redirect(back, flash=page._("The buyer is asked for more evidence."))
