"""Erasure: a marker column on every record table and a log of the erasures, without personal data.

The full-text indexes are optimized once: a contentless index keeps the words of a deleted row in
its segments until they are merged, and an optimize merges them all (store/erasure.py does the
same after each erasure).

Revision ID: 0008_erasure
Revises: 0007_imports
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_erasure"
down_revision = "0007_imports"
branch_labels = None
depends_on = None

RECORD_KINDS = ("structure", "counsellor", "mentor", "mentee", "tandem", "meeting")
FTS_KINDS = ("structure", "counsellor", "mentor", "mentee")


def upgrade() -> None:
    for kind in RECORD_KINDS:
        op.add_column(kind, sa.Column("erased", sa.Text(), nullable=True))
    op.create_table(
        "erasures",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("erased_on", sa.String(length=10), nullable=False),
        sa.Column("erased_at", sa.Text(), nullable=False),
        sa.Column("counsellor_id", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("linked", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_index("ix_erasures_at", "erasures", ["erased_at"], unique=False)
    for kind in FTS_KINDS:
        op.execute(f"INSERT INTO {kind}_fts ({kind}_fts) VALUES ('optimize')")


def downgrade() -> None:
    op.drop_index("ix_erasures_at", table_name="erasures")
    op.drop_table("erasures")
    for kind in RECORD_KINDS:
        op.drop_column(kind, "erased")
