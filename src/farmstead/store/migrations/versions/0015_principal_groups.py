"""principal_groups and group_members: groups as principals of memberships (docs/access.md)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:30:00
"""
from alembic import op
import sqlalchemy as sa

from farmstead.store.types import UtcDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'principal_groups',
        sa.Column('group_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('directory_dn', sa.String(length=1024), nullable=True),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('group_id', name=op.f('pk_principal_groups')),
        sa.UniqueConstraint('directory_dn', name=op.f('uq_principal_groups_directory_dn')),
        sa.UniqueConstraint('name', name=op.f('uq_principal_groups_name')),
    )
    op.create_table(
        'group_members',
        sa.Column('group_id', sa.String(length=64), nullable=False),
        sa.Column('principal_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['principal_groups.group_id'],
                                name=op.f('fk_group_members_group_id_principal_groups'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['principal_id'], ['principals.principal_id'],
                                name=op.f('fk_group_members_principal_id_principals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'principal_id', name=op.f('pk_group_members')),
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_principal_id'), ['principal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_principal_id'))
    op.drop_table('group_members')
    op.drop_table('principal_groups')
