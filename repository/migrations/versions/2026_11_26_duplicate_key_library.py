"""duplicate keys carry the record's library, so look-ups skip the saving library's records

Revision ID: 3c7d9a41b2e5
Revises: e11a2018fe70
Created: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "3c7d9a41b2e5"
down_revision = "e11a2018fe70"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("library_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE duplicate_key SET library_id = "
        "(SELECT record.library_id FROM record WHERE record.id = duplicate_key.record_id)"
    )
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.alter_column("library_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_duplicate_key_library_id_library"), "library", ["library_id"], ["id"]
        )
        batch_op.drop_index("ix_duplicate_key_lookup")
        batch_op.create_index(
            "ix_duplicate_key_lookup", ["collection_id", "key", "library_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.drop_index("ix_duplicate_key_lookup")
        batch_op.create_index("ix_duplicate_key_lookup", ["collection_id", "key"], unique=False)
        batch_op.drop_constraint(
            batch_op.f("fk_duplicate_key_library_id_library"), type_="foreignkey"
        )
        batch_op.drop_column("library_id")
