"""paired support: a helper library works for a partner library in chosen collections, for a time

Revision ID: 2f6d8b3e9a51
Revises: b8d4f1e6a902
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "2f6d8b3e9a51"
down_revision = "b8d4f1e6a902"
branch_labels = None
depends_on = None

_TIME = repository.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "support_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("helper_library_id", sa.Integer(), nullable=False),
        sa.Column("partner_library_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["helper_library_id"],
            ["library.id"],
            name=op.f("fk_support_grant_helper_library_id_library"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_library_id"],
            ["library.id"],
            name=op.f("fk_support_grant_partner_library_id_library"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_support_grant_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_grant")),
    )
    op.create_index(
        op.f("ix_support_grant_helper_library_id"), "support_grant", ["helper_library_id"]
    )
    op.create_index(
        op.f("ix_support_grant_partner_library_id"), "support_grant", ["partner_library_id"]
    )
    op.create_table(
        "support_grant_collection",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["support_grant.id"],
            name=op.f("fk_support_grant_collection_grant_id_support_grant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_support_grant_collection_collection_id_collection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "grant_id", "collection_id", name=op.f("pk_support_grant_collection")
        ),
    )


def downgrade():
    op.drop_table("support_grant_collection")
    op.drop_table("support_grant")
