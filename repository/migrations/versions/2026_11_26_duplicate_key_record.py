"""duplicate keys: derived rows, removed with their record by the service, not by a foreign key

Key rows are derived from their record's metadata, like the search index: they can be rebuilt
from the records at any time. Deleting a record deletes its keys in the same transaction (on
SQLite, which does not enforce foreign keys, that is what removes them at all). As a foreign key
the record id cost a check against the record table on every key written: about 40,000 of them
in an import of 10,000 records, a tenth of such an import on PostgreSQL.

Revision ID: 9a4e2f7c1b36
Revises: 5d1e8a3c7b20
Created: 2026-11-26
"""

from alembic import op

revision = "9a4e2f7c1b36"
down_revision = "5d1e8a3c7b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_duplicate_key_record_id_record"), type_="foreignkey")


def downgrade():
    op.execute("DELETE FROM duplicate_key WHERE record_id NOT IN (SELECT id FROM record)")
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_duplicate_key_record_id_record"),
            "record",
            ["record_id"],
            ["id"],
            ondelete="CASCADE",
        )
