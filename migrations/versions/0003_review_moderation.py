"""review moderation: the moderation log can point at a drug review, and knows the review actions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

POST_ACTIONS = ('dismiss', 'hide', 'restore', 'approve', 'redact', 'warn', 'suspend', 'ban', 'unban',
                'promote', 'unpromote', 'approve_group', 'reject_group')
REVIEW_ACTIONS = ('review_dismiss', 'review_hide', 'review_restore')


def _action_check(actions) -> str:
    return f"action IN ({', '.join(repr(a) for a in actions)})"


def upgrade():
    with op.batch_alter_table('community_moderation_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_community_moderation_actions_review_id'), ['review_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_community_moderation_actions_review_id_drug_reviews'), 'drug_reviews',
                                    ['review_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_community_moderation_actions_action'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_community_moderation_actions_action'),
                                         _action_check(POST_ACTIONS + REVIEW_ACTIONS))


def downgrade():
    # Log entries about reviews have no place in the older schema.
    op.execute(sa.text(f"DELETE FROM community_moderation_actions WHERE {_action_check(REVIEW_ACTIONS)}"))
    with op.batch_alter_table('community_moderation_actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_community_moderation_actions_action'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_community_moderation_actions_action'), _action_check(POST_ACTIONS))
        batch_op.drop_constraint(batch_op.f('fk_community_moderation_actions_review_id_drug_reviews'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_community_moderation_actions_review_id'))
        batch_op.drop_column('review_id')
