"""French sort order: sort keys fold ligatures too (« Œuvre » with the O), so every row's key is
built again with the rule of this release.

Data only, no schema change. It uses the store's own sort-key function on purpose: the point is
that stored keys equal what new writes compute.

Revision ID: 0005_french_sort
Revises: 0004_charters
Create Date: 2026-12-01
"""

from alembic import op

from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.store.search import sort_key

revision = "0005_french_sort"
down_revision = "0004_charters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for kind, spec in KINDS.items():
        # The fields this revision's table has (later revisions add others: 0010_consent…).
        columns = {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({kind})")}
        names = [name for name in spec.field_names if name in columns]
        rows = conn.exec_driver_sql(f"SELECT row_no, sort_key, {', '.join(names)} FROM {kind}").all()
        changed = []
        for row_no, old, *values in rows:
            new = sort_key(spec, dict(zip(names, values, strict=True)))
            if new != old:
                changed.append((new, row_no))
        if changed:
            conn.exec_driver_sql(f"UPDATE {kind} SET sort_key = ? WHERE row_no = ?", changed)


def downgrade() -> None:
    pass  # the keys stay valid for the previous release: it only sorted ligatures differently
