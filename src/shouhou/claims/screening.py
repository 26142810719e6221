"""The screening job: run the engine on a claim's photos against the merchant's references, store the result
per signal (with version), and move the claim on.

A photo is judged against the listing photos and the packing references uploaded before it was sent. A
packing photo or video frame uploaded later (counter-evidence) is compared with it by the reference check
alone and kept apart: if one is a copy of the other, the pixels cannot say which came first (a merchant can
"repair" the buyer's own photo and send it as the packing photo), so the reviewer is told and the buyer's
risk does not count it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from shouhou.claims import pictures
from shouhou.claims.process import after_screening
from shouhou.errors import InputError, NotFound, StorageError
from shouhou.evidence.engine import Engine
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.model import RiskLevel
from shouhou.evidence.pipeline import Screening as EngineScreening
from shouhou.evidence.references import ReferenceLibrary
from shouhou.index.store import ReuseIndex
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id

log = logging.getLogger(__name__)

UNKNOWN = "unknown"


class EngineHolder:
    """One engine and one reuse index per worker process (the index is single-writer)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            index = ReuseIndex.open(self.rt.settings.index_dir)
            self._engine = Engine(self.rt.settings, index=index)
        return self._engine

    def close(self) -> None:
        if self._engine is not None and self._engine.index is not None:
            self._engine.index.save()
            self._engine.index.close()
            self._engine = None


@dataclass
class _Outcome:
    evidence_id: str
    screening: EngineScreening | None
    error: str | None
    pictures: list[pictures.Prepared] = field(default_factory=list)
    late: dict[str, Any] | None = None  # a copy relation with a packing reference uploaded after the photo


def screen_claim(rt: Runtime, holder: EngineHolder, payload: dict[str, Any]) -> None:
    claim_id = str(payload["claim_id"])
    rescreen = bool(payload.get("rescreen"))
    with rt.uow(write=False) as uow:
        claim = uow.claims.get(id=claim_id)
        if claim is None:
            raise NotFound(f"claim {claim_id} vanished")
        todo = [
            e for e in uow.evidence.for_claim(claim_id=claim_id, party="buyer") if rescreen or not e.screened
        ]
        skus = [i.sku_id for i in uow.orders.items(order_id=claim.order_id)]
        refs = uow.references.for_claim(shop_id=claim.shop_id, sku_ids=skus, order_id=claim.order_id)
        order = uow.orders.get_or_raise(id=claim.order_id)
        person = uow.buyers.get_or_raise(id=claim.buyer_id).person_key
    engine = holder.engine
    outcomes: list[_Outcome] = []
    if todo:
        library = ReferenceLibrary(rt.settings.reference_cache_dir, rt.settings.limits)
        for ref in refs:
            try:
                library.add(rt.blobs.get(ref.blob_sha256), name=ref.id)
            except (InputError, StorageError) as exc:
                log.warning("reference %s left out of screening claim %s: %s", ref.id, claim_id, exc)
        context = ScreenContext(delivered_at=order.delivered_at, claim_id=claim_id, submitter_id=person)
        by_id = {r.id: r for r in refs}
        for ev in todo:
            late = {r.id for r in refs if r.kind != "listing" and _after(r.created_at, ev.created_at)}
            try:
                item, result = engine.screen(
                    rt.blobs.get(ev.blob_sha256),
                    name=ev.filename,
                    references=[p for p in library.photos if p.name not in late],
                    context=context,
                )
                later = [p for p in library.photos if p.name in late]
                found = _late_copy(engine, item, later, by_id) if later else None
                # Written before the transaction that lists them, like every evidence file.
                outcomes.append(_Outcome(ev.id, result, None, pictures.prepare(rt, item, result), found))
            except InputError as exc:  # found only on a full decode (e.g. truncated data): a human looks
                outcomes.append(_Outcome(ev.id, None, str(exc)))
        if engine.index is not None:
            engine.index.save()
    now = rt.now()
    with rt.uow(write=True) as uow:
        claim = uow.claims.lock_or_raise(id=claim_id)
        for out in outcomes:
            _store(uow, claim_id, out, now)
        uow.flush()
        current = uow.screenings.current_for_claim(claim_id=claim_id)
        known = [s for s in current if s.risk != UNKNOWN]
        top = max(known, key=lambda s: (RiskLevel.parse(s.risk), s.score), default=None)
        claim.risk = top.risk if top else None
        claim.risk_score = top.score if top else None
        ok = bool(current) and all(s.error is None for s in current)
        uow.audit.append(
            at=now,
            actor="system",
            action="claim.screened",
            subject_type="claim",
            subject_id=claim_id,
            detail={
                "photos": len(outcomes),
                "risk": claim.risk,
                "rescreen": rescreen,
                "engine": engine.screener.thresholds.source if outcomes else None,
            },
        )
        after_screening(rt, uow, claim, now=now, screenings_ok=ok)
        uow.commit()


def _after(a: Any, b: Any) -> bool:
    """Whether time a is after time b, for columns read back with or without their zone."""
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return bool(a > b)


def _late_copy(
    engine: Engine, item: Evidence, later: list[Any], refs: dict[str, t.ReferencePhoto]
) -> dict[str, Any] | None:
    """The reference check alone, against the packing references uploaded after the photo: what it found
    when one is a copy or a screen photo of the other, else None."""
    signal = next((s for s in engine.screener.signals if s.name == "reference"), None)
    if signal is None:
        return None
    probe = Evidence(image=item.image, references=later, context=item.context)
    try:
        out = signal.run(probe, engine.screener.params[signal.name])
    except Exception as exc:  # the photo's own screening stands; the failure is kept with it
        log.warning("late-reference check of %s failed: %s", item.image.name, exc)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    relation = getattr(out, "relation", None)
    if relation not in ("derived", "recaptured"):
        return None
    ref = refs.get(str(out.matched_reference))
    return {
        "status": "ok",
        "relation": relation,
        "reference": out.matched_reference,
        "kind": ref.kind if ref is not None else None,
        "uploaded_at": ref.created_at.isoformat() if ref is not None else None,
        "regions": [r.as_list() for r in out.regions],
        "edit_fraction": out.edit_fraction,
        "summary": out.summary,
    }


def _store(uow: Any, claim_id: str, out: _Outcome, now: Any) -> None:
    uow.screenings.retire(evidence_id=out.evidence_id)
    ev = uow.evidence.get_or_raise(id=out.evidence_id)
    ev.screened = True
    res = out.screening
    listed = pictures.record(uow, out.pictures, now=now)
    failed = res is not None and any(f.status == "failed" for f in res.findings)
    row = uow.screenings.add(
        t.Screening(
            id=new_id("scr"),
            claim_id=claim_id,
            evidence_id=out.evidence_id,
            engine_version=res.engine_version if res else "-",
            risk=res.risk if res else UNKNOWN,
            score=res.score if res else 1.0,
            current=True,
            error=out.error
            or (
                "a signal failed: "
                + "; ".join(f"{f.signal}: {f.error}" for f in res.findings if f.status == "failed")
                if failed and res
                else None
            ),
            result=(
                {**res.model_dump(mode="json"), "pictures": listed, "late_reference": out.late}
                if res
                else {"error": out.error}
            ),
            created_at=now,
        )
    )
    uow.flush()
    for f in res.findings if res else ():
        uow.screenings.add_signal(
            t.ScreeningSignal(
                screening_id=row.id,
                signal=f.signal,
                version=f.version,
                params_hash=f.params_hash,
                status=f.status,
                flagged=f.flagged,
                severity=f.severity,
                score=f.score,
                summary=f.summary,
            )
        )
