"""recording sizes as 64-bit integers

A recording may be as large as MAX_RECORDING_BYTES (2 GiB by default), one byte more than a
32-bit integer holds.

Revision ID: 3e1b7c5a9f20
Revises: 9c4e7a2d5b16
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "3e1b7c5a9f20"
down_revision = "9c4e7a2d5b16"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.alter_column(
            "size_bytes", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade():
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.alter_column(
            "size_bytes", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
