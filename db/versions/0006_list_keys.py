"""Lists at 100,000 rows: stored sort keys and reference labels, one index per sortable column, and
full-text prefix indexes for the first keystrokes of a search.

Filter indexes gain the `deleted` column, so a filtered count reads the index alone.

A sort on a list column used to compute the French key of every row and sort them all in a
temporary B-tree (with, for a reference column, one subquery per row for the label): 0.6–1 s at
100,000 mentees. Now each text column a list shows has its key stored beside it (`name__key`),
each reference a list shows has the referenced record's title (`name__label`, and its key), and
an index (deleted, key, sort_key) gives a sorted page as the first rows of the index. The column
the natural order starts with (a person's last name, a structure's name, a meeting's date) sorts
by the natural order's own index.

The columns are listed here as of this release (a later release adds its own); the values are
computed with the store's own functions, so stored keys equal what new writes compute.

Revision ID: 0006_list_keys
Revises: 0005_french_sort
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.store import rows

revision = "0006_list_keys"
down_revision = "0005_french_sort"
branch_labels = None
depends_on = None

# kind -> (text columns with a key, reference columns with a label and a key, indexed raw columns)
LISTS = {
    "structure": (("commune",), (), ("type",)),
    "counsellor": (("first_name", "email"), ("structure_id",), ()),
    "mentor": (("first_name", "employer", "trade", "commune"), (), ("capacity", "active")),
    "mentee": (("first_name", "trade", "commune"), (), ("project_type", "status")),
    "tandem": ((), ("mentee_id", "mentor_id"), ("status", "proposed_on", "outcome")),
    "meeting": ((), (), ("mode",)),
}
# The list column a natural order starts with (name, date) sorts by that order's index (sort_key).
ORDER = {kind: (*texts, *refs, *raw) for kind, (texts, refs, raw) in LISTS.items()}
FTS_KINDS = ("structure", "counsellor", "mentor", "mentee")
# Filter indexes become (field, deleted): a filtered count then reads the index alone.
FILTERS = {
    "structure": ("commune",),
    "counsellor": ("structure_id",),
    "mentor": ("active", "commune", "structure_id"),
    "mentee": ("commune", "counsellor_id", "status", "structure_id"),
    "tandem": ("counsellor_id", "mentee_id", "mentor_id", "status", "structure_id"),
    "meeting": ("tandem_id",),
}


def _filter_indexes(with_deleted: bool) -> None:
    for kind, names in FILTERS.items():
        for name in names:
            op.drop_index(f"ix_{kind}_{name}", table_name=kind)
            op.create_index(f"ix_{kind}_{name}", kind, [name, "deleted"] if with_deleted else [name], unique=False)


def _fts(kind: str, prefix: bool) -> None:
    """The kind's full-text table made again (with or without prefix indexes) and refilled."""
    op.execute(f"DROP TABLE IF EXISTS {kind}_fts")
    option = "prefix='1 2', " if prefix else ""
    op.execute(f"CREATE VIRTUAL TABLE {kind}_fts USING fts5(body, content='', contentless_delete=1, {option}"
               "tokenize='unicode61 remove_diacritics 2')")
    body = "concat_ws(' ', " + ", ".join(KINDS[kind].searchable) + ")"
    op.execute(f"INSERT INTO {kind}_fts (rowid, body) SELECT row_no, {body} FROM {kind} WHERE deleted = 0")


def upgrade() -> None:
    for kind, (texts, refs, _raw) in LISTS.items():
        for name in refs:
            op.add_column(kind, sa.Column(f"{name}__label", sa.Text(), nullable=True))
        for name in (*texts, *refs):
            op.add_column(kind, sa.Column(f"{name}__key", sa.Text(), nullable=True))
    conn = op.get_bind()
    for kind in ("structure", "mentor", "mentee", "counsellor", "tandem", "meeting"):  # labels read titles
        texts, refs, _raw = LISTS[kind]
        rows.fill_list_columns(conn, KINDS[kind], (*texts, *refs), refs)
    for kind, (texts, refs, _raw) in LISTS.items():
        for name in ORDER[kind]:
            column = f"{name}__key" if name in (*texts, *refs) else name
            op.create_index(f"ix_{kind}_by_{name}", kind, ["deleted", column, "sort_key"], unique=False)
    _filter_indexes(with_deleted=True)
    for kind in FTS_KINDS:
        _fts(kind, prefix=True)


def downgrade() -> None:
    for kind in FTS_KINDS:
        _fts(kind, prefix=False)
    _filter_indexes(with_deleted=False)
    for kind, (texts, refs, _raw) in LISTS.items():
        for name in ORDER[kind]:
            op.drop_index(f"ix_{kind}_by_{name}", table_name=kind)
        for name in (*texts, *refs):
            op.drop_column(kind, f"{name}__key")
        for name in refs:
            op.drop_column(kind, f"{name}__label")
