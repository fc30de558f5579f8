"""harvest checks and runs, and import errors, keep their message as msgid and parameters

``harvest_source.check_message_json``, ``harvest_run.message_json``, ``ingest_job.error_json``
and ``import_chunk.error_json`` hold ``Message.to_json()`` beside the English text, so the page
shows it in the reader's language; rows written before keep only the text, shown as written.

Revision ID: 3e7c1a9d5b62
Revises: 9c4e2a7b5d13
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "3e7c1a9d5b62"
down_revision = "9c4e2a7b5d13"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_COLUMNS = [
    ("harvest_source", "check_message_json"),
    ("harvest_run", "message_json"),
    ("ingest_job", "error_json"),
    ("import_chunk", "error_json"),
]


def upgrade():
    for table, column in _COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, _JSON, nullable=True))


def downgrade():
    for table, column in reversed(_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
