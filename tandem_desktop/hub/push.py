"""POST /v1/push: one batch of outbox operations, merged and recorded in one locked transaction.

Idempotent by op id: an operation the hub already applied (or kept as a conflict) is answered with
the stored outcome and not applied again. Refused operations are not stored — they changed
nothing, and the same operation sent again is refused again for the same reason.
Within one batch, an op id names one operation: the same op twice is answered twice with one
outcome; a different op under an id already used in the batch is refused (`duplicate_op`, retry:
the device gives it a new id), never answered with the other op's outcome.

From protocol 4 on, an operation refused for a reason the device cannot fix (`retry`: true) holds
back the later operations of the same record in the batch, so a later edit never overtakes it.
Older clients cannot renew a stamp: a batch of theirs with a stamp out of bounds is a 426.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..domain.compact import split_full
from ..texts.french import NBSP
from . import erasure, history
from .checks import Refused, check_stamp
from .db import applied_ops, conflicts, devices, dumps, insert_rows, loads, utcnow, writing
from .errors import HubError
from .invariants import check_mentors
from .ledger import Ledger, chunks, hub_now_ms, load_records, save_records
from .merge import (
    DUPLICATE_OP,
    FORBIDDEN,
    HELD_BACK,
    MSG_HELD_BACK,
    NOT_OWNER,
    OP_ID_TAKEN,
    Actor,
    ConflictEvent,
    FieldEvent,
    Merger,
    ref_targets,
    refused,
)

MAX_OPS = 500
MSG_ALL_FORBIDDEN = ("Aucune de ces modifications n’est permise\u00a0: les fiches concernées relèvent d’une "
                     "autre structure.")
MSG_OP_ID_TAKEN = "Identifiant d’opération déjà utilisé par un autre appareil."
MSG_DUPLICATE_OP = (f"Identifiant d’opération répété dans le même envoi{NBSP}: l’appareil donne un nouvel "
                    "identifiant à cette modification et la renvoie.")
MSG_OLD_CLOCK = ("Mettez Tandem Desktop à jour\u00a0: cette version ne sait pas corriger l’horloge de l’appareil, "
                 "en avance de plus de 48\u00a0h sur celle du hub (ou un horodatage est invalide). Rien n’a été "
                 "enregistré.")
HOLDS_BACK = 4  # the first protocol whose clients keep a held-back operation (older ones would drop it)
SCOPE_CODES = (FORBIDDEN, NOT_OWNER)


def push(engine: Engine, actor: Actor, ops: list[dict[str, Any]], protocol: int) -> dict[str, Any]:
    """Apply `ops` in order; the answer of PROTOCOL.md (results per op, flags raised).

    A batch whose every operation is refused, one at least for scope or ownership, is a forbidden
    request: 403 with the results, nothing written.
    """
    if not ops:
        return {"results": [], "flags": []}
    now_ms = hub_now_ms()
    if protocol < HOLDS_BACK:
        _refuse_old_clocks(ops, now_ms)
    with writing(engine) as (conn, last_seq):
        owed = erasure.checkpoint_owed(conn)
        known = _known_outcomes(conn, [op["op_id"] for op in ops])
        wanted = {op["record_id"] for op in ops}
        for op in ops:
            wanted.update(ref_targets(op))
        if erased_ids := [op["record_id"] for op in ops if op["action"] == "erase"]:
            wanted |= erasure.linked_ids(conn, erased_ids)  # the records about them are cleared too
        merger = Merger(actor, load_records(conn, wanted), now_ms)
        results: list[dict[str, Any]] = []
        fresh: dict[str, dict[str, Any]] = {}
        held: set[str] = set()  # records with an operation the device will send again
        seen: dict[str, dict[str, Any]] = {}  # op id -> the op it names in this batch
        for op in ops:
            op_id = op["op_id"]
            if seen.setdefault(op_id, op) != op:  # another write under a used id: it is not that one
                results.append(refused(op_id, DUPLICATE_OP, MSG_DUPLICATE_OP))
                held.add(op["record_id"])
                continue
            if op["record_id"] in held and protocol >= HOLDS_BACK:
                results.append(refused(op_id, HELD_BACK, MSG_HELD_BACK))
                continue
            if op_id in known:
                device_id, outcome = known[op_id]
                if device_id != actor.device_id:
                    outcome = refused(op_id, OP_ID_TAKEN, MSG_OP_ID_TAKEN)
                    held.add(op["record_id"])
                results.append(outcome)
                continue
            outcome = merger.apply(op).as_dict()
            results.append(outcome)
            if outcome["status"] != "refused":
                known[op_id] = (actor.device_id, outcome)
                fresh[op_id] = outcome
            elif outcome["retry"]:
                held.add(op["record_id"])
        if all(r["status"] == "refused" for r in results) and any(r.get("code") in SCOPE_CODES for r in results):
            raise HubError(403, FORBIDDEN, MSG_ALL_FORBIDDEN, {"results": results})
        if not fresh:
            return {"results": results, "flags": []}
        ledger = Ledger(conn, last_seq)
        merger.scrub()  # nothing an erasure cleared is written, not even in this batch's conflicts
        _record_events(conn, ledger, merger)
        history.record(conn, merger.history, actor)
        erasure.settle(conn, merger.erasures, merger.cleared, actor)
        ledger.records()
        numbers = save_records(conn, merger.records.values(), ledger.seq)
        raised = check_mentors(conn, ledger, merger.touched_mentors)
        now = utcnow()
        rows = [{"op_id": op_id, "device_id": actor.device_id, "result": dumps(outcome), "created_at": now}
                for op_id, outcome in fresh.items()]
        insert_rows(conn, applied_ops, rows)
        seen: dict[str, Any] = {"last_seen_at": now}
        if actor.number is None and (number := _own_number(ops, fresh, numbers)) is not None:
            seen["number"] = number  # learnt on first use: the id this device stamps with
        conn.execute(update(devices).where(devices.c.id == actor.device_id).values(**seen))
        ledger.flush()
    if merger.cleared or owed:
        erasure.after_commit(engine)
    return {"results": results, "flags": raised if protocol >= 2 else []}


def _own_number(ops: list[dict[str, Any]], fresh: dict[str, Any], numbers: dict[str, int]) -> int | None:
    for op in ops:
        if op["op_id"] in fresh and (parts := split_full(op["hlc"])) is not None:
            return numbers.get(parts[2])
    return None


def _refuse_old_clocks(ops: list[dict[str, Any]], now_ms: int) -> None:
    """A client older than protocol 4 turns a refused operation into a conflict and drops it; it
    cannot renew a stamp either. Its batch with a stamp out of bounds is refused whole, so it keeps
    its outbox and tells the counsellor to update (the new release renews the stamps itself)."""
    for op in ops:
        try:
            check_stamp(op["hlc"], now_ms)
        except Refused:
            raise HubError(426, "upgrade_required", MSG_OLD_CLOCK) from None


def _known_outcomes(conn: Connection, op_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    known: dict[str, tuple[str, dict[str, Any]]] = {}
    for chunk in chunks(sorted(set(op_ids))):
        query = select(applied_ops.c.op_id, applied_ops.c.device_id, applied_ops.c.result).where(
            applied_ops.c.op_id.in_(chunk))
        for row in conn.execute(query):
            known[row.op_id] = (row.device_id, loads(row.result))
    return known


def _record_events(conn: Connection, ledger: Ledger, merger: Merger) -> None:
    """Feed entries in the order the merge made them; conflicts also kept in their own table."""
    now = utcnow()
    conflict_rows = []
    for event in merger.events:
        if isinstance(event, FieldEvent):
            ledger.field(event.record, event.field, event.value, event.version)
            continue
        assert isinstance(event, ConflictEvent)
        c = event.payload
        seq = ledger.add("conflict", event.owner, c["kind"], c["record_id"], {"conflict": c})
        conflict_rows.append({
            "id": c["id"], "seq": seq, "kind": c["kind"], "record_id": c["record_id"], "field": c["field"],
            "conflict_type": c["conflict_type"], "kept_value": dumps(c["kept_value"]),
            "kept_version": c["kept_version"], "kept_device": c["kept_device"], "lost_value": dumps(c["lost_value"]),
            "lost_version": c["lost_version"], "lost_device": c["lost_device"], "owner_structure_id": event.owner,
            "op_id": event.op_id, "created_at": now,
        })
    insert_rows(conn, conflicts, conflict_rows)
