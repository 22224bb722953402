"""Reading and closing the sync conflicts and hub flags kept in the local database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import func, select, update

from .remote import utc_now
from .schema import sync_conflicts, sync_flags

if TYPE_CHECKING:
    from .repository import Store


def _decoded(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def conflicts(store: Store, include_resolved: bool = False) -> list[dict[str, Any]]:
    """Newest first (hub order; refused pushes, which have no hub seq, by arrival)."""
    stmt = select(sync_conflicts).order_by(sync_conflicts.c.received_at.desc(),
                                           sync_conflicts.c.seq.desc().nulls_first())
    if not include_resolved:
        stmt = stmt.where(sync_conflicts.c.resolved.is_(False))
    with store.reading() as conn:
        rows = conn.execute(stmt).mappings().all()
    result = []
    for row in rows:
        item = dict(row)
        item["kept_value"] = _decoded(row["kept_value"])
        item["lost_value"] = _decoded(row["lost_value"])
        item["resolved"] = bool(row["resolved"])
        result.append(item)
    return result


def conflict(store: Store, conflict_id: str) -> dict[str, Any] | None:
    return next((c for c in conflicts(store, include_resolved=True) if c["id"] == conflict_id), None)


def mark_resolved(store: Store, conflict_id: str) -> bool:
    with store.transaction() as conn:
        return bool(conn.execute(update(sync_conflicts).where(sync_conflicts.c.id == conflict_id)
                                 .values(resolved=True, resolved_at=utc_now())).rowcount)


def flags(store: Store, include_resolved: bool = True) -> list[dict[str, Any]]:
    stmt = select(sync_flags).order_by(sync_flags.c.received_at.desc(), sync_flags.c.seq.desc().nulls_last())
    if not include_resolved:
        stmt = stmt.where(sync_flags.c.resolved.is_(False))
    with store.reading() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [{**orjson.loads(row["data"]), "id": row["id"], "seq": row["seq"], "type": row["type"],
             "mentor_id": row["mentor_id"], "capacity": row["capacity"], "tandems": row["tandems"],
             "received_at": row["received_at"], "resolved": bool(row["resolved"])} for row in rows]


def dismiss_flag(store: Store, flag_id: str) -> bool:
    with store.transaction() as conn:
        return bool(conn.execute(update(sync_flags).where(sync_flags.c.id == flag_id).values(resolved=True)).rowcount)


def open_counts(store: Store) -> tuple[int, int]:
    """(open conflicts, open flags)."""
    with store.reading() as conn:
        n_conflicts = conn.execute(select(func.count()).select_from(sync_conflicts)
                                   .where(sync_conflicts.c.resolved.is_(False))).scalar_one()
        n_flags = conn.execute(select(func.count()).select_from(sync_flags)
                               .where(sync_flags.c.resolved.is_(False))).scalar_one()
    return n_conflicts, n_flags
