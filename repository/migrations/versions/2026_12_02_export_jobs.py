"""export jobs: large exports made by a task, with a lease, kept as a file in the store

Revision ID: f4b8e2a61c93
Revises: e6a1c4f8b297
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repository.models.base

revision = "f4b8e2a61c93"
down_revision = "e6a1c4f8b297"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_STATES = ("queued", "validating", "running", "succeeded", "failed", "cancelled")


def upgrade():
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("arguments", _JSON, nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_STATES, name="jobstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("total_records", sa.Integer(), nullable=False),
        sa.Column("written_records", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", repository.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_export_job_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
        sa.UniqueConstraint("public_id", name=op.f("uq_export_job_public_id")),
    )
    op.create_index("ix_export_job_state_lease", "export_job", ["state", "lease_expires_at"])
    op.create_index("ix_export_job_key", "export_job", ["key", "created_at"])


def downgrade():
    op.drop_index("ix_export_job_key", table_name="export_job")
    op.drop_index("ix_export_job_state_lease", table_name="export_job")
    op.drop_table("export_job")
