"""duplicate keys: the collection and library they copy from their record are not foreign keys

A key row belongs to its record (a foreign key, deleted with it); its collection and library
are copies of the record's, kept beside the key so that one index answers a look-up. As foreign
keys of their own they added nothing the record's do not guarantee, and cost two more checks on
every key written: an import of 10,000 records writes about 40,000 keys.

Revision ID: 7f2b6c1d9e84
Revises: 3c7d9a41b2e5
Created: 2026-11-26
"""

from alembic import op

revision = "7f2b6c1d9e84"
down_revision = "3c7d9a41b2e5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_duplicate_key_collection_id_collection"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_duplicate_key_library_id_library"), type_="foreignkey"
        )


def downgrade():
    with op.batch_alter_table("duplicate_key", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_duplicate_key_collection_id_collection"),
            "collection",
            ["collection_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_duplicate_key_library_id_library"), "library", ["library_id"], ["id"]
        )
