"""workers.configuring_until: how long a worker running its fleet's host configuration script may be silent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 18:00:00
"""
from alembic import op
import sqlalchemy as sa
import farmstead.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('configuring_until', farmstead.store.types.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workers', schema=None) as batch_op:
        batch_op.drop_column('configuring_until')
