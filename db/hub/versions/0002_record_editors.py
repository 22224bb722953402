"""Shared records get an editor: the structure that created them (hub/rights.py, PROTOCOL.md "Who may
change what"). Existing records are backfilled from the device that wrote their earliest version;
the hub's own structures and counsellors keep none (a structure belongs to itself, a counsellor to
its structure).

Revision ID: 0002_record_editors
Revises: 0001_initial
Create Date: 2026-11-27
"""

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0002_record_editors"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

SHARED = ("structure", "counsellor", "mentor")


def upgrade() -> None:
    op.add_column("records", sa.Column("editor_structure_id", sa.String(36), nullable=True))
    conn = op.get_bind()
    device_structure = dict(conn.execute(sa.text("SELECT id, structure_id FROM devices")).all())
    rows = conn.execute(sa.text(
        "SELECT record_id, versions, writers FROM records WHERE kind IN ('structure', 'counsellor', 'mentor')")).all()
    updates = []
    for record_id, versions_text, writers_text in rows:
        versions, writers = orjson.loads(versions_text), orjson.loads(writers_text)
        if not versions:
            continue
        first_field = min(versions, key=lambda name: str(versions[name]))
        editor = device_structure.get(writers.get(first_field))
        if editor:
            updates.append({"editor": editor, "record_id": record_id})
    if updates:
        conn.execute(sa.text("UPDATE records SET editor_structure_id = :editor WHERE record_id = :record_id"),
                     updates)


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("editor_structure_id")
