"""jobs: background jobs (mail delivery, newsletter sends, recall imports, purges) and their progress

One row per job, written by the job as it runs on a Celery worker or in the process that started
it; `flask jobs status` reads it from any machine. A new table only: nothing else changes.

Revision ID: 0008_jobs
Revises: 0007_pill_photos
Create Date: 2026-12-07 23:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_jobs'
down_revision = '0007_pill_photos'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=True),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'retrying', 'failed', 'finished')", name=op.f('ck_jobs_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_index('ix_jobs_status_updated', 'jobs', ['status', 'updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_jobs_status_updated', table_name='jobs')
    op.drop_table('jobs')
