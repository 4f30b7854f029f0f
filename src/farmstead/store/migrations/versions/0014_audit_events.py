"""audit_events: the append-only audit log of mutating calls (docs/audit.md)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:10:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from farmstead.store.types import UtcDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_events',
        sa.Column('event_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('principal_id', sa.String(length=64), nullable=False),
        sa.Column('principal_name', sa.String(length=64), nullable=False),
        sa.Column('access_key_id', sa.String(length=64), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('operation', sa.String(length=64), nullable=False),
        sa.Column('resource_ids', sa.Text(), nullable=False),
        sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('outcome', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_audit_events')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_principal_id'), ['principal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_principal_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
    op.drop_table('audit_events')
