"""notifications keep their message as msgid and parameters, translated when shown

``notification.message`` holds ``Message.to_json()``; rows written before it keep only
``text_en``/``text_zh``, which new rows still fill as a snapshot.

Revision ID: 7b3e9d1c4a28
Revises: 5d8a2c6e1f47
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "7b3e9d1c4a28"
down_revision = "5d8a2c6e1f47"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", _JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("message")
