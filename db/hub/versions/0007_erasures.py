"""Erasures (GDPR): the log of the persons erased, without personal data (hub/erasure.py,
PROTOCOL.md "Erasure").

Revision ID: 0007_erasures
Revises: 0006_access_log
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_erasures"
down_revision = "0006_access_log"
branch_labels = None
depends_on = None

ID = 36


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("record_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner_structure_id", sa.String(ID), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("erased_on", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("counsellor_id", sa.String(ID), nullable=False),
        sa.Column("linked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_erasures")),
    )
    op.create_index(op.f("ix_erasures_at"), "erasures", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_erasures_at"), table_name="erasures")
    op.drop_table("erasures")
