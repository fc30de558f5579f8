"""administration: alliance administrators, one-time password links, the audit log

``user_account.alliance_admin`` marks administrators of the whole alliance (every library).
``one_time_link`` holds the hashes of invitation and password-reset links an administrator
hands out. ``audit_entry`` is written by the services in the same transaction as each
administrative change.

Revision ID: 4e8b1d6f2a97
Revises: 9c2f5e7a1d34
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repository.models.base

revision = "4e8b1d6f2a97"
down_revision = "9c2f5e7a1d34"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = repository.models.base.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alliance_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "one_time_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("used_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_one_time_link_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_one_time_link_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_link_token_hash")),
    )
    op.create_index(op.f("ix_one_time_link_user_id"), "one_time_link", ["user_id"])

    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("acting_for_library_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(length=300), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=True),
        sa.Column("before", _JSON, nullable=True),
        sa.Column("after", _JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_entry_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["acting_for_library_id"],
            ["library.id"],
            name=op.f("fk_audit_entry_acting_for_library_id_library"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["library.id"],
            name=op.f("fk_audit_entry_library_id_library"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_created_at"), "audit_entry", ["created_at"])
    op.create_index(op.f("ix_audit_entry_actor_id"), "audit_entry", ["actor_id"])
    op.create_index(op.f("ix_audit_entry_action"), "audit_entry", ["action"])
    op.create_index("ix_audit_entry_library_created", "audit_entry", ["library_id", "created_at"])


def downgrade():
    op.drop_table("audit_entry")
    op.drop_table("one_time_link")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("alliance_admin")
