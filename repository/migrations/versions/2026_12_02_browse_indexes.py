"""browse: an index in title order per collection and status; record counts kept as rows

Collection pages and IIIF collection pages list a collection's published records in
``(title_sort, id)`` order. With ``(collection_id, status, title_sort, id)`` indexed the
database reads a page off the index instead of sorting every row; the old index on
``(collection_id, status)`` is a prefix of it and goes.

``record_count`` holds how many records each (collection, library, status) has. The records
services keep it in step inside the transaction that changes a record
(``repository.services.stats``), so the home page, collection pages and the IIIF top
collection read a few rows instead of counting them. It is filled here from the records.

Revision ID: c5e9b2d41f73
Revises: a7c31e5b9d20
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c5e9b2d41f73"
down_revision = "a7c31e5b9d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_collection_status_title",
            ["collection_id", "status", "title_sort", "id"],
            unique=False,
        )
        batch_op.drop_index("ix_record_collection_status")
    op.create_table(
        "record_count",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_record_count_collection_id_collection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["library.id"],
            name=op.f("fk_record_count_library_id_library"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_id", "library_id", "status", name=op.f("pk_record_count")
        ),
    )
    op.execute(
        "INSERT INTO record_count (collection_id, library_id, status, records) "
        "SELECT collection_id, library_id, status, count(*) FROM record "
        "GROUP BY collection_id, library_id, status"
    )


def downgrade():
    op.drop_table("record_count")
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_collection_status", ["collection_id", "status"], unique=False
        )
        batch_op.drop_index("ix_record_collection_status_title")
