"""steps.timed_run_count/.timed_run_seconds: the step's succeeded task runs and their summed run time,
kept with each report, so a fleet's recommended size weighs READY tasks by their expected run time
without reading tasks; fleets.seen_worker_count/.seen_target: the (worker count, recommended size)
last looked at, so a Fleet Size Recommendation Change is said once per change (docs/fleets.md)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 06:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timed_run_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('timed_run_seconds', sa.Float(), server_default='0', nullable=False))
    with op.batch_alter_table('fleets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_worker_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seen_target', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fleets', schema=None) as batch_op:
        batch_op.drop_column('seen_target')
        batch_op.drop_column('seen_worker_count')
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.drop_column('timed_run_seconds')
        batch_op.drop_column('timed_run_count')
