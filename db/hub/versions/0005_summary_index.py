"""The scope index carries each record's line hash, so GET /v1/summary (protocol 5) reads the index
alone: at 100,000 records, about 7 MB of index instead of every record row (about 250 MB).

Revision ID: 0005_summary_index
Revises: 0004_compact_stamps
Create Date: 2026-12-01
"""

from alembic import op

revision = "0005_summary_index"
down_revision = "0004_compact_stamps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_records_scope", table_name="records")
    op.create_index("ix_records_scope", "records", ["kind", "owner_structure_id", "deleted", "line_hash"])


def downgrade() -> None:
    op.drop_index("ix_records_scope", table_name="records")
    op.create_index("ix_records_scope", "records", ["kind", "owner_structure_id", "deleted"])
