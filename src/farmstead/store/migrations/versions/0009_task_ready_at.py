"""tasks.ready_at: when a task last became READY, for the READY -> RUNNING wait the metrics report

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:20:00
"""
import sqlalchemy as sa
from alembic import op

from farmstead.store.types import UtcDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: instant on both dialects, whatever the size of the table.
    op.add_column('tasks', sa.Column('ready_at', UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks') as batch:
        batch.drop_column('ready_at')
