"""API shapes of claims, screenings, credit and the catalogue (tables live apart in storage/tables.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Patch(BaseModel):
    """A partial change: a field left out stays as it is; an unknown field or an explicit null is refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_nulls(self) -> Patch:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} may be left out but not set to null")
        return self


class PlatformCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class PlatformRead(Orm):
    id: str
    name: str


class ShopPolicy(BaseModel):
    fast_track: bool = False
    fast_track_limit_fen: int = Field(default=0, ge=0)
    response_window_hours: float | None = Field(default=None, ge=1, le=336)


class ShopCreate(ShopPolicy):
    platform_id: str
    name: str = Field(min_length=1, max_length=200)


class ShopRename(Patch):
    name: str = Field(min_length=1, max_length=200)


class ShopRead(Orm):
    id: str
    platform_id: str
    name: str
    fast_track: bool
    fast_track_limit_fen: int
    response_window_hours: float | None


class SkuCreate(BaseModel):
    code: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    price_fen: int = Field(ge=0)


class SkuUpdate(Patch):
    """The code is the SKU's identity on the platform and does not change; create another SKU instead."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    price_fen: int | None = Field(default=None, ge=0)


class SkuRead(Orm):
    id: str
    shop_id: str
    code: str
    title: str
    price_fen: int


class BuyerIn(BaseModel):
    platform_buyer_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=6, max_length=30)
    address: str | None = Field(default=None, max_length=500)


class OrderLineIn(BaseModel):
    sku_id: str
    quantity: int = Field(default=1, ge=1)
    price_fen: int = Field(ge=0)


class OrderCreate(BaseModel):
    shop_id: str
    platform_order_id: str = Field(min_length=1, max_length=100)
    buyer: BuyerIn
    items: list[OrderLineIn] = Field(min_length=1)
    # A time without a zone is refused here (422) rather than guessed: the capture check compares photo times
    # with delivery to the minute.
    placed_at: AwareDatetime
    delivered_at: AwareDatetime | None = None


class OrderUpdate(Patch):
    placed_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None


class OrderItemRead(Orm):
    sku_id: str
    quantity: int
    price_fen: int


class OrderRead(BaseModel):
    id: str
    shop_id: str
    buyer_id: str
    platform_order_id: str
    placed_at: datetime
    delivered_at: datetime | None
    items: list[OrderItemRead]


class ReferenceRead(Orm):
    id: str
    kind: str
    sku_id: str | None
    order_id: str | None
    claim_id: str | None
    blob_sha256: str
    video_sha256: str | None
    frame_seconds: float | None
    filename: str
    created_at: datetime


class EvidenceRead(Orm):
    id: str
    blob_sha256: str
    filename: str
    party: str
    created_at: datetime
    screened: bool


class TransitionRead(Orm):
    from_state: str
    to_state: str
    actor: str
    reason: str
    created_at: datetime


class DecisionRead(Orm):
    id: str
    outcome: str
    refund_fen: int
    automated: bool
    stage: str
    reason: str
    forgery_confirmed: bool
    decided_by: str
    created_at: datetime


class ReviewRead(Orm):
    reviewer_id: str
    kind: str
    assigned_at: datetime
    due_at: datetime
    completed_at: datetime | None
    breached: bool


class ResponseRead(Orm):
    action: str
    note: str
    responded_by: str
    created_at: datetime


class AppealRead(Orm):
    party: str
    reason: str
    appealed_by: str
    created_at: datetime


class Timer(BaseModel):
    kind: str
    due_at: datetime
    seconds_left: float


class ClaimSummary(Orm):
    id: str
    shop_id: str
    buyer_id: str
    order_id: str
    kind: str
    amount_fen: int
    state: str
    risk: str | None
    risk_score: float | None
    sla_breached: bool
    created_at: datetime
    updated_at: datetime


class ClaimCreated(ClaimSummary):
    """The answer to a submission: enough to follow the claim (GET /claims/{id} has the rest)."""

    timer: Timer | None
    notices: list[str] = Field(default_factory=list)


class ClaimRead(ClaimSummary):
    reason: str
    state_entered_at: datetime
    timer: Timer | None
    appeal_used: bool
    evidence: list[EvidenceRead]
    transitions: list[TransitionRead]
    decisions: list[DecisionRead]
    reviews: list[ReviewRead]
    merchant_responses: list[ResponseRead]
    appeal: AppealRead | None
    references: list[ReferenceRead]
    buyer_name: str
    buyer_phone: str
    # To the buyer: the PIPL notice that a cross-shop claims record exists and how to see it.
    notices: list[str] = Field(default_factory=list)


class SignalRead(Orm):
    signal: str
    version: str
    params_hash: str
    status: str
    flagged: bool
    severity: str
    score: float | None
    summary: str


class PhotoScreening(BaseModel):
    evidence_id: str
    engine_version: str
    risk: str
    score: float
    error: str | None
    matched_reference: str | None
    reasons: list[dict[str, Any]]
    notes: list[str]
    signals: list[SignalRead]
    screened_at: datetime


class ClaimScreening(BaseModel):
    claim_id: str
    risk: str | None
    risk_score: float | None
    complete: bool
    photos: list[PhotoScreening]


class DecisionIn(BaseModel):
    outcome: str
    reason: str = Field(min_length=1, max_length=4000)
    refund_fen: int | None = Field(default=None, ge=0)
    forgery_confirmed: bool = False


class TextIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class EvidenceRequestIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


class ContactRead(BaseModel):
    name: str
    phone: str
    address: str | None
    masked: bool


class CreditLineRead(BaseModel):
    claim_id: str
    shop_id: str
    platform_id: str
    at: datetime
    refunded: bool
    forgery_confirmed: bool
    disputed: bool
    buyer_won: bool
    reason: str


class CreditRead(BaseModel):
    buyer_id: str
    claims: int
    refunds: int
    forgeries_confirmed: int
    disputes_won: int
    disputes_lost: int
    shops: int
    platforms: int
    lines: list[CreditLineRead]
    explanation: list[str]
    notice: str


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    role: str
    display_name: str = ""
    shop_id: str | None = None
    buyer_id: str | None = None
    on_shift: bool = False


class UserRead(Orm):
    id: str
    username: str
    display_name: str
    role: str
    shop_id: str | None
    buyer_id: str | None
    on_shift: bool


class UserCreated(UserRead):
    token: str = Field(description="shown once; only its hash is stored")


class ShiftIn(BaseModel):
    on_shift: bool
