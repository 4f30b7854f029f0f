"""ix_sessions_open: open sessions per fleet, counted by a metrics scrape from the index alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sessions_open', 'sessions', ['fleet_id'], unique=False,
                    sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_sessions_open', table_name='sessions')
