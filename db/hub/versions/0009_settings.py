"""Settings the hub's administrator sets for every device: the retention rules (hub/rules.py).

Revision ID: 0009_settings
Revises: 0008_history
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_settings"
down_revision = "0008_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )


def downgrade() -> None:
    op.drop_table("settings")
