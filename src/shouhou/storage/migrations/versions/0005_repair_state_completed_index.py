"""repair requests: indexes for the timer that closes finished requests and for dispatch's workload read

(state, completed_at): the scheduler asks every few minutes for the requests completed or rated before a
cutoff, oldest first; with the state index alone that read every finished request ever (and sorted them), so
the tick grew with the table.
(technician_id, state, dispatched_at): every dispatch decision counts each candidate's held jobs and jobs
given today; covering, so the count reads the index only, not a technician's whole history of rows.

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
        batch_op.create_index(
            "ix_repair_requests_workload", ["technician_id", "state", "dispatched_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("repair_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_requests_workload")
        batch_op.drop_index("ix_repair_requests_state_completed")
