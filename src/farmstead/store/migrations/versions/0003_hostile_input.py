"""session_actions.assigned_at (the lower bound of the times a worker reports); task_fan_outs and
jobs.dispatch_held (bulk task changes applied in batches off the request path)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import farmstead.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('session_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', farmstead.store.types.UtcDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatch_held', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('task_fan_outs',
    sa.Column('fan_out_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('root', sa.Integer(), nullable=False),
    sa.Column('sub', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=True),
    sa.Column('event', sa.String(length=40), nullable=True),
    sa.Column('target', sa.String(length=32), nullable=True),
    sa.Column('requested_by', sa.String(length=256), nullable=True),
    sa.Column('requested_at', farmstead.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('next_index', sa.Integer(), nullable=False),
    sa.Column('holds_dispatch', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.job_id'], name=op.f('fk_task_fan_outs_job_id_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('fan_out_id', name=op.f('pk_task_fan_outs')),
    sa.UniqueConstraint('job_id', 'root', 'sub', name=op.f('uq_task_fan_outs_job_id_root_sub'))
    )


def downgrade() -> None:
    op.drop_table('task_fan_outs')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('dispatch_held')
    with op.batch_alter_table('session_actions', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
