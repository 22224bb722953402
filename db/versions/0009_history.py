"""History: who changed which field of a record, from what to what, when and on which device.

Rows are written in the same transaction as each local write (store/history.py) and replaced by the
hub's history of a record when the device fetches it (GET /v1/history), which is the same for every
device. An erasure keeps the rows of the person without their values.

Revision ID: 0009_history
Revises: 0008_erasure
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_history"
down_revision = "0008_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("counsellor_id", sa.String(length=36), nullable=True),
        sa.Column("who", sa.Text(), nullable=True),
        sa.Column("hub_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_history_record", "history", ["record_id", "hlc"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_history_record", table_name="history")
    op.drop_table("history")
