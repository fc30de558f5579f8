"""paired support: a record revision names the library its author acted for

``record_revision.acting_for_library_id`` is set when a helper library's staff saved the change
on behalf of a partner library (结对扶持); empty for a library's own work.

Revision ID: 9c4e7a2d5b16
Revises: 2f6d8b3e9a51
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "9c4e7a2d5b16"
down_revision = "2f6d8b3e9a51"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("record_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acting_for_library_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_record_revision_acting_for_library_id_library"),
            "library",
            ["acting_for_library_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("record_revision", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_record_revision_acting_for_library_id_library"), type_="foreignkey"
        )
        batch_op.drop_column("acting_for_library_id")
