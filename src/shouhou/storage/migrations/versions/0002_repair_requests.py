"""repair requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:29:43.344608
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "brands",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("warranty_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("name_masked", sa.String(length=100), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_key"),
    )
    op.create_table(
        "fault_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category_id", "code"),
    )
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fault_codes_category_id"), ["category_id"], unique=False)

    op.create_table(
        "maintenance_tips",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=300), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("maintenance_tips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintenance_tips_category_id"), ["category_id"], unique=False)

    op.create_table(
        "technicians",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("home_adcode", sa.String(length=12), nullable=False),
        sa.Column("home_lng", sa.Float(), nullable=False),
        sa.Column("home_lat", sa.Float(), nullable=False),
        sa.Column("shift_start", sa.String(length=5), nullable=False),
        sa.Column("shift_end", sa.String(length=5), nullable=False),
        sa.Column("capacity_per_day", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "repair_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("service_type", sa.String(length=20), nullable=False),
        sa.Column("fault_code", sa.String(length=30), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address_enc", sa.Text(), nullable=False),
        sa.Column("address_masked", sa.String(length=100), nullable=False),
        sa.Column("adcode", sa.String(length=12), nullable=False),
        sa.Column("province_code", sa.String(length=12), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("technician_id", sa.String(length=40), nullable=True),
        sa.Column("reopened_from", sa.String(length=40), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("onsite_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("onsite_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wait_reason", sa.String(length=40), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("first_response_breached", sa.Boolean(), nullable=False),
        sa.Column("onsite_breached", sa.Boolean(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatch_ms", sa.Float(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], initially="DEFERRED", deferrable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], initially="DEFERRED", deferrable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], initially="DEFERRED", deferrable=True),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_requests_adcode"), ["adcode"], unique=False)
        batch_op.create_index(batch_op.f("ix_repair_requests_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_repair_requests_first_response_due"), ["first_response_due"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repair_requests_onsite_due"), ["onsite_due"], unique=False)
        batch_op.create_index(
            "ix_repair_requests_open", ["customer_id", "brand_id", "category_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repair_requests_province_code"), ["province_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_repair_requests_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_repair_requests_technician_id"), ["technician_id"], unique=False)

    op.create_table(
        "technician_coverage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("technician_id", sa.String(length=40), nullable=False),
        sa.Column("adcode", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("technician_id", "adcode"),
    )
    with op.batch_alter_table("technician_coverage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_technician_coverage_adcode"), ["adcode"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_technician_coverage_technician_id"), ["technician_id"], unique=False
        )

    op.create_table(
        "technician_skills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("technician_id", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], initially="DEFERRED", deferrable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], initially="DEFERRED", deferrable=True),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("technician_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_technician_skills_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_technician_skills_technician_id"), ["technician_id"], unique=False
        )

    op.create_table(
        "repair_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["repair_requests.id"], initially="DEFERRED", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repair_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_events_request_id"), ["request_id"], unique=False)

    op.create_table(
        "repair_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("technician_id", sa.String(length=40), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("points_awarded", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["repair_requests.id"], initially="DEFERRED", deferrable=True
        ),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    with op.batch_alter_table("repair_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_feedback_technician_id"), ["technician_id"], unique=False)

    op.create_table(
        "repair_visits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("technician_id", sa.String(length=40), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("before_photos", sa.JSON(), nullable=False),
        sa.Column("after_photos", sa.JSON(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["repair_requests.id"], initially="DEFERRED", deferrable=True
        ),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], initially="DEFERRED", deferrable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repair_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_visits_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_repair_visits_technician_id"), ["technician_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("repair_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_visits_technician_id"))
        batch_op.drop_index(batch_op.f("ix_repair_visits_request_id"))

    op.drop_table("repair_visits")
    with op.batch_alter_table("repair_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_feedback_technician_id"))

    op.drop_table("repair_feedback")
    with op.batch_alter_table("repair_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_events_request_id"))

    op.drop_table("repair_events")
    with op.batch_alter_table("technician_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_technician_skills_technician_id"))
        batch_op.drop_index(batch_op.f("ix_technician_skills_category_id"))

    op.drop_table("technician_skills")
    with op.batch_alter_table("technician_coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_technician_coverage_technician_id"))
        batch_op.drop_index(batch_op.f("ix_technician_coverage_adcode"))

    op.drop_table("technician_coverage")
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_requests_technician_id"))
        batch_op.drop_index(batch_op.f("ix_repair_requests_state"))
        batch_op.drop_index(batch_op.f("ix_repair_requests_province_code"))
        batch_op.drop_index("ix_repair_requests_open")
        batch_op.drop_index(batch_op.f("ix_repair_requests_onsite_due"))
        batch_op.drop_index(batch_op.f("ix_repair_requests_first_response_due"))
        batch_op.drop_index(batch_op.f("ix_repair_requests_customer_id"))
        batch_op.drop_index(batch_op.f("ix_repair_requests_adcode"))

    op.drop_table("repair_requests")
    op.drop_table("technicians")
    with op.batch_alter_table("maintenance_tips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_tips_category_id"))

    op.drop_table("maintenance_tips")
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fault_codes_category_id"))

    op.drop_table("fault_codes")
    op.drop_table("customers")
    op.drop_table("categories")
    op.drop_table("brands")
