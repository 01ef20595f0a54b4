"""pill photos and resumable SPL imports: spl_import_checkpoints

`flask import spl` now reads DailyMed releases (tens of thousands of labels) and stores the
labels' pill photos (pills.photo_path, which already exists, now names a file in the
instance media folder). An interrupted import resumes from the checkpoint of its file: one
row per file being imported, saved with the labels it counts, removed when the file is done.

Revision ID: 0007_pill_photos
Revises: 0006
Create Date: 2026-12-07 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_pill_photos'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spl_import_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=1000), nullable=False),
    sa.Column('fingerprint', sa.String(length=100), nullable=False),
    sa.Column('labels_done', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spl_import_checkpoints')),
    sa.UniqueConstraint('source', name=op.f('uq_spl_import_checkpoints_source'))
    )


def downgrade():
    op.drop_table('spl_import_checkpoints')
