"""Initial hub schema: structures, counsellors, enrollment codes, devices, records, applied operations,
the change feed, conflicts, flags, the certificate authority and the hub_state lock row.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

ID = 36


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def upgrade() -> None:
    state = op.create_table(
        "hub_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hub_id", sa.String(ID), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        _pk("hub_state", "id"),
    )
    op.bulk_insert(state, [{"id": 1, "hub_id": str(uuid.uuid4()), "last_seq": 0}])
    op.create_table(
        "hub_ca",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key_pem", sa.Text(), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("hub_ca", "id"),
    )
    op.create_table(
        "structures",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("structures", "id"),
    )
    op.create_table(
        "counsellors",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("structure_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["structure_id"], ["structures.id"], name="fk_counsellors_structure_id_structures"),
        _pk("counsellors", "id"),
    )
    op.create_index("ix_counsellors_structure_id", "counsellors", ["structure_id"])
    op.create_table(
        "enroll_codes",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("counsellor_id", sa.String(ID), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("device_id", sa.String(ID), nullable=True),
        sa.ForeignKeyConstraint(["counsellor_id"], ["counsellors.id"],
                                name="fk_enroll_codes_counsellor_id_counsellors"),
        _pk("enroll_codes", "id"),
        sa.UniqueConstraint("code_hash", name="uq_enroll_codes_code_hash"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("counsellor_id", sa.String(ID), nullable=False),
        sa.Column("structure_id", sa.String(ID), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("cert_serial", sa.String(40), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["counsellor_id"], ["counsellors.id"], name="fk_devices_counsellor_id_counsellors"),
        sa.ForeignKeyConstraint(["structure_id"], ["structures.id"], name="fk_devices_structure_id_structures"),
        _pk("devices", "id"),
        sa.UniqueConstraint("token_hash", name="uq_devices_token_hash"),
    )
    op.create_table(
        "records",
        sa.Column("record_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner_structure_id", sa.String(ID), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("mentor_id", sa.String(ID), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("versions", sa.Text(), nullable=False),
        sa.Column("writers", sa.Text(), nullable=False),
        sa.Column("digest_line", sa.Text(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["owner_structure_id"], ["structures.id"],
                                name="fk_records_owner_structure_id_structures"),
        _pk("records", "record_id"),
    )
    op.create_index("ix_records_mentor_id", "records", ["mentor_id"])
    op.create_index("ix_records_scope", "records", ["kind", "owner_structure_id", "deleted"])
    op.create_table(
        "applied_ops",
        sa.Column("op_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("applied_ops", "op_id"),
    )
    op.create_table(
        "feed",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("owner_structure_id", sa.String(ID), nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("record_id", sa.String(ID), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        _pk("feed", "seq"),
    )
    op.create_index("ix_feed_owner_seq", "feed", ["owner_structure_id", "seq"])
    op.create_table(
        "conflicts",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(ID), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("conflict_type", sa.String(40), nullable=False),
        sa.Column("kept_value", sa.Text(), nullable=True),
        sa.Column("kept_version", sa.String(128), nullable=True),
        sa.Column("kept_device", sa.String(ID), nullable=True),
        sa.Column("lost_value", sa.Text(), nullable=True),
        sa.Column("lost_version", sa.String(128), nullable=True),
        sa.Column("lost_device", sa.String(ID), nullable=True),
        sa.Column("owner_structure_id", sa.String(ID), nullable=True),
        sa.Column("op_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("conflicts", "id"),
    )
    op.create_index("ix_conflicts_record_id", "conflicts", ["record_id"])
    op.create_table(
        "flags",
        sa.Column("id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("mentor_id", sa.String(ID), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("tandems", sa.Integer(), nullable=False),
        sa.Column("structures", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("flags", "id"),
    )
    op.create_index("ix_flags_mentor_id", "flags", ["mentor_id"])


def downgrade() -> None:
    for table in ("flags", "conflicts", "feed", "applied_ops", "records", "devices", "enroll_codes", "counsellors",
                  "structures", "hub_ca", "hub_state"):
        op.drop_table(table)
