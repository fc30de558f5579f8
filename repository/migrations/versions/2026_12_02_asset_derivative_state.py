"""assets: the derivative state (pending, ready, failed) of the task that builds pyramid and tiles

A save stores the original and its thumbnails; the pyramid and the IIIF tiles are built by a
task after the commit. ``derivative_state`` replaces the ``derivatives_ready`` flag (ready stays
ready, the rest is pending and picked up by the recovery pass); ``derivative_attempts`` counts
the task's runs, so an image that kills its worker is given up as failed rather than retried
for ever; ``derivative_queued_at`` is when a task was last enqueued for it.

Revision ID: d3f7a9c2e815
Revises: c5e9b2d41f73
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "d3f7a9c2e815"
down_revision = "c5e9b2d41f73"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "derivative_state", sa.String(length=10), nullable=False, server_default="pending"
            )
        )
        batch_op.add_column(
            sa.Column("derivative_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("derivative_queued_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE asset SET derivative_state = 'ready' WHERE derivatives_ready")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_column("derivatives_ready")
        batch_op.create_index("ix_asset_derivative_state", ["derivative_state"])


def downgrade():
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("derivatives_ready", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE asset SET derivatives_ready = (derivative_state = 'ready')")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_derivative_state")
        batch_op.drop_column("derivative_queued_at")
        batch_op.drop_column("derivative_attempts")
        batch_op.drop_column("derivative_state")
