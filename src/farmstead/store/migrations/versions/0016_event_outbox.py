"""event_outbox, event_subscriptions, event_deliveries: webhook events through a durable outbox (docs/events.md)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:35:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from farmstead.store.types import UtcDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'event_outbox',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('detail_type', sa.String(length=64), nullable=False),
        sa.Column('farm_id', sa.String(length=64), nullable=False),
        sa.Column('queue_id', sa.String(length=64), nullable=True),
        sa.Column('job_id', sa.String(length=64), nullable=True),
        sa.Column('detail', _json(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_event_outbox')),
    )
    op.create_table(
        'event_subscriptions',
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('farm_id', sa.String(length=64), nullable=False),
        sa.Column('queue_id', sa.String(length=64), nullable=True),
        sa.Column('detail_types', _json(), nullable=False),
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('secret', sa.String(length=256), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('delivered_through', sa.Integer(), nullable=False),
        sa.Column('failed_attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('subscription_id', name=op.f('pk_event_subscriptions')),
    )
    op.create_table(
        'event_deliveries',
        sa.Column('delivery_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_event_deliveries')),
    )
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_deliveries_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_deliveries_subscription_id'))
    op.drop_table('event_deliveries')
    op.drop_table('event_subscriptions')
    op.drop_table('event_outbox')
