"""duplicate candidates: pairs of records that may be one thing, and the keys that find them

Revision ID: e11a2018fe70
Revises: e0a25147fc8e
Created: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import repository.models.base

revision = 'e11a2018fe70'
down_revision = 'e0a25147fc8e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('duplicate_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('record_low_id', sa.Integer(), nullable=False),
    sa.Column('record_high_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'merged', 'kept_both', name='duplicatestate', native_enum=False, length=20), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('survivor_id', sa.Integer(), nullable=True),
    sa.Column('merged_public_id', sa.String(length=16), nullable=True),
    sa.CheckConstraint('record_low_id < record_high_id', name=op.f('ck_duplicate_candidate_ordered_pair')),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_duplicate_candidate_collection_id_collection')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_duplicate_candidate_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['record_high_id'], ['record.id'], name=op.f('fk_duplicate_candidate_record_high_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_low_id'], ['record.id'], name=op.f('fk_duplicate_candidate_record_low_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survivor_id'], ['record.id'], name=op.f('fk_duplicate_candidate_survivor_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_candidate')),
    sa.UniqueConstraint('record_low_id', 'record_high_id', name='uq_duplicate_candidate_pair')
    )
    with op.batch_alter_table('duplicate_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_candidate_collection_state', ['collection_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_candidate_merged_public_id'), ['merged_public_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_candidate_record_high_id'), ['record_high_id'], unique=False)

    op.create_table('duplicate_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_duplicate_key_collection_id_collection')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_duplicate_key_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_key'))
    )
    with op.batch_alter_table('duplicate_key', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_key_lookup', ['collection_id', 'key'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_key_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('duplicate_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicate_key_record_id'))
        batch_op.drop_index('ix_duplicate_key_lookup')

    op.drop_table('duplicate_key')
    with op.batch_alter_table('duplicate_candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicate_candidate_record_high_id'))
        batch_op.drop_index(batch_op.f('ix_duplicate_candidate_merged_public_id'))
        batch_op.drop_index('ix_duplicate_candidate_collection_state')

    op.drop_table('duplicate_candidate')
