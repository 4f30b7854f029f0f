"""Budgets that count money: fleets.cost_per_worker_hour (an admin's per-fleet rate; NULL: the server's
default), budgets.usage_dollars / usage_counted_through / reported_percent (usage kept incrementally
by the sweeper, and the last Budget Threshold Reached percentage), and an index of a queue's sessions
by end time (what the sweeper reads) (docs/fleets.md, Budgets)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:40:00
"""
from alembic import op
import sqlalchemy as sa

from farmstead.store.types import UtcDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fleets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_per_worker_hour', sa.Float(), nullable=True))
    with op.batch_alter_table('budgets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usage_dollars', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('usage_counted_through', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reported_percent', sa.Float(), nullable=False, server_default='0'))
    op.create_index('ix_sessions_queue_ended', 'sessions', ['queue_id', 'ended_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sessions_queue_ended', table_name='sessions')
    with op.batch_alter_table('budgets', schema=None) as batch_op:
        batch_op.drop_column('reported_percent')
        batch_op.drop_column('usage_counted_through')
        batch_op.drop_column('usage_dollars')
    with op.batch_alter_table('fleets', schema=None) as batch_op:
        batch_op.drop_column('cost_per_worker_hour')
