"""initial schema

Revision ID: e0a25147fc8e
Revises: 
Created: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import repository.models.base

revision = 'e0a25147fc8e'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('index_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('record_public_id', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('next_attempt_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_task'))
    )
    with op.batch_alter_table('index_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_task_record_id'), ['record_id'], unique=False)

    op.create_table('library',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library')),
    sa.UniqueConstraint('code', name=op.f('uq_library_code'))
    )
    op.create_table('collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.String(length=40), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('coordinating_library_id', sa.Integer(), nullable=True),
    sa.Column('default_rights', sa.String(length=500), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coordinating_library_id'], ['library.id'], name=op.f('fk_collection_coordinating_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection')),
    sa.UniqueConstraint('slug', name=op.f('uq_collection_slug'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('contributor', 'reviewer', 'admin', name='userrole', native_enum=False, length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_user_account_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_library_id'), ['library_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('collection_reviewer',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_collection_reviewer_collection_id_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_collection_reviewer_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'user_id', name=op.f('pk_collection_reviewer'))
    )
    op.create_table('ingest_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('queued', 'validating', 'running', 'succeeded', 'failed', name='jobstate', native_enum=False, length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_ingest_job_collection_id_collection')),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_ingest_job_library_id_library')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_ingest_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_job')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ingest_job_public_id'))
    )
    op.create_table('record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'published', 'withdrawn', name='recordstatus', native_enum=False, length=20), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('title_sort', sa.String(length=500), nullable=False),
    sa.Column('year_start', sa.Integer(), nullable=True),
    sa.Column('year_end', sa.Integer(), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', repository.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_record_collection_id_collection')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_record_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_record_library_id_library')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_record_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record')),
    sa.UniqueConstraint('library_id', 'local_id', name='uq_record_library_local_id'),
    sa.UniqueConstraint('public_id', name=op.f('uq_record_public_id'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index('ix_record_collection_status', ['collection_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_library_id'), ['library_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_title_sort'), ['title_sort'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_updated_at'), ['updated_at'], unique=False)

    op.create_table('tombstone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_public_id', sa.String(length=16), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collection.id'], name=op.f('fk_tombstone_collection_id_collection')),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_tombstone_library_id_library')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstone'))
    )
    with op.batch_alter_table('tombstone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tombstone_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tombstone_record_public_id'), ['record_public_id'], unique=False)

    op.create_table('asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('original_filename', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=50), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('derivatives_ready', sa.Boolean(), nullable=False),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_asset_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset')),
    sa.UniqueConstraint('public_id', name=op.f('uq_asset_public_id'))
    )
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_sha256'), ['sha256'], unique=False)

    op.create_table('record_contributor',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['library_id'], ['library.id'], name=op.f('fk_record_contributor_library_id_library')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_contributor_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', 'library_id', name=op.f('pk_record_contributor'))
    )
    op.create_table('record_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', repository.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_before', sa.String(length=20), nullable=True),
    sa.Column('status_after', sa.String(length=20), nullable=False),
    sa.Column('metadata_before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metadata_after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('assets_after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_revision_record_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_record_revision_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_revision')),
    sa.UniqueConstraint('record_id', 'number', name='uq_record_revision_number')
    )
    


def downgrade():
    
    op.drop_table('record_revision')
    op.drop_table('record_contributor')
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_sha256'))
        batch_op.drop_index(batch_op.f('ix_asset_record_id'))

    op.drop_table('asset')
    with op.batch_alter_table('tombstone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tombstone_record_public_id'))
        batch_op.drop_index(batch_op.f('ix_tombstone_created_at'))

    op.drop_table('tombstone')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_updated_at'))
        batch_op.drop_index(batch_op.f('ix_record_title_sort'))
        batch_op.drop_index(batch_op.f('ix_record_library_id'))
        batch_op.drop_index('ix_record_collection_status')

    op.drop_table('record')
    op.drop_table('ingest_job')
    op.drop_table('collection_reviewer')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_library_id'))

    op.drop_table('user_account')
    op.drop_table('collection')
    op.drop_table('library')
    with op.batch_alter_table('index_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_task_record_id'))

    op.drop_table('index_task')
    
