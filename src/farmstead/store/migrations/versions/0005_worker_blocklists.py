"""tasks.last_failed_worker_id and job_worker_failures: bad-worker detection; workers.hold: drain and
disable; jobs.waiting_for_jobs and job_dependencies: job-to-job dependencies (docs/self-managing.md)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:00:00
"""
from alembic import op
import sqlalchemy as sa
import farmstead.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: an ALTER TABLE ADD COLUMN on both databases, no copy of the tasks table.
    op.add_column('tasks', sa.Column('last_failed_worker_id', sa.String(length=64), nullable=True))
    op.create_table('job_worker_failures',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', farmstead.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('blocked_at', farmstead.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.job_id'], name=op.f('fk_job_worker_failures_job_id_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'worker_id', name=op.f('pk_job_worker_failures'))
    )
    op.create_index('ix_job_worker_failures_worker', 'job_worker_failures', ['worker_id'], unique=False)
    op.add_column('workers', sa.Column('hold', sa.String(length=16), nullable=True))
    op.add_column('workers', sa.Column('hold_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for_jobs', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('job_dependencies',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('upstream_job_id', sa.String(length=64), nullable=False),
    sa.Column('condition', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.job_id'], name=op.f('fk_job_dependencies_job_id_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'upstream_job_id', name=op.f('pk_job_dependencies'))
    )
    op.create_index('ix_job_dependencies_upstream', 'job_dependencies', ['upstream_job_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_job_dependencies_upstream', table_name='job_dependencies')
    op.drop_table('job_dependencies')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('waiting_for_jobs')
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('hold')
    op.drop_index('ix_job_worker_failures_worker', table_name='job_worker_failures')
    op.drop_table('job_worker_failures')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('last_failed_worker_id')
