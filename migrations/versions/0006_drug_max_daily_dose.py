"""drug max_daily_dose: the usual adult maximum daily dose of a monograph, with its source

A nullable JSON column ({"adult": text, "note": text, "source": {"title", "url"}}) filled by
`flask seed` from webapp/data/drugs/*.yaml; over-the-counter products and supplements leave it
empty.

Adding a nullable column is a plain ALTER TABLE on both databases. The downgrade drops it with
ALTER TABLE DROP COLUMN (SQLite 3.35+) rather than a batch table rebuild: rebuilding `drugs`
with foreign keys on would cascade-delete every drug's names, forms and members' reviews.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('drugs', sa.Column('max_daily_dose', sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    op.execute(sa.text("ALTER TABLE drugs DROP COLUMN max_daily_dose"))
