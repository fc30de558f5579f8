"""tombstone credits: the libraries credited on a record when it left the public

A deleted record's credits go with its row, so without a copy the deletion would be missing
from the OAI-PMH sets of the libraries credited on it after a merge. Existing tombstones
of records that still exist take their credits from the record.

Revision ID: 9c2f5e7a1d34
Revises: 1b7e4c9d2a60
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "9c2f5e7a1d34"
down_revision = "1b7e4c9d2a60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tombstone_credit",
        sa.Column("tombstone_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tombstone_id"], ["tombstone.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["library_id"], ["library.id"]),
        sa.PrimaryKeyConstraint("tombstone_id", "library_id"),
    )
    op.create_index("ix_tombstone_credit_library_id", "tombstone_credit", ["library_id"])
    op.execute(
        "INSERT INTO tombstone_credit (tombstone_id, library_id) "
        "SELECT tombstone.id, record_contributor.library_id FROM tombstone "
        "JOIN record ON record.public_id = tombstone.record_public_id "
        "JOIN record_contributor ON record_contributor.record_id = record.id"
    )


def downgrade():
    op.drop_index("ix_tombstone_credit_library_id", table_name="tombstone_credit")
    op.drop_table("tombstone_credit")
