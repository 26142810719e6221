"""repair requests: index (state, completed_at) for the timer that closes finished requests

The scheduler asks every few minutes for the requests completed or rated before a cutoff, oldest first;
with the state index alone that read every finished request ever (and sorted them), so the tick grew with
the table.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.create_index("ix_repair_requests_state_completed", ["state", "completed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_requests_state_completed")
