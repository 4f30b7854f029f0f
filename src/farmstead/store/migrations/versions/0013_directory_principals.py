"""principals.directory_dn and directory_groups: users provisioned by an LDAP sign-in (docs/access.md)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: an ALTER TABLE ADD COLUMN on both databases, no copy of the table.
    op.add_column('principals', sa.Column('directory_dn', sa.String(length=1024), nullable=True))
    op.add_column('principals', sa.Column('directory_groups', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    op.drop_column('principals', 'directory_groups')
    op.drop_column('principals', 'directory_dn')
