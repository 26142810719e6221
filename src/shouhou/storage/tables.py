"""Table definitions (SQLAlchemy 2 declarative). Only `storage/` imports this module.

Money is integer fen (分). Times are timezone-aware UTC. Personal fields are ciphertext (`*_enc`) plus a
keyed hash where a lookup is needed (`*_hash`); cleartext never reaches a column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every dialect (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


ID = String(40)


def _fk(target: str) -> ForeignKey:
    # Checked at commit, not per statement: a unit of work inserts rows in the order the ORM chooses (there
    # are no ORM relationships to order them) and flushes once.
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


class Platform(Base):
    __tablename__ = "platforms"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class Shop(Base):
    __tablename__ = "shops"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    platform_id: Mapped[str] = mapped_column(_fk("platforms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False)
    fast_track_limit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    response_window_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), index=True)
    shop_id: Mapped[str | None] = mapped_column(_fk("shops.id"), nullable=True, index=True)
    buyer_id: Mapped[str | None] = mapped_column(_fk("buyers.id"), nullable=True, index=True)
    on_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # scrypt hash for the web console's sign-in; None: the user signs in with API tokens only.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)


class WebSession(Base):
    """A signed-in browser: the id is the SHA-256 of the cookie's random token (the token is never stored)."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(_fk("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True, default=None)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(_fk("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Buyer(Base):
    """A buyer account on one platform; `person_key` (keyed hash of the verified phone) joins accounts of
    the same person across shops and platforms for the credit record."""

    __tablename__ = "buyers"
    __table_args__ = (UniqueConstraint("platform_id", "platform_buyer_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    platform_id: Mapped[str] = mapped_column(_fk("platforms.id"), index=True)
    platform_buyer_id: Mapped[str] = mapped_column(String(100))
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    name_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str] = mapped_column(Text)
    address_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    name_masked: Mapped[str] = mapped_column(String(100))
    credit_notice_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (UniqueConstraint("shop_id", "code"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    shop_id: Mapped[str] = mapped_column(_fk("shops.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "platform_order_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    shop_id: Mapped[str] = mapped_column(_fk("shops.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(_fk("buyers.id"), index=True)
    platform_order_id: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]


class OrderItem(Base):
    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(_fk("orders.id"), index=True)
    sku_id: Mapped[str] = mapped_column(_fk("skus.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    price_fen: Mapped[int] = mapped_column(BigInteger)


class Blob(Base):
    """Metadata of one stored file; the file is named by the sha256 of its original bytes."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class ReferencePhoto(Base):
    """A merchant photo a claim photo may be derived from: listing (per SKU), packing photo or a frame of
    a packing video (per order)."""

    __tablename__ = "reference_photos"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    shop_id: Mapped[str] = mapped_column(_fk("shops.id"), index=True)
    sku_id: Mapped[str | None] = mapped_column(_fk("skus.id"), nullable=True, index=True)
    order_id: Mapped[str | None] = mapped_column(_fk("orders.id"), nullable=True, index=True)
    claim_id: Mapped[str | None] = mapped_column(_fk("claims.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(30))  # listing | packing | packing_video_frame
    blob_sha256: Mapped[str] = mapped_column(_fk("blobs.sha256"))
    video_sha256: Mapped[str | None] = mapped_column(_fk("blobs.sha256"), nullable=True)
    frame_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    filename: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    shop_id: Mapped[str] = mapped_column(_fk("shops.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(_fk("buyers.id"), index=True)
    order_id: Mapped[str] = mapped_column(_fk("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # refund_only (仅退款) | return_and_refund (退货退款)
    reason: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(30), index=True)
    state_entered_at: Mapped[datetime]
    risk: Mapped[str | None] = mapped_column(String(10), nullable=True)
    risk_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The one timer running in the current state (merchant window, review SLA, evidence window, appeal).
    deadline_kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)  # has been in human review
    appeal_used: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EvidenceFile(Base):
    __tablename__ = "evidence_files"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(_fk("blobs.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    party: Mapped[str] = mapped_column(String(20))  # buyer | merchant
    uploaded_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    screened: Mapped[bool] = mapped_column(Boolean, default=False)


class Screening(Base):
    """One screening of one evidence photo; re-screens add rows, the newest one per photo is current."""

    __tablename__ = "screenings"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(_fk("evidence_files.id"), index=True)
    engine_version: Mapped[str] = mapped_column(String(30))
    risk: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ScreeningSignal(Base):
    __tablename__ = "screening_signals"
    __table_args__ = (Index("ix_screening_signals_signal_version", "signal", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    screening_id: Mapped[str] = mapped_column(_fk("screenings.id"), index=True)
    signal: Mapped[str] = mapped_column(String(50))
    version: Mapped[str] = mapped_column(String(20))
    params_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    flagged: Mapped[bool] = mapped_column(Boolean)
    severity: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[str] = mapped_column(Text)


class Review(Base):
    """A claim in a reviewer's queue (first review, or an appeal for a different reviewer)."""

    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(_fk("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # review | appeal
    assigned_at: Mapped[datetime]
    due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)


class MerchantResponse(Base):
    __tablename__ = "merchant_responses"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # accept | dispute | contest
    note: Mapped[str] = mapped_column(Text)
    responded_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    refund_fen: Mapped[int] = mapped_column(BigInteger)
    automated: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str] = mapped_column(String(20))  # fast_track | merchant | review | appeal | lapse
    reason: Mapped[str] = mapped_column(Text)
    forgery_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), unique=True)
    party: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    appealed_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class ClaimTransition(Base):
    __tablename__ = "claim_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CreditEvent(Base):
    """One decided claim's effect on a person's record; the record is the sum of its events."""

    __tablename__ = "credit_events"
    __table_args__ = (UniqueConstraint("claim_id", "decision_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    claim_id: Mapped[str] = mapped_column(_fk("claims.id"), index=True)
    decision_id: Mapped[str] = mapped_column(_fk("decisions.id"))
    shop_id: Mapped[str] = mapped_column(ID)
    platform_id: Mapped[str] = mapped_column(ID)
    refunded: Mapped[bool] = mapped_column(Boolean)
    forgery_confirmed: Mapped[bool] = mapped_column(Boolean)
    disputed: Mapped[bool] = mapped_column(Boolean)
    buyer_won: Mapped[bool] = mapped_column(Boolean)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)  # an appeal decided it again
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Job(Base):
    """A persisted background job; a running job whose lease expired is taken up again."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_pick", "state", "run_after"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime]
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ID)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only; `mac` = HMAC(key, prev_mac ‖ canonical entry). Never updated or deleted."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(80), index=True)
    detail: Mapped[dict[str, Any]]
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the newest entry; writers lock it so the chain has one order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    mac: Mapped[str] = mapped_column(String(64))


# Repair tables share the metadata (and the migrations) with everything above.
from shouhou.storage import repair_tables as _repair_tables  # noqa: E402,F401
