"""The access log (GDPR): which device pulled which structures' records, when and how many; ids,
counts and times only, kept 12 months (hub/access_log.py, PROTOCOL.md "Access log").

Revision ID: 0006_access_log
Revises: 0005_summary_index
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_access_log"
down_revision = "0005_summary_index"
branch_labels = None
depends_on = None

ID = 36


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("counsellor_id", sa.String(ID), nullable=False),
        sa.Column("structure_id", sa.String(ID), nullable=False),
        sa.Column("structures", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("cursor_from", sa.BigInteger(), nullable=False),
        sa.Column("cursor_to", sa.BigInteger(), nullable=False),
        sa.Column("more", sa.Boolean(create_constraint=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_device_id_at", "access_log", ["device_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_device_id_at", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
