"""API shapes of repair requests, technicians, feedback and tips."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IntakeIn(BaseModel):
    customer_name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=6, max_length=30)
    address: str = Field(min_length=2, max_length=500)
    brand: str
    category: str
    description: str = Field(min_length=1, max_length=4000)
    service_type: str = "repair"
    fault_code: str | None = None
    emergency: bool = False
    channel: str = "online"


class RepairRead(Orm):
    id: str
    brand_id: str
    category_id: str
    service_type: str
    fault_code: str | None
    description: str
    address_masked: str
    adcode: str
    priority: str
    channel: str
    state: str
    technician_id: str | None
    first_response_due: datetime | None
    first_response_at: datetime | None
    first_response_breached: bool
    onsite_due: datetime | None
    onsite_at: datetime | None
    onsite_breached: bool
    escalations: int
    created_at: datetime


class IntakeOut(RepairRead):
    created: bool
    linked_to_open: bool
    reopened: bool


class EventRead(Orm):
    kind: str
    from_state: str
    to_state: str
    actor: str
    reason: str
    created_at: datetime


class RepairDetail(RepairRead):
    events: list[EventRead]


class StepIn(BaseModel):
    action: str
    reason: str = ""


class FeedbackIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)
    token: str | None = None


class FeedbackRead(Orm):
    rating: int
    comment: str
    points_awarded: int
    created_at: datetime


class ReassignIn(BaseModel):
    technician_id: str | None = None
    reason: str = Field(min_length=1, max_length=1000)


class SkillIn(BaseModel):
    category: str
    brand: str | None = None


class TechnicianIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=100)
    phone: str
    home: str
    coverage: list[str] = Field(min_length=1)
    skills: list[SkillIn] = Field(min_length=1)
    shift_start: str = "08:00"
    shift_end: str = "20:00"
    capacity_per_day: int = Field(default=8, ge=1, le=50)
    user_id: str | None = None


class TechnicianRead(Orm):
    id: str
    user_id: str | None
    display_name: str
    phone_masked: str
    home_adcode: str
    shift_start: str
    shift_end: str
    capacity_per_day: int
    available: bool
    rating_count: int


class TipRead(Orm):
    id: str
    title: str
    body_md: str
    tags: str
