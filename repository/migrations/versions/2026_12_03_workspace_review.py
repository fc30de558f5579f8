"""workspace and review: edits of published records wait for a reviewer, bulk actions as
leased jobs, in-app notifications, and the indexes the paged workspace reads

``collection.edits_need_review`` (default on) makes an edit of a published record a
``pending_edit`` row until a reviewer approves it; the record row, which every public reader
uses, keeps the published version until then. ``bulk_action_job`` holds one lifecycle step
over many records. The workspace lists a library's records newest first, and the review queue a
collection's submitted records, page by page off ``(…, updated_at, id)``.

Revision ID: 7d3a9e5c1b48
Revises: 6c3a9e1f4d58
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repository.models.base

revision = "7d3a9e5c1b48"
down_revision = "6c3a9e1f4d58"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = repository.models.base.UTCDateTime(timezone=True)
_STATES = ("queued", "validating", "running", "succeeded", "failed", "cancelled")


def upgrade():
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("edits_need_review", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index("ix_record_library_updated", ["library_id", "updated_at", "id"])
        batch_op.create_index(
            "ix_record_status_collection_updated", ["status", "collection_id", "updated_at", "id"]
        )
        batch_op.create_index("ix_record_created_by", ["created_by_id"])

    op.create_table(
        "pending_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="pendingeditstate",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("metadata", _JSON, nullable=False),
        sa.Column("base_metadata", _JSON, nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_pending_edit_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user_account.id"],
            name=op.f("fk_pending_edit_proposed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_pending_edit_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_edit")),
    )
    op.create_index("ix_pending_edit_record_state", "pending_edit", ["record_id", "state"])
    op.create_index("ix_pending_edit_state", "pending_edit", ["state"])

    op.create_table(
        "bulk_action_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "submit",
                "publish",
                "return",
                "withdraw",
                "delete",
                name="bulkaction",
                native_enum=False,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("selection", _JSON, nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_STATES, name="jobstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("total_records", sa.Integer(), nullable=False),
        sa.Column("processed_records", sa.Integer(), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("started_at", _TIME, nullable=True),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_bulk_action_job_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_action_job")),
        sa.UniqueConstraint("public_id", name=op.f("uq_bulk_action_job_public_id")),
    )
    op.create_index(
        "ix_bulk_action_job_state_lease", "bulk_action_job", ["state", "lease_expires_at"]
    )
    op.create_index("ix_bulk_action_job_user_id", "bulk_action_job", ["user_id"])

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=False),
        sa.Column("text_zh", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("read_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at", "id"])


def downgrade():
    op.drop_table("notification")
    op.drop_table("bulk_action_job")
    op.drop_table("pending_edit")
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_index("ix_record_created_by")
        batch_op.drop_index("ix_record_status_collection_updated")
        batch_op.drop_index("ix_record_library_updated")
    with op.batch_alter_table("collection", schema=None) as batch_op:
        batch_op.drop_column("edits_need_review")
