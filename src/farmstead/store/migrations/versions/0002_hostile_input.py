"""session_actions.assigned_at: the lower bound of the times a worker reports

Revision ID: 0002_hostile_input
Revises: 0001
Create Date: 2026-12-06 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import farmstead.store.types

revision = '0002_hostile_input'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('session_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', farmstead.store.types.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('session_actions', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
