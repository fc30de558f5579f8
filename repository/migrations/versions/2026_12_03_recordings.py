"""recordings: audio and video files of a record, verified with ffprobe, in the record's order
beside its images

Revision ID: 5a7c3e9d2f16
Revises: 7d3a9e5c1b48
Created: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import repository.models.base

revision = "5a7c3e9d2f16"
down_revision = "7d3a9e5c1b48"
branch_labels = None
depends_on = None

_TIME = repository.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("original_filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("container", sa.String(length=20), nullable=False),
        sa.Column("mime_type", sa.String(length=50), nullable=False),
        sa.Column("video_codec", sa.String(length=30), nullable=True),
        sa.Column("audio_codec", sa.String(length=30), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("derivative_state", sa.String(length=10), nullable=False),
        sa.Column("derivative_attempts", sa.Integer(), nullable=False),
        sa.Column("derivative_queued_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["record.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index("ix_recording_record_id", ["record_id"])
        batch_op.create_index("ix_recording_sha256", ["sha256"])
        batch_op.create_index("ix_recording_derivative_state", ["derivative_state"])


def downgrade():
    op.drop_table("recording")
