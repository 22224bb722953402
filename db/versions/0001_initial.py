"""Initial schema: records of every kind, the outbox of field operations, meta, full-text indexes.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counsellor',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('first_name', sa.Text(), nullable=True),
        sa.Column('last_name', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('phone', sa.Text(), nullable=True),
        sa.Column('structure_id', sa.String(length=36), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_counsellor_live_sort', 'counsellor', ['deleted', 'sort_key'], unique=False)
    op.create_index('ix_counsellor_structure_id', 'counsellor', ['structure_id'], unique=False)
    op.create_table('meeting',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('tandem_id', sa.String(length=36), nullable=True),
        sa.Column('date', sa.Text(), nullable=True),
        sa.Column('mode', sa.Text(), nullable=True),
        sa.Column('duration_min', sa.Integer(), nullable=True),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('next_steps', sa.Text(), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_meeting_live_sort', 'meeting', ['deleted', 'sort_key'], unique=False)
    op.create_index('ix_meeting_tandem_id', 'meeting', ['tandem_id'], unique=False)
    op.create_table('mentee',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('first_name', sa.Text(), nullable=True),
        sa.Column('last_name', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('phone', sa.Text(), nullable=True),
        sa.Column('birth_date', sa.Text(), nullable=True),
        sa.Column('project_type', sa.Text(), nullable=True),
        sa.Column('project', sa.Text(), nullable=True),
        sa.Column('sector', sa.Text(), nullable=True),
        sa.Column('trade_code', sa.Text(), nullable=True),
        sa.Column('trade', sa.Text(), nullable=True),
        sa.Column('skills', sa.Text(), nullable=True),
        sa.Column('languages', sa.Text(), nullable=True),
        sa.Column('availability', sa.Text(), nullable=True),
        sa.Column('commune', sa.Text(), nullable=True),
        sa.Column('postal_code', sa.Text(), nullable=True),
        sa.Column('mobility_mode', sa.Text(), nullable=True),
        sa.Column('mobility_km', sa.Integer(), nullable=True),
        sa.Column('structure_id', sa.String(length=36), nullable=True),
        sa.Column('counsellor_id', sa.String(length=36), nullable=True),
        sa.Column('status', sa.Text(), nullable=True),
        sa.Column('waiting_since', sa.Text(), nullable=True),
        sa.Column('consent_given', sa.Boolean(), nullable=True),
        sa.Column('consent_date', sa.Text(), nullable=True),
        sa.Column('consent_scope', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_mentee_commune', 'mentee', ['commune'], unique=False)
    op.create_index('ix_mentee_counsellor_id', 'mentee', ['counsellor_id'], unique=False)
    op.create_index('ix_mentee_live_sort', 'mentee', ['deleted', 'sort_key'], unique=False)
    op.create_index('ix_mentee_status', 'mentee', ['status'], unique=False)
    op.create_index('ix_mentee_structure_id', 'mentee', ['structure_id'], unique=False)
    op.create_table('mentor',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('first_name', sa.Text(), nullable=True),
        sa.Column('last_name', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('phone', sa.Text(), nullable=True),
        sa.Column('employer', sa.Text(), nullable=True),
        sa.Column('job_title', sa.Text(), nullable=True),
        sa.Column('sector', sa.Text(), nullable=True),
        sa.Column('trade_code', sa.Text(), nullable=True),
        sa.Column('trade', sa.Text(), nullable=True),
        sa.Column('skills', sa.Text(), nullable=True),
        sa.Column('languages', sa.Text(), nullable=True),
        sa.Column('availability', sa.Text(), nullable=True),
        sa.Column('commune', sa.Text(), nullable=True),
        sa.Column('postal_code', sa.Text(), nullable=True),
        sa.Column('mobility_km', sa.Integer(), nullable=True),
        sa.Column('capacity', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=True),
        sa.Column('structure_id', sa.String(length=36), nullable=True),
        sa.Column('consent_given', sa.Boolean(), nullable=True),
        sa.Column('consent_date', sa.Text(), nullable=True),
        sa.Column('consent_scope', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_mentor_active', 'mentor', ['active'], unique=False)
    op.create_index('ix_mentor_commune', 'mentor', ['commune'], unique=False)
    op.create_index('ix_mentor_live_sort', 'mentor', ['deleted', 'sort_key'], unique=False)
    op.create_index('ix_mentor_structure_id', 'mentor', ['structure_id'], unique=False)
    op.create_table('meta',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key')
    )
    op.create_table('outbox',
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('op_id', sa.String(length=36), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('changes', sa.Text(), nullable=False),
        sa.Column('base_versions', sa.Text(), nullable=False),
        sa.Column('device_id', sa.String(length=36), nullable=False),
        sa.Column('hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('structure',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.Text(), nullable=True),
        sa.Column('type', sa.Text(), nullable=True),
        sa.Column('commune', sa.Text(), nullable=True),
        sa.Column('postal_code', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('phone', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_structure_commune', 'structure', ['commune'], unique=False)
    op.create_index('ix_structure_live_sort', 'structure', ['deleted', 'sort_key'], unique=False)
    op.create_table('tandem',
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('mentor_id', sa.String(length=36), nullable=True),
        sa.Column('mentee_id', sa.String(length=36), nullable=True),
        sa.Column('counsellor_id', sa.String(length=36), nullable=True),
        sa.Column('structure_id', sa.String(length=36), nullable=True),
        sa.Column('status', sa.Text(), nullable=True),
        sa.Column('objectives', sa.Text(), nullable=True),
        sa.Column('duration_months', sa.Integer(), nullable=True),
        sa.Column('proposed_on', sa.Text(), nullable=True),
        sa.Column('accepted_on', sa.Text(), nullable=True),
        sa.Column('charter_signed_on', sa.Text(), nullable=True),
        sa.Column('started_on', sa.Text(), nullable=True),
        sa.Column('ended_on', sa.Text(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('sort_key', sa.Text(), server_default='', nullable=False),
        sa.Column('deleted', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('versions', sa.Text(), server_default='{}', nullable=False),
        sa.Column('created_hlc', sa.Text(), nullable=False),
        sa.Column('updated_hlc', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('row_no'),
        sa.UniqueConstraint('id')
    )
    op.create_index('ix_tandem_counsellor_id', 'tandem', ['counsellor_id'], unique=False)
    op.create_index('ix_tandem_live_sort', 'tandem', ['deleted', 'sort_key'], unique=False)
    op.create_index('ix_tandem_mentee_id', 'tandem', ['mentee_id'], unique=False)
    op.create_index('ix_tandem_mentor_id', 'tandem', ['mentor_id'], unique=False)
    op.create_index('ix_tandem_status', 'tandem', ['status'], unique=False)
    op.create_index('ix_tandem_structure_id', 'tandem', ['structure_id'], unique=False)

    # Accent-insensitive full-text indexes; rowid = the record's row_no (see store/search.py).
    # Contentless: the text itself is already in the record table, the index keeps only tokens.
    for kind in ("structure", "counsellor", "mentor", "mentee"):
        op.execute(
            f"CREATE VIRTUAL TABLE {kind}_fts USING fts5(body, content='', contentless_delete=1, "
            "tokenize='unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:

    for kind in ("structure", "counsellor", "mentor", "mentee"):
        op.execute(f"DROP TABLE IF EXISTS {kind}_fts")
    for table in ("outbox", "meta", "meeting", "tandem", "mentee", "mentor", "counsellor", "structure"):
        op.drop_table(table)
