"""The `import_batches` and `import_templates` tables: what each import wrote, and saved mappings.

Small functions taking a Store, as store/charters.py does, so the import service writes no SQL.
Writes join the caller's transaction: a batch row commits with the records it lists, or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from .errors import NotFound
from .repository import Store
from .schema import import_batches, import_templates


@dataclass(frozen=True)
class ImportBatch:
    id: str
    kind: str
    file_name: str
    created_at: str
    counsellor_id: str | None
    counts: dict[str, int]
    created: dict[str, list[str]]  # kind -> ids of the records the import created
    merged: list[tuple[str, str, dict[str, Any], dict[str, Any]]]  # (kind, id, values before, values written)
    undone_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "file_name": self.file_name, "created_at": self.created_at,
                "counts": self.counts, "undone_at": self.undone_at}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _batch(row: Any) -> ImportBatch:
    return ImportBatch(
        id=row["id"], kind=row["kind"], file_name=row["file_name"], created_at=row["created_at"],
        counsellor_id=row["counsellor_id"], counts=json.loads(row["counts"]), created=json.loads(row["created"]),
        merged=[tuple(item) for item in json.loads(row["merged"])], undone_at=row["undone_at"],
    )


def insert_batch(store: Store, batch_id: str, kind: str, file_name: str, counsellor_id: str | None,
                 counts: dict[str, int], created: dict[str, list[str]],
                 merged: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> None:
    with store.transaction() as conn:
        conn.execute(import_batches.insert(), {
            "id": batch_id, "kind": kind, "file_name": file_name, "created_at": _now(),
            "counsellor_id": counsellor_id, "counts": json.dumps(counts), "created": json.dumps(created),
            "merged": json.dumps(merged, ensure_ascii=False), "undone_at": None,
        })


def list_batches(store: Store) -> list[ImportBatch]:
    """Every import of this device, the latest first."""
    with store.reading() as conn:
        rows = conn.execute(select(import_batches).order_by(import_batches.c.created_at.desc(),
                                                            import_batches.c.id.desc())).mappings().all()
    return [_batch(row) for row in rows]


def get_batch(store: Store, batch_id: str) -> ImportBatch:
    with store.reading() as conn:
        row = conn.execute(select(import_batches).where(import_batches.c.id == batch_id)).mappings().first()
    if row is None:
        raise NotFound("Import", batch_id)
    return _batch(row)


def mark_undone(store: Store, batch_id: str) -> None:
    with store.transaction() as conn:
        conn.execute(import_batches.update().where(import_batches.c.id == batch_id).values(undone_at=_now()))


def save_template(store: Store, structure_id: str | None, kind: str, name: str, columns: dict[str, str]) -> None:
    """Save (or replace) a structure's mapping under `name`."""
    key = {"structure_id": structure_id or "", "kind": kind, "name": name}
    with store.transaction() as conn:
        conn.execute(import_templates.delete().where(*(import_templates.c[k] == v for k, v in key.items())))
        conn.execute(import_templates.insert(), {**key, "columns": json.dumps(columns, ensure_ascii=False),
                                                 "updated_at": _now()})


def list_templates(store: Store, kind: str, structure_id: str | None = None) -> dict[str, dict[str, str]]:
    """name -> columns of the mappings saved for `kind` by a structure (every structure's if None)."""
    stmt = select(import_templates).where(import_templates.c.kind == kind)
    if structure_id is not None:
        stmt = stmt.where(import_templates.c.structure_id == structure_id)
    with store.reading() as conn:
        rows = conn.execute(stmt.order_by(import_templates.c.name)).mappings().all()
    return {row["name"]: json.loads(row["columns"]) for row in rows}
