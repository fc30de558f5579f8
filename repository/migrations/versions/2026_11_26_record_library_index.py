"""records: no index on library alone; the unique (library, local id) index serves those look-ups

Every look-up by library can use the unique index whose first column is the library, so the
index on the library alone only cost each inserted record one more index entry.

Revision ID: 5d1e8a3c7b20
Revises: 7f2b6c1d9e84
Created: 2026-11-26
"""

from alembic import op

revision = "5d1e8a3c7b20"
down_revision = "7f2b6c1d9e84"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_library_id"))


def downgrade():
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_library_id"), ["library_id"], unique=False)
