"""ix_jobs_queue_counts (SQLite only): a metrics scrape sums the jobs' counters per queue from the index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:30:00
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_COUNTS = ['count_pending', 'count_ready', 'count_assigned', 'count_starting', 'count_scheduled',
           'count_interrupting', 'count_running', 'count_suspended', 'count_canceled', 'count_failed',
           'count_succeeded', 'count_not_compatible']


def upgrade() -> None:
    # PostgreSQL keeps its heap-only counter updates: see store/schema.py.
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_jobs_queue_counts', 'jobs', ['farm_id', 'queue_id', 'task_run_status', *_COUNTS])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_jobs_queue_counts', table_name='jobs')
