"""accounts: a session token per user, to end all their sessions; sign-in throttle per address

``user_account.session_token`` is part of the id that session and remember-me cookies carry;
existing accounts get one each, so their cookies from before this revision no longer sign in.
``sign_in_throttle`` counts sign-in attempts per (hashed) e-mail address since the last success.

Revision ID: a7c31e5b9d20
Revises: b8d42f6c0e31
Created: 2026-12-02
"""

import secrets

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "a7c31e5b9d20"
down_revision = "b8d42f6c0e31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_throttle",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "last_attempt_at", repository.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("retry_at", repository.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email_hash", name=op.f("pk_sign_in_throttle")),
    )
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttle_last_attempt_at"), ["last_attempt_at"], unique=False
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    # A random token per account: no SQL function gives one on both SQLite and PostgreSQL, and
    # there are few accounts.
    user_account = sa.table(
        "user_account", sa.column("id", sa.Integer()), sa.column("session_token", sa.String())
    )
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user_account.c.id)).all():
        connection.execute(
            user_account.update()
            .where(user_account.c.id == user_id)
            .values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_token")

    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_throttle_last_attempt_at"))
    op.drop_table("sign_in_throttle")
