"""Charters: the signed charter PDFs (sealed on screen, or the reference copy of an ink signature with
its optional scan), kept in the encrypted database and not synced yet.

Revision ID: 0004_charters
Revises: 0003_matching
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_charters"
down_revision = "0003_matching"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tandem_id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=60), nullable=False),
        sa.Column("template_version", sa.String(length=20), nullable=False),
        sa.Column("verification_code", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_on", sa.String(length=10), nullable=False),
        sa.Column("signed_place", sa.Text(), nullable=True),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_name", sa.Text(), nullable=True),
        sa.Column("sealed_by", sa.Text(), nullable=True),
        sa.Column("self_signed", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_charters_tandem", "charters", ["tandem_id", "created_at"], unique=False)
    op.create_index("ix_charters_sha256", "charters", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_charters_sha256", table_name="charters")
    op.drop_index("ix_charters_tandem", table_name="charters")
    op.drop_table("charters")
