"""Mentors: the date of their « attestation d’honorabilité », which some programmes require and
renew every year (domain/retention.py).

Revision ID: 0011_honorability
Revises: 0010_consent
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_honorability"
down_revision = "0010_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mentor", sa.Column("honorability_on", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("mentor", "honorability_on")
