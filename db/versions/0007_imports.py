"""Imports: each import recorded as one batch that can be undone, and the column mappings a structure
saves to import its spreadsheets again.

Both tables are local to this device (an import's records sync as ordinary creates and updates; a
batch is how this device undoes them).

Revision ID: 0007_imports
Revises: 0006_list_keys
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_imports"
down_revision = "0006_list_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("counsellor_id", sa.String(length=36), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("created", sa.Text(), nullable=False),
        sa.Column("merged", sa.Text(), nullable=False),
        sa.Column("undone_at", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_batches_created", "import_batches", ["created_at"], unique=False)
    op.create_table(
        "import_templates",
        sa.Column("structure_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("structure_id", "kind", "name"),
    )


def downgrade() -> None:
    op.drop_table("import_templates")
    op.drop_index("ix_import_batches_created", table_name="import_batches")
    op.drop_table("import_batches")
