"""task_dependencies and jobs.has_frame_dependents: frame-by-frame job dependencies
(farmstead:after frame:JOB, docs/self-managing.md)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 22:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_frame_dependents', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table('task_dependencies',
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('upstream_task_id', sa.String(length=64), nullable=False),
    sa.Column('upstream_job_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.task_id'], name=op.f('fk_task_dependencies_task_id_tasks'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_task_dependencies'))
    )
    op.create_index('ix_task_dependencies_upstream_task', 'task_dependencies', ['upstream_task_id'], unique=False)
    op.create_index('ix_task_dependencies_upstream_job', 'task_dependencies', ['upstream_job_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_task_dependencies_upstream_job', table_name='task_dependencies')
    op.drop_index('ix_task_dependencies_upstream_task', table_name='task_dependencies')
    op.drop_table('task_dependencies')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('has_frame_dependents')
