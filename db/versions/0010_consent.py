"""Structured consent: who took it, which text version was read, when to renew it, when it was withdrawn.

Four columns on the mentee and mentor tables (domain/kinds.py, _consent), and the index every
reference column has (consent_by points at a counsellor). Existing consents keep no renewal date:
they do not expire until a counsellor dates them again (domain/consent.py).

Revision ID: 0010_consent
Revises: 0009_history
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_consent"
down_revision = "0009_history"
branch_labels = None
depends_on = None

PERSON_KINDS = ("mentee", "mentor")
TEXT_COLUMNS = ("consent_text_version", "consent_renewal", "consent_withdrawn_on")


def upgrade() -> None:
    for kind in PERSON_KINDS:
        op.add_column(kind, sa.Column("consent_by", sa.String(length=36), nullable=True))
        for name in TEXT_COLUMNS:
            op.add_column(kind, sa.Column(name, sa.Text(), nullable=True))
        op.create_index(f"ix_{kind}_consent_by", kind, ["consent_by", "deleted"], unique=False)


def downgrade() -> None:
    for kind in PERSON_KINDS:
        op.drop_index(f"ix_{kind}_consent_by", table_name=kind)
        for name in (*reversed(TEXT_COLUMNS), "consent_by"):
            op.drop_column(kind, name)
