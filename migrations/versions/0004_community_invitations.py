"""community invitations: a private group's owner invites, the invitee accepts or declines

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('community_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['community_groups.id'], name=op.f('fk_community_invitations_group_id_community_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_community_invitations_invited_by_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_community_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_invitations')),
    sa.UniqueConstraint('group_id', 'user_id', name='uq_community_invitations_group_user')
    )
    with op.batch_alter_table('community_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_invitations_invited_by_id'), ['invited_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_invitations_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('community_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_invitations_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_invitations_invited_by_id'))

    op.drop_table('community_invitations')
