"""ix_tags_key: the settings read from tags by key (the sweeper's stuck-task limits, each pass)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:30:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tags_key', 'tags', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tags_key', table_name='tags')
