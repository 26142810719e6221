"""Repositories: typed, keyword-only queries over one session. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from shouhou.errors import NotFound
from shouhou.storage import tables as t
from shouhou.storage.scope import Scope

T = TypeVar("T", bound=t.Base)


class Repository(Generic[T]):
    model: type[T]
    noun: str = "object"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, *, id: str) -> T | None:
        return self.session.get(self.model, id)

    def get_or_raise(self, *, id: str) -> T:
        row = self.get(id=id)
        if row is None:
            raise NotFound(f"{self.noun} {id} not found")
        return row

    def lock_or_raise(self, *, id: str) -> T:
        """The row, locked until commit (SQLite's write transaction is already exclusive)."""
        row = self.session.get(self.model, id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound(f"{self.noun} {id} not found")
        return row

    def add(self, row: T) -> T:
        # Flushed with the unit of work (foreign keys are checked at commit, so insert order is free).
        self.session.add(row)
        return row

    def delete(self, row: T) -> None:
        self.session.delete(row)

    def flush(self) -> None:
        self.session.flush()


class PlatformRepository(Repository[t.Platform]):
    model = t.Platform
    noun = "platform"

    def by_name(self, *, name: str) -> t.Platform | None:
        return self.session.scalars(select(t.Platform).where(t.Platform.name == name)).first()

    def all(self) -> Sequence[t.Platform]:
        return self.session.scalars(select(t.Platform).order_by(t.Platform.name, t.Platform.id)).all()


class ShopRepository(Repository[t.Shop]):
    model = t.Shop
    noun = "shop"

    def list(self, *, offset: int, limit: int) -> tuple[Sequence[t.Shop], int]:
        total = self.session.scalar(select(func.count()).select_from(t.Shop)) or 0
        rows = self.session.scalars(select(t.Shop).order_by(t.Shop.id).offset(offset).limit(limit)).all()
        return rows, total

    def counts_by_platform(self) -> dict[str, int]:
        stmt = select(t.Shop.platform_id, func.count()).group_by(t.Shop.platform_id)
        return {platform_id: int(n) for platform_id, n in self.session.execute(stmt).all()}


class UserRepository(Repository[t.User]):
    model = t.User
    noun = "user"

    def by_username(self, *, username: str) -> t.User | None:
        return self.session.scalars(select(t.User).where(t.User.username == username)).first()

    def by_token_hash(self, *, token_hash: str) -> t.User | None:
        stmt = (
            select(t.User)
            .join(t.ApiToken, t.ApiToken.user_id == t.User.id)
            .where(t.ApiToken.token_hash == token_hash, t.ApiToken.revoked_at.is_(None), t.User.active)
        )
        return self.session.scalars(stmt).first()

    def add_token(self, token: t.ApiToken) -> None:
        self.session.add(token)

    def reviewers_on_shift(self) -> Sequence[t.User]:
        stmt = (
            select(t.User)
            .where(t.User.role == "reviewer", t.User.on_shift, t.User.active)
            .order_by(t.User.id)
        )
        return self.session.scalars(stmt).all()

    def list(self, *, role: str | None, offset: int, limit: int) -> tuple[Sequence[t.User], int]:
        stmt = select(t.User)
        if role:
            stmt = stmt.where(t.User.role == role)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        return self.session.scalars(stmt.order_by(t.User.id).offset(offset).limit(limit)).all(), total


class WebSessionRepository(Repository[t.WebSession]):
    model = t.WebSession
    noun = "session"

    def active_user(self, *, session_id: str, now: datetime) -> t.User | None:
        stmt = (
            select(t.User)
            .join(t.WebSession, t.WebSession.user_id == t.User.id)
            .where(
                t.WebSession.id == session_id,
                t.WebSession.revoked_at.is_(None),
                t.WebSession.expires_at > now,
                t.User.active,
            )
        )
        return self.session.scalars(stmt).first()

    def revoke_for_user(self, *, user_id: str, now: datetime) -> None:
        self.session.execute(
            update(t.WebSession)
            .where(t.WebSession.user_id == user_id, t.WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class BuyerRepository(Repository[t.Buyer]):
    model = t.Buyer
    noun = "buyer"

    def by_platform_id(self, *, platform_id: str, platform_buyer_id: str) -> t.Buyer | None:
        stmt = select(t.Buyer).where(
            t.Buyer.platform_id == platform_id, t.Buyer.platform_buyer_id == platform_buyer_id
        )
        return self.session.scalars(stmt).first()

    def ids(self) -> Sequence[str]:
        return self.session.scalars(select(t.Buyer.id).order_by(t.Buyer.id)).all()

    def by_person(self, *, person_key: str) -> Sequence[t.Buyer]:
        return self.session.scalars(select(t.Buyer).where(t.Buyer.person_key == person_key)).all()


class SkuRepository(Repository[t.Sku]):
    model = t.Sku
    noun = "SKU"

    def by_code(self, *, shop_id: str, code: str) -> t.Sku | None:
        return self.session.scalars(select(t.Sku).where(t.Sku.shop_id == shop_id, t.Sku.code == code)).first()

    def for_shop(self, *, shop_id: str) -> Sequence[t.Sku]:
        stmt = select(t.Sku).where(t.Sku.shop_id == shop_id).order_by(t.Sku.code, t.Sku.id)
        return self.session.scalars(stmt).all()

    def counts(self, *, shop_ids: Sequence[str]) -> dict[str, int]:
        """SKUs per shop, for the shops named (a shop without any is absent)."""
        if not shop_ids:
            return {}
        stmt = (
            select(t.Sku.shop_id, func.count())
            .where(t.Sku.shop_id.in_(sorted(set(shop_ids))))
            .group_by(t.Sku.shop_id)
        )
        return {shop_id: int(n) for shop_id, n in self.session.execute(stmt).all()}

    def order_lines(self, *, sku_id: str) -> tuple[int, int]:
        """(order lines, distinct orders) that name the SKU."""
        stmt = select(func.count(), func.count(t.OrderItem.order_id.distinct())).where(
            t.OrderItem.sku_id == sku_id
        )
        lines, orders = self.session.execute(stmt).one()
        return int(lines), int(orders)


class OrderRepository(Repository[t.Order]):
    model = t.Order
    noun = "order"

    def items(self, *, order_id: str) -> Sequence[t.OrderItem]:
        return self.session.scalars(select(t.OrderItem).where(t.OrderItem.order_id == order_id)).all()

    def add_item(self, item: t.OrderItem) -> None:
        self.session.add(item)

    def delete_items(self, *, order_id: str) -> None:
        self.session.execute(delete(t.OrderItem).where(t.OrderItem.order_id == order_id))

    def for_buyer(self, *, buyer_id: str, offset: int, limit: int) -> tuple[Sequence[t.Order], int]:
        stmt = select(t.Order).where(t.Order.buyer_id == buyer_id)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(
            stmt.order_by(t.Order.placed_at.desc(), t.Order.id.desc()).offset(offset).limit(limit)
        ).all()
        return rows, total


class BlobRepository(Repository[t.Blob]):
    model = t.Blob
    noun = "file"

    def get(self, *, id: str) -> t.Blob | None:
        return self.session.get(t.Blob, id)

    def add_if_absent(self, row: t.Blob) -> t.Blob:
        existing = self.session.get(t.Blob, row.sha256)
        if existing is not None:
            return existing  # content-addressed: the first upload's metadata stays
        self.session.add(row)
        return row


class ReferenceRepository(Repository[t.ReferencePhoto]):
    model = t.ReferencePhoto
    noun = "reference photo"

    def for_claim(self, *, shop_id: str, sku_ids: Sequence[str], order_id: str) -> Sequence[t.ReferencePhoto]:
        stmt = select(t.ReferencePhoto).where(
            t.ReferencePhoto.shop_id == shop_id,
            or_(t.ReferencePhoto.sku_id.in_(list(sku_ids)), t.ReferencePhoto.order_id == order_id),
        )
        order = (t.ReferencePhoto.created_at, t.ReferencePhoto.frame_seconds, t.ReferencePhoto.id)
        return self.session.scalars(stmt.order_by(*order)).all()

    def for_sku(self, *, sku_id: str) -> Sequence[t.ReferencePhoto]:
        stmt = select(t.ReferencePhoto).where(t.ReferencePhoto.sku_id == sku_id)
        return self.session.scalars(stmt.order_by(t.ReferencePhoto.id)).all()

    def for_order(self, *, order_id: str) -> Sequence[t.ReferencePhoto]:
        stmt = select(t.ReferencePhoto).where(t.ReferencePhoto.order_id == order_id)
        return self.session.scalars(stmt.order_by(t.ReferencePhoto.id)).all()


class ClaimRepository(Repository[t.Claim]):
    model = t.Claim
    noun = "claim"

    def _scoped(self, scope: Scope) -> Any:
        stmt = select(t.Claim)
        if scope.everything:
            return stmt
        if scope.buyer_id is not None:
            return stmt.where(t.Claim.buyer_id == scope.buyer_id)
        if scope.shop_id is not None:
            return stmt.where(t.Claim.shop_id == scope.shop_id)
        if scope.reviewer_id is not None:
            mine = select(t.Review.claim_id).where(t.Review.reviewer_id == scope.reviewer_id)
            return stmt.where(t.Claim.id.in_(mine))
        return stmt.where(false())

    def get_scoped(self, *, id: str, scope: Scope) -> t.Claim | None:
        return self.session.scalars(self._scoped(scope).where(t.Claim.id == id)).first()

    def list_scoped(
        self, *, scope: Scope, state: str | None, risk: str | None, offset: int, limit: int
    ) -> tuple[Sequence[t.Claim], int]:
        stmt = self._scoped(scope)
        if state:
            stmt = stmt.where(t.Claim.state == state)
        if risk:
            stmt = stmt.where(t.Claim.risk == risk)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(
            stmt.order_by(t.Claim.created_at.desc(), t.Claim.id.desc()).offset(offset).limit(limit)
        ).all()
        return rows, total

    def review_queue(
        self,
        *,
        scope: Scope,
        states: Sequence[str] | None,
        open_review_by: str | None,
        risk: str | None,
        shop_id: str | None,
        due_from: datetime | None,
        due_before: datetime | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[t.Claim], int]:
        """A review queue: claims in scope, optionally only those whose open review is `open_review_by`'s,
        by deadline (claims without one last)."""
        stmt = self._scoped(scope)
        if states:
            stmt = stmt.where(t.Claim.state.in_(list(states)))
        if open_review_by is not None:
            mine = select(t.Review.claim_id).where(
                t.Review.reviewer_id == open_review_by, t.Review.completed_at.is_(None)
            )
            stmt = stmt.where(t.Claim.id.in_(mine))
        if risk:
            stmt = stmt.where(t.Claim.risk == risk)
        if shop_id:
            stmt = stmt.where(t.Claim.shop_id == shop_id)
        if due_from is not None:
            stmt = stmt.where(t.Claim.deadline_at >= due_from)
        if due_before is not None:
            stmt = stmt.where(t.Claim.deadline_at < due_before)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        due = t.Claim.deadline_at.desc() if descending else t.Claim.deadline_at.asc()
        rows = self.session.scalars(
            stmt.order_by(t.Claim.deadline_at.is_(None), due, t.Claim.id).offset(offset).limit(limit)
        ).all()
        return rows, total

    def due(self, *, now: datetime, limit: int) -> Sequence[str]:
        stmt = (
            select(t.Claim.id)
            .where(t.Claim.deadline_at.is_not(None), t.Claim.deadline_at <= now)
            .order_by(t.Claim.deadline_at)
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def by_buyers(self, *, buyer_ids: Sequence[str]) -> Sequence[t.Claim]:
        return self.session.scalars(select(t.Claim).where(t.Claim.buyer_id.in_(list(buyer_ids)))).all()

    def ids(self, *, states: Sequence[str] | None = None) -> Sequence[str]:
        stmt = select(t.Claim.id)
        if states:
            stmt = stmt.where(t.Claim.state.in_(list(states)))
        return self.session.scalars(stmt.order_by(t.Claim.id)).all()

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(t.Claim)) or 0

    def for_order(self, *, order_id: str) -> Sequence[t.Claim]:
        stmt = select(t.Claim).where(t.Claim.order_id == order_id)
        return self.session.scalars(stmt.order_by(t.Claim.created_at, t.Claim.id)).all()

    def transitions(self, *, claim_id: str) -> Sequence[t.ClaimTransition]:
        stmt = select(t.ClaimTransition).where(t.ClaimTransition.claim_id == claim_id)
        return self.session.scalars(stmt.order_by(t.ClaimTransition.id)).all()

    def add_transition(self, row: t.ClaimTransition) -> None:
        self.session.add(row)

    def decisions(self, *, claim_id: str) -> Sequence[t.Decision]:
        stmt = select(t.Decision).where(t.Decision.claim_id == claim_id)
        return self.session.scalars(stmt.order_by(t.Decision.created_at, t.Decision.id)).all()

    def appeal(self, *, claim_id: str) -> t.Appeal | None:
        return self.session.scalars(select(t.Appeal).where(t.Appeal.claim_id == claim_id)).first()

    def responses(self, *, claim_id: str) -> Sequence[t.MerchantResponse]:
        stmt = select(t.MerchantResponse).where(t.MerchantResponse.claim_id == claim_id)
        return self.session.scalars(stmt.order_by(t.MerchantResponse.created_at)).all()


class EvidenceRepository(Repository[t.EvidenceFile]):
    model = t.EvidenceFile
    noun = "evidence file"

    def for_claim(self, *, claim_id: str, party: str | None = None) -> Sequence[t.EvidenceFile]:
        stmt = select(t.EvidenceFile).where(t.EvidenceFile.claim_id == claim_id)
        if party:
            stmt = stmt.where(t.EvidenceFile.party == party)
        return self.session.scalars(stmt.order_by(t.EvidenceFile.created_at, t.EvidenceFile.id)).all()


class ScreeningRepository(Repository[t.Screening]):
    model = t.Screening
    noun = "screening"

    def current_for_claim(self, *, claim_id: str) -> Sequence[t.Screening]:
        stmt = select(t.Screening).where(t.Screening.claim_id == claim_id, t.Screening.current)
        return self.session.scalars(stmt.order_by(t.Screening.created_at, t.Screening.id)).all()

    def retire(self, *, evidence_id: str) -> None:
        self.session.execute(
            update(t.Screening).where(t.Screening.evidence_id == evidence_id).values(current=False)
        )

    def matching_references(self, *, reference_ids: Sequence[str]) -> Sequence[t.Screening]:
        """Screenings (current or retired) whose photo was found derived from one of these references."""
        if not reference_ids:
            return []
        matched = t.Screening.result["matched_reference"].as_string()
        stmt = select(t.Screening).where(matched.in_(sorted(set(reference_ids))))
        return self.session.scalars(stmt.order_by(t.Screening.created_at, t.Screening.id)).all()

    def add_signal(self, row: t.ScreeningSignal) -> None:
        self.session.add(row)

    def signals(self, *, screening_id: str) -> Sequence[t.ScreeningSignal]:
        stmt = select(t.ScreeningSignal).where(t.ScreeningSignal.screening_id == screening_id)
        return self.session.scalars(stmt.order_by(t.ScreeningSignal.id)).all()


class ReviewRepository(Repository[t.Review]):
    model = t.Review
    noun = "review"

    def open_for_claim(self, *, claim_id: str) -> t.Review | None:
        stmt = select(t.Review).where(t.Review.claim_id == claim_id, t.Review.completed_at.is_(None))
        return self.session.scalars(stmt.order_by(t.Review.assigned_at.desc())).first()

    def for_claim(self, *, claim_id: str) -> Sequence[t.Review]:
        stmt = select(t.Review).where(t.Review.claim_id == claim_id)
        return self.session.scalars(stmt.order_by(t.Review.assigned_at)).all()

    def open_load(self) -> dict[str, int]:
        stmt = (
            select(t.Review.reviewer_id, func.count())
            .where(t.Review.completed_at.is_(None))
            .group_by(t.Review.reviewer_id)
        )
        return {rid: int(n) for rid, n in self.session.execute(stmt).all()}

    def assigned_count(self) -> dict[str, int]:
        stmt = select(t.Review.reviewer_id, func.count()).group_by(t.Review.reviewer_id)
        return {rid: int(n) for rid, n in self.session.execute(stmt).all()}


class CreditRepository(Repository[t.CreditEvent]):
    model = t.CreditEvent
    noun = "credit event"

    def events(self, *, person_key: str) -> Sequence[t.CreditEvent]:
        stmt = select(t.CreditEvent).where(t.CreditEvent.person_key == person_key)
        return self.session.scalars(stmt.order_by(t.CreditEvent.created_at, t.CreditEvent.id)).all()

    def supersede(self, *, claim_id: str) -> None:
        self.session.execute(
            update(t.CreditEvent).where(t.CreditEvent.claim_id == claim_id).values(superseded=True)
        )


class IdempotencyRepository(Repository[t.IdempotencyKey]):
    model = t.IdempotencyKey
    noun = "idempotency key"

    def find(self, *, user_id: str, key: str) -> t.IdempotencyKey | None:
        stmt = select(t.IdempotencyKey).where(
            t.IdempotencyKey.user_id == user_id, t.IdempotencyKey.key == key
        )
        return self.session.scalars(stmt).first()


class JobRepository(Repository[t.Job]):
    model = t.Job
    noun = "job"

    def pick(
        self, *, now: datetime, worker: str, lease: timedelta, kinds: Sequence[str] | None
    ) -> t.Job | None:
        """Take the oldest runnable job (queued, or running with an expired lease) and lease it."""
        stmt = (
            select(t.Job)
            .where(
                or_(
                    (t.Job.state == "queued") & (t.Job.run_after <= now),
                    (t.Job.state == "running") & (t.Job.lease_until < now),
                )
            )
            .order_by(t.Job.run_after, t.Job.id)
            .limit(1)
        )
        if kinds:
            stmt = stmt.where(t.Job.kind.in_(list(kinds)))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        job = self.session.scalars(stmt).first()
        if job is None:
            return None
        job.state = "running"
        job.attempts += 1
        job.worker = worker
        job.lease_until = now + lease
        return job

    def count(self, *, state: str | None = None, kind: str | None = None) -> int:
        stmt = select(func.count()).select_from(t.Job)
        if state:
            stmt = stmt.where(t.Job.state == state)
        if kind:
            stmt = stmt.where(t.Job.kind == kind)
        return self.session.scalar(stmt) or 0

    def pending_for(self, *, kind: str, key: str, value: str) -> bool:
        stmt = select(t.Job).where(t.Job.kind == kind, t.Job.state.in_(["queued", "running"]))
        return any(job.payload.get(key) == value for job in self.session.scalars(stmt))

    def release_running(self) -> int:
        """Every running job goes back to the queue: the embedded server is the only worker, so at its
        start any job still marked running was held by a process that died."""
        result = self.session.execute(update(t.Job).where(t.Job.state == "running").values(state="queued"))
        return int(getattr(result, "rowcount", 0) or 0)
