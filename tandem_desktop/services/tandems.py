"""Tandem use cases: propose a pair, move it along its lifecycle, log its meetings."""

from __future__ import annotations

from typing import Any

from ..domain import lifecycle
from ..store.queries import ListQuery
from ..store.repository import Store


def propose_tandem(store: Store, values: dict[str, Any]) -> str:
    """Create a tandem; the mentee leaves the waiting list and the tandem inherits their structure."""
    with store.transaction():
        mentee = store.get("mentee", str(values.get("mentee_id") or "")) if values.get("mentee_id") else None
        data = dict(values)
        if mentee is not None:
            data.setdefault("structure_id", mentee.get("structure_id"))
            data.setdefault("counsellor_id", mentee.get("counsellor_id"))
        tandem_id = store.create("tandem", data)
        if mentee is not None and mentee.get("status") == "waiting":
            store.update("mentee", mentee["id"], {"status": "in_tandem"})
        return tandem_id


def move_tandem(store: Store, tandem_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """Move a tandem to `status` (with e.g. outcome= when ending it); returns what changed."""
    with store.transaction():
        changes = store.update("tandem", tandem_id, {"status": status, **extra})
        if status == "ended":
            tandem = store.get("tandem", tandem_id)
            others = store.count("tandem", ListQuery(filters={"mentee_id": tandem["mentee_id"]}))
            live = [
                t for t in store.find("tandem", ListQuery(filters={"mentee_id": tandem["mentee_id"]}), 0, others)
                if t["status"] != "ended"
            ]
            mentee = store.get("mentee", tandem["mentee_id"])
            if not live and mentee["status"] == "in_tandem":
                store.update("mentee", mentee["id"], {"status": "exited"})
        return changes


def allowed_moves(status: str) -> list[tuple[str, str]]:
    """The steps a tandem may take next, with their French labels, for buttons and menus."""
    return [(step, lifecycle.label(step)) for step in lifecycle.next_steps(status)]


def add_meeting(store: Store, tandem_id: str, values: dict[str, Any]) -> str:
    return store.create("meeting", {**values, "tandem_id": tandem_id})


def meetings_of(store: Store, tandem_id: str) -> list[dict[str, Any]]:
    """The tandem's meetings, most recent first (the timeline order)."""
    query = ListQuery(filters={"tandem_id": tandem_id}, sort="date", descending=True)
    return store.find("meeting", query, 0, store.count("meeting", query))
