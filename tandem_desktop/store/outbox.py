"""What becomes of an outbox row the hub did not take (PROTOCOL.md, "Refusals").

A refusal the device cannot fix by editing the record (a stamp, an op id, an older hub, an
operation held back behind another) leaves the row in the outbox: it is sent again. A refusal about
the record's content or scope, and an operation too large for the hub, move the row to the local
conflict list with its value, so nothing is lost and the counsellor can edit and send it again;
the fields' versions go back to the ones the hub still holds, so that next write is based on them.
Every function here runs inside the caller's `Store.transaction()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, select, update

from ..domain.ids import new_id
from ..domain.kinds import KINDS
from ..texts.french import NBSP
from . import queries, rows
from .schema import RECORD_TABLES, outbox, sync_conflicts

if TYPE_CHECKING:
    from .repository import Store

REFUSED = "refused"
TOO_LARGE = "too_large"
OP_ID_TAKEN = "op_id_taken"
# The op id cannot stand: another device's, or repeated in the batch. The write goes under a new one.
OP_ID_CODES = frozenset({OP_ID_TAKEN, "duplicate_op"})
STAMP_CODES = frozenset({"invalid_hlc", "clock_ahead"})
# Protocol 3 hubs give no `retry`: these codes (and those alone) are about the record itself.
CONTENT_CODES = frozenset({"invalid_value", "invalid_ref", "invalid_id", "invalid_action", "kind_mismatch",
                           "forbidden", "not_owner", "erased"})
ERASED = "erased"  # the conflict type of a write refused because its person was erased: kept without value
MSG_TOO_LARGE = (f"Modification trop volumineuse pour le hub{NBSP}: elle est mise de côté ici, les suivantes "
                 "partent normalement. Raccourcissez la fiche puis renvoyez-la.")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def is_retry(result: dict[str, Any]) -> bool:
    """A refused operation the device keeps and sends again (the hub says so from protocol 4 on)."""
    retry = result.get("retry")
    if isinstance(retry, bool):
        return retry
    return str(result.get("code") or "") not in CONTENT_CODES


def renew_op_id(conn: Connection, seq: int) -> None:
    """Another device already used this op id at the hub, or another write of the batch had it:
    the write goes again under a new one."""
    conn.execute(update(outbox).where(outbox.c.seq == seq).values(op_id=new_id()))


def needs_restamp(store: Store, conn: Connection) -> bool:
    """Whether some pending row holds a stamp the clock would not accept (a read, no write)."""
    clock = store.clock
    return any(not clock.within_bound(stamp) for stamp in conn.execute(select(outbox.c.hlc)).scalars())


def restamp(store: Store, conn: Connection, force: Iterable[int] = ()) -> int:
    """Give a new stamp to every pending row whose stamp the clock would not accept (poisoned by a
    hostile peer before this release, or made while the computer's clock was far off), and to the
    rows in `force` (the hub found them ahead of its clock). The later rows of the same record that
    name the old stamp as their base, and the record's own versions, follow. Returns the rows renewed."""
    forced = set(force)
    clock = store.clock
    rows = conn.execute(select(outbox.c.seq, outbox.c.kind, outbox.c.record_id, outbox.c.hlc)
                        .order_by(outbox.c.seq)).all()
    renewed: dict[tuple[str, str], dict[str, str]] = {}  # (kind, record) -> old stamp -> new
    for seq, kind, record_id, stamp in rows:
        if seq not in forced and clock.within_bound(stamp):
            continue
        fresh = str(clock.now())
        conn.execute(update(outbox).where(outbox.c.seq == seq).values(hlc=fresh))
        renewed.setdefault((kind, record_id), {})[stamp] = fresh
    for (kind, record_id), mapping in renewed.items():
        _rename_versions(conn, kind, record_id, mapping)
    return sum(len(m) for m in renewed.values())


def _rename_versions(conn: Connection, kind: str, record_id: str, mapping: dict[str, str]) -> None:
    """Old stamp -> new in the pending rows' bases and in the record's versions and created/updated stamps."""
    for seq, bases_text in conn.execute(select(outbox.c.seq, outbox.c.base_versions).where(
            outbox.c.kind == kind, outbox.c.record_id == record_id)).all():
        bases = orjson.loads(bases_text)
        if any(v in mapping for v in bases.values()):
            bases = {name: mapping.get(v, v) for name, v in bases.items()}
            conn.execute(update(outbox).where(outbox.c.seq == seq).values(base_versions=_json(bases)))
    spec, table = KINDS.get(kind), RECORD_TABLES.get(kind)
    if spec is None or table is None:
        return
    row = conn.execute(select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        return
    versions = {name: mapping.get(v, v) for name, v in rows.effective_versions(spec, row).items()}
    created = mapping.get(row["created_hlc"], row["created_hlc"])
    updated = max([created, *versions.values()]) if row["updated_hlc"] in mapping else row["updated_hlc"]
    rows.update_row(conn, spec, row, {}, versions, updated=updated, created=created)


def set_aside(conn: Connection, seq: int, op: dict[str, Any], conflict_type: str, message: str,
              received_at: str, current: Any = None) -> None:
    """Move one row out of the outbox into the local conflict list, keeping its value. The record
    goes back to the hub's state of those fields when the hub sent it (`current`, protocol 4);
    otherwise its fields go back to the versions the hub holds (a refused delete brings it back)."""
    changes = op["changes"]
    value = changes if len(changes) != 1 else next(iter(changes.values()))
    conn.execute(sync_conflicts.insert().prefix_with("OR IGNORE"), {
        "id": op["op_id"], "seq": None, "conflict_type": conflict_type, "kind": op["kind"],
        "record_id": op["record_id"], "field": next(iter(changes)) if len(changes) == 1 else None,
        "lost_value": None if conflict_type == ERASED else _json(value),
        "lost_version": op["hlc"], "message": message, "received_at": received_at, "resolved": False,
    })
    conn.execute(outbox.delete().where(outbox.c.seq == seq))
    # The hub did not take it: no history row (the hub's has none); a refusal's value stays in the
    # conflict list alone, and an erased person's in none.
    conn.exec_driver_sql("DELETE FROM history WHERE id = ?", (op["op_id"],))
    hub = _hub_state(current)
    if hub is not None:
        _restore(conn, op, hub)
    elif op.get("action") != "create":
        _back_to_base(conn, op)


def _hub_state(current: Any) -> dict[str, tuple[Any, str | None]] | None:
    """field -> (the hub's value, its version or None) from a refusal's `current`, if well formed."""
    if not isinstance(current, dict) or not isinstance(current.get("fields"), dict) \
            or not isinstance(current.get("versions"), dict):
        return None
    versions = current["versions"]
    return {name: (value, versions.get(name) if isinstance(versions.get(name), str) else None)
            for name, value in current["fields"].items() if isinstance(name, str)}


def _rebase_later(conn: Connection, op: dict[str, Any], new_base: dict[str, str | None]) -> None:
    """Later pending writes of the record based on the refused one: based on what the hub holds."""
    stamp = op["hlc"]
    for seq, bases_text in conn.execute(select(outbox.c.seq, outbox.c.base_versions).where(
            outbox.c.kind == op["kind"], outbox.c.record_id == op["record_id"])).all():
        later = orjson.loads(bases_text)
        touched = [name for name in op["changes"] if later.get(name) == stamp]
        if not touched:
            continue
        for name in touched:
            if new_base.get(name):
                later[name] = new_base[name]
            else:
                later.pop(name)
        conn.execute(update(outbox).where(outbox.c.seq == seq).values(base_versions=_json(later)))


def _restore(conn: Connection, op: dict[str, Any], hub: dict[str, tuple[Any, str | None]]) -> None:
    """Put the fields the refused write set back to the hub's values and versions (those not
    written again since), as a pulled record would; the search index and sort order follow."""
    spec, table = KINDS.get(op["kind"]), RECORD_TABLES.get(op["kind"])
    if spec is None or table is None:
        return
    _rebase_later(conn, op, {name: version for name, (_, version) in hub.items()})
    row = conn.execute(select(table).where(table.c.id == op["record_id"])).mappings().first()
    if row is None:
        return
    versions = rows.effective_versions(spec, row)
    record = queries.record_from_row(spec, row)
    changes: dict[str, Any] = {}
    for name, (value, version) in hub.items():
        if name not in op["changes"] or versions.get(name) != op["hlc"]:
            continue  # written again since: that later write is what the hub will get
        if name != "deleted" and name not in spec.by_name:
            continue
        changes[name] = value
        if name != "deleted":
            record[name] = value
        if version:
            versions[name] = version
        else:
            versions.pop(name, None)
    if changes:
        rows.update_row(conn, spec, row, changes, versions, record=record)


def _back_to_base(conn: Connection, op: dict[str, Any]) -> None:
    spec = KINDS.get(op["kind"])
    table = RECORD_TABLES.get(op["kind"])
    if spec is None or table is None:
        return
    stamp, bases = op["hlc"], op.get("base_versions") or {}
    _rebase_later(conn, op, {name: bases.get(name) for name in op["changes"]})
    row = conn.execute(select(table).where(table.c.id == op["record_id"])).mappings().first()
    if row is None:
        return
    versions = rows.effective_versions(spec, row)
    changes: dict[str, Any] = {}
    for name in op["changes"]:
        if versions.get(name) != stamp:
            continue  # written again since: that later write is what the hub will get
        if bases.get(name):
            versions[name] = bases[name]
        else:
            versions.pop(name, None)
        if name == "deleted":  # only a live record can be deleted: the hub still has it live
            changes["deleted"] = False
    rows.update_row(conn, spec, row, changes, versions)
