"""job_dependencies.queue_id: the queue page's dependency graph reads its queue's rows by index, not a
probe under each of the queue's jobs (10,000 probes for a 10,000-job queue, on every page view)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job_dependencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_id', sa.String(length=64), nullable=True))
    op.execute("UPDATE job_dependencies SET queue_id = "
               "(SELECT jobs.queue_id FROM jobs WHERE jobs.job_id = job_dependencies.job_id)")
    with op.batch_alter_table('job_dependencies', schema=None) as batch_op:
        batch_op.alter_column('queue_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_job_dependencies_queue', ['queue_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_dependencies', schema=None) as batch_op:
        batch_op.drop_index('ix_job_dependencies_queue')
        batch_op.drop_column('queue_id')
