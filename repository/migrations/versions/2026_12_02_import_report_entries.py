"""import reports: one row per report line instead of one JSON array in the job row

The lines of a batch are written in the batch's transaction, so a job resumed on another
machine needs no file of the first one, and neither a worker nor a page has to hold a report
of 100,000 lines at once. Existing reports are moved line by line.

Revision ID: 1b7e4c9d2a60
Revises: f4b8e2a61c93
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "1b7e4c9d2a60"
down_revision = "f4b8e2a61c93"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

job = sa.table("ingest_job", sa.column("id", sa.Integer), sa.column("report", _JSON))
entry = sa.table(
    "import_report_entry",
    sa.column("id", sa.Integer),
    sa.column("job_id", sa.Integer),
    sa.column("row", sa.Integer),
    sa.column("outcome", sa.String),
    sa.column("level", sa.String),
    sa.column("entry", _JSON),
)


def upgrade():
    op.create_table(
        "import_report_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("entry", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ingest_job.id"],
            name=op.f("fk_import_report_entry_job_id_ingest_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_report_entry")),
    )
    op.create_index(
        "ix_import_report_entry_job_row", "import_report_entry", ["job_id", "row", "id"]
    )
    connection = op.get_bind()
    for job_id, report in connection.execute(sa.select(job.c.id, job.c.report)).all():
        lines = [
            {
                "job_id": job_id,
                "row": line.get("row") or 0,
                "outcome": line.get("outcome", ""),
                "level": line.get("level", ""),
                "entry": line,
            }
            for line in report or []
        ]
        if lines:
            connection.execute(entry.insert(), lines)
    with op.batch_alter_table("ingest_job") as batch:
        batch.drop_column("report")


def downgrade():
    with op.batch_alter_table("ingest_job") as batch:
        batch.add_column(sa.Column("report", _JSON, nullable=True))
    connection = op.get_bind()
    jobs = connection.execute(sa.select(sa.distinct(entry.c.job_id))).scalars().all()
    for job_id in jobs:
        lines = connection.execute(
            sa.select(entry.c.entry)
            .where(entry.c.job_id == job_id)
            .order_by(entry.c.row, entry.c.id)
        ).scalars()
        connection.execute(job.update().where(job.c.id == job_id).values(report=list(lines)))
    op.drop_index("ix_import_report_entry_job_row", table_name="import_report_entry")
    op.drop_table("import_report_entry")
