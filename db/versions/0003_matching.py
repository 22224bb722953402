"""Matching: what a mentor offers (project types, meeting modes) and what a mentee needs or excludes.

Declined and excluded mentors are lists of mentor ids on the mentee, so they sync with it and stay
within its structure.

Revision ID: 0003_matching
Revises: 0002_sync
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_matching"
down_revision = "0002_sync"
branch_labels = None
depends_on = None

MENTOR_COLUMNS = ("project_types", "meeting_modes")
MENTEE_COLUMNS = ("needs", "meeting_modes", "required_language", "employer", "excluded_employers",
                  "excluded_mentors", "declined_mentors")


def upgrade() -> None:
    with op.batch_alter_table("mentor") as batch:
        for name in MENTOR_COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    with op.batch_alter_table("mentee") as batch:
        for name in MENTEE_COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentee") as batch:
        for name in reversed(MENTEE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("mentor") as batch:
        for name in reversed(MENTOR_COLUMNS):
            batch.drop_column(name)
