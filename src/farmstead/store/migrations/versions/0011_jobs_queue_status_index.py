"""ix_jobs_queue_status: SearchJobs' count of a queue's jobs from the index alone (the job list page)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:10:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_jobs_queue_status', 'jobs', ['queue_id', 'task_run_status', 'lifecycle_status', 'farm_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_queue_status', table_name='jobs')
