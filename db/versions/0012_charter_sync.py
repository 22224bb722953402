"""Charter sync: charters travel through the hub (protocol 6). A received charter's file arrives after
its metadata (`pdf` becomes nullable), each file is described by its digest, size and media type, each
charter says where it stands with the hub, and `blob_parts` keeps the chunks of a download in progress.

Charters of earlier releases get their sizes, scan digest and media type from their bytes, and
hub_status 'local': they reach the hub at the next sync.

Revision ID: 0012_charter_sync
Revises: 0011_honorability
Create Date: 2026-12-10
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0012_charter_sync"
down_revision = "0011_honorability"
branch_labels = None
depends_on = None

NEW_COLUMNS = ("pdf_size", "scan_sha256", "scan_size", "scan_type", "device_id", "hub_status", "hub_message",
               "received")


def _media_type(data: bytes) -> str | None:
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def upgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("pdf_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scan_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("scan_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("scan_type", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("device_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("hub_status", sa.String(length=12), nullable=False, server_default="local"))
        batch.add_column(sa.Column("hub_message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("received", sa.Boolean(create_constraint=False), nullable=False,
                                   server_default="0"))
    op.create_table(
        "blob_parts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "n"),
    )
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM charters"))]
    for charter_id in ids:  # one row at a time: a profile may hold hundreds of scans of megabytes
        pdf, scan = conn.execute(sa.text("SELECT pdf, scan FROM charters WHERE id = :id"), {"id": charter_id}).one()
        values = {"id": charter_id, "pdf_size": None if pdf is None else len(pdf),
                  "scan_sha256": None, "scan_size": None, "scan_type": None}
        if scan is not None:
            values.update(scan_sha256=hashlib.sha256(scan).hexdigest(), scan_size=len(scan),
                          scan_type=_media_type(bytes(scan)))
        conn.execute(sa.text("UPDATE charters SET pdf_size = :pdf_size, scan_sha256 = :scan_sha256, "
                             "scan_size = :scan_size, scan_type = :scan_type WHERE id = :id"), values)


def downgrade() -> None:
    op.drop_table("blob_parts")
    op.execute("DELETE FROM charters WHERE pdf IS NULL")  # received without their file: the hub keeps them
    with op.batch_alter_table("charters") as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=False)
