"""Charters and their files at the hub (protocol 6): the charter feed and per-structure blobs in chunks
(hub/charters.py, hub/blobs.py, PROTOCOL.md "Charters and attachments").

Revision ID: 0010_charters
Revises: 0009_settings
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_charters"
down_revision = "0009_settings"
branch_labels = None
depends_on = None

ID = 36


def upgrade() -> None:
    op.create_table(
        "charters",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("tandem_id", sa.String(ID), nullable=False),
        sa.Column("owner_structure_id", sa.String(ID), nullable=False),
        sa.Column("number", sa.String(9), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("template", sa.String(80), nullable=False),
        sa.Column("signed_on", sa.String(10), nullable=False),
        sa.Column("signed_place", sa.String(200), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("self_signed", sa.Boolean(create_constraint=False), nullable=True),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("seal", sa.String(8), nullable=True),
        sa.Column("cert_serial", sa.String(40), nullable=True),
        sa.Column("cert_sha256", sa.String(64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("owner_structure_id", "id", name=op.f("pk_charters")),
    )
    op.create_index("uq_charters_owner_structure_id_number", "charters", ["owner_structure_id", "number"],
                    unique=True)
    op.create_index(op.f("ix_charters_number"), "charters", ["number"], unique=False)
    op.create_index(op.f("ix_charters_tandem_id"), "charters", ["tandem_id"], unique=False)
    op.create_index(op.f("ix_charters_seq"), "charters", ["seq"], unique=False)
    op.create_index("ix_charters_owner_seq", "charters", ["owner_structure_id", "seq"], unique=False)
    op.create_table(
        "blobs",
        sa.Column("owner_structure_id", sa.String(ID), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("touched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner_structure_id", "sha256", "device_id", name=op.f("pk_blobs")),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("owner_structure_id", sa.String(ID), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("owner_structure_id", "sha256", "device_id", "n", name=op.f("pk_blob_chunks")),
    )


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
    op.drop_index("ix_charters_owner_seq", table_name="charters")
    op.drop_index(op.f("ix_charters_number"), table_name="charters")
    op.drop_index("uq_charters_owner_structure_id_number", table_name="charters")
    op.drop_index(op.f("ix_charters_seq"), table_name="charters")
    op.drop_index(op.f("ix_charters_tandem_id"), table_name="charters")
    op.drop_table("charters")
