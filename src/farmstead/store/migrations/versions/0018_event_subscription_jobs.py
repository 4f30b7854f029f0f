"""event_subscriptions.job_id and .created_by: a subscription to one job's events (a submitter's
e-mail when the job ends), and who made it (the web monitor shows it) (docs/events.md)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('created_by')
        batch_op.drop_column('job_id')
