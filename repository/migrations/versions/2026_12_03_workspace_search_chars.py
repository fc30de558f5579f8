"""workspace search: the characters of each record's title and local identifier, indexed

The workspace searches drafts on the database with ``LIKE '%…%'``, which reads every record of
the library. A GIN index over the characters of ``title || ' ' || local_id`` finds the records
holding all characters of a word, one or two Chinese characters included (trigram indexes need
three), and LIKE checks only those. PostgreSQL only; other databases keep the plain scan.

Revision ID: 9c4e2a7b5d13
Revises: 7b3e9d1c4a28
Created: 2026-12-03
"""

from alembic import op

revision = "9c4e2a7b5d13"
down_revision = "7b3e9d1c4a28"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_record_search_chars ON record "
        "USING gin (string_to_array(title || ' ' || local_id, NULL))"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_record_search_chars")
