"""History of records (GDPR audit trail): who changed which field from what to what, and when
(hub/history.py, PROTOCOL.md "History").

Revision ID: 0008_history
Revises: 0007_erasures
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_history"
down_revision = "0007_erasures"
branch_labels = None
depends_on = None

ID = 36


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("op_id", sa.String(128), nullable=False),
        sa.Column("hlc", sa.String(128), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("counsellor_id", sa.String(ID), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
    )
    op.create_index("ix_history_record_id_id", "history", ["record_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_history_record_id_id", table_name="history")
    op.drop_table("history")
