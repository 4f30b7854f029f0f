"""fleet_worker_counts: workers per fleet and status, kept with each status change (docs/monitoring.md)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'fleet_worker_counts',
        sa.Column('fleet_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('worker_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('fleet_id', 'status', name=op.f('pk_fleet_worker_counts')),
    )
    # The counts of the workers already stored, once: from here on every status change moves them.
    op.execute("INSERT INTO fleet_worker_counts (fleet_id, status, worker_count) "
               "SELECT fleet_id, status, count(*) FROM workers GROUP BY fleet_id, status")


def downgrade() -> None:
    op.drop_table('fleet_worker_counts')
