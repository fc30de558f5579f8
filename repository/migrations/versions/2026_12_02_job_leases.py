"""ingest jobs: leases kept by the task that runs them, attempts and cancel requests

A job's row is the truth about it: the task holding it renews ``lease_expires_at``; recovery
takes up jobs whose lease ran out. The state may now also be ``cancelled``.

Revision ID: b8d42f6c0e31
Revises: 9a4e2f7c1b36
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d42f6c0e31"
down_revision = "9a4e2f7c1b36"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_ingest_job_state_lease", ["state", "lease_expires_at"])


def downgrade():
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_job_state_lease")
        batch_op.drop_column("cancel_requested")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_holder")
        batch_op.drop_column("lease_expires_at")
