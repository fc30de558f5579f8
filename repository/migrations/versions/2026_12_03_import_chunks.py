"""import chunks: a large import's rows split into ranges that several workers run at once

Each chunk has a lease of its own (the columns of a leased job), its place (the last row of
its last committed batch) and its counts; ``ingest_job.chunk_count`` says a job was split.

Revision ID: 6c3a9e1f4d58
Revises: 4e8b1d6f2a97
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "6c3a9e1f4d58"
down_revision = "4e8b1d6f2a97"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("ingest_job") as batch:
        batch.add_column(sa.Column("chunk_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "import_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("cursor_row", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ingest_job.id"],
            name=op.f("fk_import_chunk_job_id_ingest_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_chunk")),
        sa.UniqueConstraint("public_id", name=op.f("uq_import_chunk_public_id")),
        sa.UniqueConstraint("job_id", "number", name=op.f("uq_import_chunk_job_id")),
    )
    op.create_index("ix_import_chunk_state_lease", "import_chunk", ["state", "lease_expires_at"])


def downgrade():
    op.drop_index("ix_import_chunk_state_lease", table_name="import_chunk")
    op.drop_table("import_chunk")
    with op.batch_alter_table("ingest_job") as batch:
        batch.drop_column("chunk_count")
