"""sources harvested into the one-stop search, their runs and records

Revision ID: 5d8a2c6e1f47
Revises: 3e1b7c5a9f20
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "5d8a2c6e1f47"
down_revision = "3e1b7c5a9f20"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "harvest_source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("base_url", sa.String(2000), nullable=False),
        sa.Column("set_spec", sa.String(200), nullable=False),
        sa.Column("metadata_prefix", sa.String(40), nullable=False),
        sa.Column("library_id", sa.Integer(), sa.ForeignKey("library.id"), nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("check_state", sa.String(20), nullable=False),
        sa.Column("check_message", sa.Text(), nullable=False),
        sa.Column("checked_at", WHEN),
        sa.Column("cursor", sa.String(64), nullable=False),
        sa.Column("next_run_at", WHEN),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("user_account.id")),
    )
    op.create_index("ix_harvest_source_next_run_at", "harvest_source", ["next_run_at"])
    op.create_table(
        "harvest_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(16), nullable=False, unique=True),
        sa.Column(
            "source_id",
            sa.Integer(),
            sa.ForeignKey("harvest_source.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("from_cursor", sa.String(64), nullable=False),
        sa.Column("resume_from", sa.Text(), nullable=False),
        sa.Column("highest_seen", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("user_account.id")),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN),
        sa.Column("finished_at", WHEN),
        sa.Column("lease_expires_at", WHEN),
        sa.Column("lease_holder", sa.String(120)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_harvest_run_state_lease", "harvest_run", ["state", "lease_expires_at"])
    op.create_index("ix_harvest_run_source_created", "harvest_run", ["source_id", "created_at"])
    op.create_table(
        "harvested_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(16), nullable=False, unique=True),
        sa.Column(
            "source_id",
            sa.Integer(),
            sa.ForeignKey("harvest_source.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("identifier", sa.String(500), nullable=False),
        sa.Column("datestamp", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("year_start", sa.Integer()),
        sa.Column("year_end", sa.Integer()),
        sa.Column("original_url", sa.String(2000), nullable=False),
        sa.Column("thumbnail_url", sa.String(2000), nullable=False),
        sa.Column("manifest_url", sa.String(2000), nullable=False),
        sa.Column(
            "matched_record_id", sa.Integer(), sa.ForeignKey("record.id", ondelete="SET NULL")
        ),
        sa.Column(
            "adopted_record_id", sa.Integer(), sa.ForeignKey("record.id", ondelete="SET NULL")
        ),
        sa.Column("harvested_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint(
            "source_id", "identifier", name="uq_harvested_record_source_identifier"
        ),
    )
    op.create_index(
        "ix_harvested_record_source_updated",
        "harvested_record",
        ["source_id", "updated_at", "id"],
    )
    op.create_index(
        "ix_harvested_record_matched_record_id", "harvested_record", ["matched_record_id"]
    )
    op.create_index(
        "ix_harvested_record_adopted_record_id", "harvested_record", ["adopted_record_id"]
    )
    op.create_table(
        "harvested_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "harvested_id",
            sa.Integer(),
            sa.ForeignKey("harvested_record.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
    )
    op.create_index("ix_harvested_key_lookup", "harvested_key", ["key", "harvested_id"])
    op.create_index("ix_harvested_key_harvested_id", "harvested_key", ["harvested_id"])


def downgrade():
    op.drop_table("harvested_key")
    op.drop_table("harvested_record")
    op.drop_table("harvest_run")
    op.drop_table("harvest_source")
