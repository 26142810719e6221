"""Tables of repair requests (报修): catalogue, technicians, customers, requests, visits, feedback, tips.

Personal fields are ciphertext (`*_enc`) with a masked copy for display and a keyed hash for lookups, as for
buyers; division codes are the Ministry of Civil Affairs' (see shouhou.places).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shouhou.storage.tables import ID, Base, _fk


class Brand(Base):
    __tablename__ = "brands"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    warranty_days: Mapped[int] = mapped_column(Integer, default=90)  # a repeat fault within it reopens
    created_at: Mapped[datetime]


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)  # washing_machine, safe, air_conditioner …
    name: Mapped[str] = mapped_column(String(200))


class FaultCode(Base):
    __tablename__ = "fault_codes"
    __table_args__ = (UniqueConstraint("category_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_id: Mapped[str] = mapped_column(_fk("categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)  # green channel


class Technician(Base):
    __tablename__ = "technicians"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str | None] = mapped_column(_fk("users.id"), nullable=True, unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_masked: Mapped[str] = mapped_column(String(20))
    home_adcode: Mapped[str] = mapped_column(String(12))
    home_lng: Mapped[float] = mapped_column(Float)
    home_lat: Mapped[float] = mapped_column(Float)
    shift_start: Mapped[str] = mapped_column(String(5), default="08:00")  # local time, Asia/Shanghai
    shift_end: Mapped[str] = mapped_column(String(5), default="20:00")
    capacity_per_day: Mapped[int] = mapped_column(Integer, default=8)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class TechnicianSkill(Base):
    __tablename__ = "technician_skills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    technician_id: Mapped[str] = mapped_column(_fk("technicians.id"), index=True)
    category_id: Mapped[str] = mapped_column(_fk("categories.id"), index=True)
    brand_id: Mapped[str | None] = mapped_column(_fk("brands.id"), nullable=True)  # None: every brand


class TechnicianCoverage(Base):
    """A county code, or a town code for a county-less city (东莞, 中山, 儋州, 嘉峪关)."""

    __tablename__ = "technician_coverage"
    __table_args__ = (UniqueConstraint("technician_id", "adcode"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    technician_id: Mapped[str] = mapped_column(_fk("technicians.id"), index=True)
    adcode: Mapped[str] = mapped_column(String(12), index=True)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), unique=True)  # keyed hash of the phone number
    name_enc: Mapped[str] = mapped_column(Text)
    phone_enc: Mapped[str] = mapped_column(Text)
    name_masked: Mapped[str] = mapped_column(String(100))
    phone_masked: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class RepairRequest(Base):
    __tablename__ = "repair_requests"
    __table_args__ = (
        Index("ix_repair_requests_open", "customer_id", "brand_id", "category_id", "state"),
        # The timer's "finished before the cutoff, oldest first" (migration 0005).
        Index("ix_repair_requests_state_completed", "state", "completed_at"),
        # Dispatch's count of each candidate's held jobs and jobs given today, from the index alone (0005).
        Index("ix_repair_requests_workload", "technician_id", "state", "dispatched_at"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(_fk("customers.id"), index=True)
    brand_id: Mapped[str] = mapped_column(_fk("brands.id"))
    category_id: Mapped[str] = mapped_column(_fk("categories.id"))
    service_type: Mapped[str] = mapped_column(String(20))
    fault_code: Mapped[str | None] = mapped_column(String(30), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    address_enc: Mapped[str] = mapped_column(Text)
    address_masked: Mapped[str] = mapped_column(String(100))
    adcode: Mapped[str] = mapped_column(String(12), index=True)  # county, or town of a county-less city
    province_code: Mapped[str] = mapped_column(String(12), index=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    priority: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), index=True)
    state_entered_at: Mapped[datetime]
    technician_id: Mapped[str | None] = mapped_column(_fk("technicians.id"), nullable=True, index=True)
    reopened_from: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_response_due: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    onsite_at: Mapped[datetime | None] = mapped_column(nullable=True)
    onsite_due: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    wait_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)  # "parts:accepted"
    pauses: Mapped[list[Any]] = mapped_column(default=list)  # [[start iso, end iso | null], …]
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    onsite_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    dispatched_at: Mapped[datetime | None] = mapped_column(nullable=True)
    dispatch_ms: Mapped[float | None] = mapped_column(Float, nullable=True)  # decision latency, wall clock
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RepairEvent(Base):
    """History of a request: transitions, assignments (with reasons), linked duplicate calls, escalations."""

    __tablename__ = "repair_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(_fk("repair_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # transition | assigned | duplicate | escalated | note
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    actor: Mapped[str] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Visit(Base):
    __tablename__ = "repair_visits"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(_fk("repair_requests.id"), index=True)
    technician_id: Mapped[str] = mapped_column(_fk("technicians.id"), index=True)
    parts: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "quantity", "price_fen"}]
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    before_photos: Mapped[list[Any]] = mapped_column(default=list)  # blob sha256s
    after_photos: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime]


class Feedback(Base):
    """1–5 and a comment per visit; the technician sees aggregates only, never who rated."""

    __tablename__ = "repair_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(_fk("repair_requests.id"), unique=True)
    technician_id: Mapped[str] = mapped_column(_fk("technicians.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    points_awarded: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Tip(Base):
    __tablename__ = "maintenance_tips"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    category_id: Mapped[str] = mapped_column(_fk("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(300), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
