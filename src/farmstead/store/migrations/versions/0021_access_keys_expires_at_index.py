"""access_keys.expires_at indexed: AssumeFleetRoleForWorker (and every other credential mint) deletes
a few expired keys in passing, and found them by a scan of every key: on PostgreSQL ~0.9 ms of the
database's time per mint at 3,000 workers, growing with the farm (docs/scaling.md)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 09:30:00
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_keys_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_keys_expires_at'))
