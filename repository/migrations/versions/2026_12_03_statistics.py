"""statistics: record counts per month and contributor with their images; library pages

``record_count`` gains two parts of its key, the month a record was created (``YYYY-MM``, UTC)
and the user who created it (``contributor_id``, 0 when none was recorded), and a count of the
records' images. The statistics pages (by library, collection, status, month, contributor)
read these rows; the pages that only need totals sum them as before. The hook in
``repository.services.stats`` keeps them in step in the transaction of every change.

Libraries gain what their public page shows: a website and a description in both languages
(``region`` exists already).

Revision ID: b8d4f1e6a902
Revises: 5a7c3e9d2f16
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d4f1e6a902"
down_revision = "5a7c3e9d2f16"
branch_labels = None
depends_on = None

KEY = ["collection_id", "library_id", "status", "month", "contributor_id"]


def _month(dialect: str) -> str:
    if dialect == "postgresql":
        return "to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    return "strftime('%Y-%m', r.created_at)"


def upgrade():
    with op.batch_alter_table("library", schema=None) as batch_op:
        batch_op.add_column(sa.Column("website", sa.String(300), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("description_zh", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("description_en", sa.Text(), nullable=False, server_default="")
        )
    op.drop_table("record_count")
    op.create_table(
        "record_count",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("contributor_id", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False, server_default="0"),
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
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_record_count")),
    )
    month = _month(op.get_bind().dialect.name)
    op.execute(
        "INSERT INTO record_count "
        "(collection_id, library_id, status, month, contributor_id, records, images) "
        f"SELECT r.collection_id, r.library_id, r.status, {month}, "
        "coalesce(r.created_by_id, 0), count(*), "
        "coalesce(sum(a.n), 0) FROM record r LEFT JOIN "
        "(SELECT record_id, count(*) AS n FROM asset GROUP BY record_id) a ON a.record_id = r.id "
        f"GROUP BY r.collection_id, r.library_id, r.status, {month}, "
        "coalesce(r.created_by_id, 0)"
    )


def downgrade():
    op.drop_table("record_count")
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
    with op.batch_alter_table("library", schema=None) as batch_op:
        batch_op.drop_column("description_en")
        batch_op.drop_column("description_zh")
        batch_op.drop_column("website")
