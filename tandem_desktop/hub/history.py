"""The history of records at the hub (PROTOCOL.md, "History"): the GDPR audit trail of who changed
what, the same for every device that may see the record.

A push writes one row per applied write but creations (the merge collects them: hub/merge.py); a
record's creation is its oldest stamp, whose device the hub knows. `GET /v1/history` serves a
record's rows with the names of the counsellors and devices, to the devices in its scope. An
erasure empties the values of the rows about the person (hub/erasure.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, select, update

from ..domain.compact import split_full
from ..domain.erasure import personal_fields
from ..domain.ids import is_record_id
from ..domain.kinds import KINDS
from ..texts.french import NBSP
from .db import counsellors, device_numbers, devices, dumps, history, insert_rows, loads, utcnow
from .errors import HubError, bad_request

if TYPE_CHECKING:
    from .merge import Actor

MSG_UNKNOWN = f"Fiche inconnue du hub, ou hors du périmètre de cet appareil{NBSP}: pas d’historique."
MAX_ROWS = 2000  # a record edited more often than this shows its latest writes


def record(conn: Connection, entries: list[dict[str, Any]], actor: Actor) -> None:
    """The rows of one push (dicts from Merger.history: op_id, action, kind, record_id, hlc, changes)."""
    if not entries:
        return
    now = utcnow()
    insert_rows(conn, history, [{
        "record_id": e["record_id"], "kind": e["kind"], "op_id": e["op_id"], "hlc": e["hlc"], "action": e["action"],
        "changes": dumps(e["changes"]), "device_id": actor.device_id, "counsellor_id": actor.counsellor_id,
        "at": now} for e in entries])


def forget_values(conn: Connection, persons: Iterable[str], linked: Mapping[str, Iterable[str]]) -> None:
    """An erasure: the person's rows lose every value, their tandems' and meetings' the personal ones."""
    for record_id in persons:
        conn.execute(update(history).where(history.c.record_id == record_id).values(changes="{}"))
    for kind, ids in linked.items():
        personal = set(personal_fields(kind))
        for record_id in ids:
            for row in conn.execute(select(history.c.id, history.c.changes).where(history.c.record_id == record_id)):
                changes = loads(row.changes)
                kept = {n: v for n, v in changes.items() if n not in personal}
                if kept != changes:
                    conn.execute(update(history).where(history.c.id == row.id).values(changes=dumps(kept)))


def of_record(engine: Engine, actor: Actor, kind: str | None, record_id: str | None) -> dict[str, Any]:
    """The answer of GET /v1/history: the record's creation and its rows, oldest first."""
    if kind not in KINDS:
        raise bad_request("Paramètre «\u00a0kind\u00a0» attendu\u00a0: un type de fiche connu.")
    if not isinstance(record_id, str) or not is_record_id(record_id):
        raise bad_request("Paramètre «\u00a0record_id\u00a0» attendu\u00a0: un identifiant de fiche.")
    from .ledger import load_records  # (ledger imports the merge, which imports erasure and this module)

    with engine.connect() as conn:
        state = load_records(conn, [record_id]).get(record_id)
        if state is None or state.kind != kind or not actor.may_see(state.owner):
            raise HubError(404, "not_found", MSG_UNKNOWN)
        rows = conn.execute(select(history).where(history.c.record_id == record_id)
                            .order_by(history.c.id.desc()).limit(MAX_ROWS)).mappings().all()[::-1]
        created = min(state.versions.values(), default=None)
        creator = _device_of_stamp(conn, created)
        ids = {r["device_id"] for r in rows} | ({creator} if creator else set())
        names = _names(conn, ids)
    entries = [{"seq": r["id"], "op_id": r["op_id"], "hlc": r["hlc"], "action": r["action"],
                "changes": loads(r["changes"]), **names.get(r["device_id"], {"device_id": r["device_id"]})}
               for r in rows]
    answer: dict[str, Any] = {"kind": kind, "record_id": record_id, "entries": entries}
    if created:
        answer["created"] = {"hlc": created, **names.get(creator or "", {"device_id": creator})}
    return answer


def _device_of_stamp(conn: Connection, stamp: str | None) -> str | None:
    """The hub's id of the device that made `stamp` (devices stamp with an id of their own, which the
    hub numbers: device_numbers, and devices.number once known)."""
    parts = split_full(stamp) if stamp else None
    if parts is None:
        return None
    number = conn.execute(select(device_numbers.c.number).where(device_numbers.c.name == parts[2])).scalar()
    if number is None:
        return None
    return conn.execute(select(devices.c.id).where(devices.c.number == number)).scalar()


def _names(conn: Connection, device_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Device id -> its name, its counsellor's id and name (what a history line says: who, where)."""
    wanted = sorted(d for d in device_ids if d)
    if not wanted:
        return {}
    query = (select(devices.c.id, devices.c.name, devices.c.counsellor_id, counsellors.c.name.label("who"))
             .join(counsellors, counsellors.c.id == devices.c.counsellor_id).where(devices.c.id.in_(wanted)))
    return {row.id: {"device_id": row.id, "device_name": row.name, "counsellor_id": row.counsellor_id,
                     "counsellor_name": row.who} for row in conn.execute(query)}
