"""The history of a record: who changed which field, from what to what, when, on which device.

Written by the store's one change-log writer (Store._append_writes) in the same transaction as the
write itself, for every change but a creation (a record's creation is its `created_hlc`, whose
stamp names the device). Once the device asks the hub for a record's history (GET /v1/history),
the hub's rows — which every device gets alike — replace the local ones they cover; writes not yet
pushed stay as they are, marked pending. An erasure empties the values of the rows about the person
(store/erasure.py, hub/erasure.py): what remains says who changed what field when, not the values.

Every function runs inside the caller's `Store.transaction()` (or `reading()` for reads).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection

from ..domain.erasure import personal_fields
from . import rows

# op id, action, kind, record id, stamp, values before, values after
Entry = tuple[str, str, str, str, str, Mapping[str, Any], Mapping[str, Any]]


def note(conn: Connection, device_id: str, entries: Sequence[Entry]) -> None:
    """One history row per write: {field: [value before, value after]}."""
    if not entries:
        return
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO history (id, kind, record_id, hlc, action, changes, device_id, counsellor_id, who,"
        " hub_seq) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
        [(op_id, kind, record_id, stamp, action,
          rows.encode({name: [before.get(name), value] for name, value in after.items()}), device_id)
         for op_id, action, kind, record_id, stamp, before, after in entries])


def replace_from_hub(conn: Connection, kind: str, record_id: str, entries: Iterable[Any]) -> int:
    """The hub's history of a record (its `sane` entries), in place of what this device knew of it (its
    own pushed writes included, under the same ids); rows not yet pushed stay. Returns the rows stored."""
    entries = sane(entries)
    conn.exec_driver_sql("DELETE FROM history WHERE record_id = ? AND (hub_seq IS NOT NULL OR id NOT IN "
                         "(SELECT op_id FROM outbox WHERE record_id = ?))", (record_id, record_id))
    stored = [(str(e["op_id"]), kind, record_id, str(e["hlc"]), str(e["action"]), rows.encode(e.get("changes") or {}),
               _text(e.get("device_id")), _text(e.get("counsellor_id")), who_of(e), int(e["seq"])) for e in entries]
    if stored:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO history (id, kind, record_id, hlc, action, changes, device_id, counsellor_id,"
            " who, hub_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", stored)
    return len(stored)


def who_of(entry: Mapping[str, Any]) -> str | None:
    """« Nadia Ferhat (poste-a) » from the names the hub gives (None when it gives none)."""
    name, where = _text(entry.get("counsellor_name")), _text(entry.get("device_name"))
    if name and where:
        return f"{name} ({where})"
    return name or where


def _text(value: Any) -> str | None:
    """A name the hub gives, shown as it is: no control or bidirectional character (« Par » must read
    as what it says), 200 characters at most."""
    if not isinstance(value, str):
        return None
    clean = "".join(c for c in value[:400] if unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip()
    return clean[:200] or None


ACTIONS = frozenset({"update", "delete", "erase"})  # what a history row can record (creations are not rows)
MAX_ROWS = 2000  # the hub serves at most this many; a device keeps no more


def sane(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """The hub's entries this device keeps: well-formed ones only (an action it knows, `changes` a
    mapping of field -> [before, after]), the latest MAX_ROWS. A hostile or broken hub cannot make a
    record's history unreadable, nor fill the device."""
    kept = []
    for e in entries:
        if not isinstance(e, dict) or e.get("action") not in ACTIONS or not isinstance(e.get("seq"), int) \
                or not isinstance(e.get("op_id"), str) or not isinstance(e.get("hlc"), str) \
                or len(e["op_id"]) > 128 or len(e["hlc"]) > 128:
            continue
        changes = e.get("changes")
        if not isinstance(changes, dict) or not all(
                isinstance(n, str) and isinstance(v, list) and len(v) == 2 for n, v in changes.items()):
            continue
        kept.append(e)
    return kept[-MAX_ROWS:]


def of_record(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    """The rows of a record, oldest first (hub order where known, then the stamps)."""
    pending = set(conn.exec_driver_sql("SELECT op_id FROM outbox WHERE record_id = ?", (record_id,)).scalars())
    found = conn.exec_driver_sql(
        "SELECT id, kind, hlc, action, changes, device_id, counsellor_id, who, hub_seq FROM history "
        "WHERE record_id = ? ORDER BY hub_seq IS NULL, hub_seq, hlc", (record_id,)).mappings().all()
    result = []
    for row in found:
        changes = orjson.loads(row["changes"])
        result.append({**row, "changes": changes if isinstance(changes, dict) else {}, "pending": row["id"] in pending})
    return result


def forget_values(conn: Connection, persons: Iterable[str], linked: Mapping[str, Iterable[str]]) -> None:
    """An erasure: a person's rows lose every value, a tandem's or meeting's those of personal fields."""
    for record_id in persons:
        conn.exec_driver_sql("UPDATE history SET changes = ? WHERE record_id = ?",
                             (rows.encode({}), record_id))
    for kind, ids in linked.items():
        personal = set(personal_fields(kind))
        for record_id in ids:
            for row_id, text in conn.exec_driver_sql("SELECT id, changes FROM history WHERE record_id = ?",
                                                     (record_id,)).all():
                changes = orjson.loads(text)
                kept = {n: v for n, v in changes.items() if n not in personal}
                if kept != changes:
                    conn.exec_driver_sql("UPDATE history SET changes = ? WHERE id = ?", (rows.encode(kept), row_id))
