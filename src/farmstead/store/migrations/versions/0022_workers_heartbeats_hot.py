"""Heartbeats as HOT updates on PostgreSQL: ix_workers_status_seen kept on SQLite only, and the
workers table filled to 70 % so each page has room for a heartbeat's new row version (store/schema.py)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:40:00
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_workers_status_seen', table_name='workers')
        op.execute('ALTER TABLE workers SET (fillfactor = 70)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE workers RESET (fillfactor)')
        op.create_index('ix_workers_status_seen', 'workers', ['status', 'last_seen_at'])
