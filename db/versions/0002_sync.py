"""Sync bookkeeping: conflicts (pulled from the hub or refused on push) and hub-wide flags.

The rest of the sync state (hub URL, cursor, credentials…) lives in the `meta` key/value table.

Revision ID: 0002_sync
Revises: 0001_initial
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_sync"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_conflicts',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('conflict_type', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=True),
        sa.Column('kept_value', sa.Text(), nullable=True),
        sa.Column('kept_version', sa.Text(), nullable=True),
        sa.Column('lost_value', sa.Text(), nullable=True),
        sa.Column('lost_version', sa.Text(), nullable=True),
        sa.Column('kept_device', sa.String(length=36), nullable=True),
        sa.Column('lost_device', sa.String(length=36), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('received_at', sa.Text(), nullable=False),
        sa.Column('resolved', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('resolved_at', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sync_conflicts_open', 'sync_conflicts', ['resolved', 'received_at'], unique=False)
    op.create_table('sync_flags',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('mentor_id', sa.String(length=36), nullable=True),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('tandems', sa.Integer(), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('received_at', sa.Text(), nullable=False),
        sa.Column('resolved', sa.Boolean(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sync_flags_mentor', 'sync_flags', ['mentor_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sync_flags_mentor', table_name='sync_flags')
    op.drop_table('sync_flags')
    op.drop_index('ix_sync_conflicts_open', table_name='sync_conflicts')
    op.drop_table('sync_conflicts')
