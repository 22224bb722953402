"""Hub-wide invariants that offline devices cannot see: a mentor's capacity taken by several structures.

Checked after a push is applied, inside its transaction. An excess is flagged, never refused: both
structures acted in good faith offline, and their counsellors decide together.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from ..domain.ids import new_id
from .db import dumps, flags, loads, records, utcnow
from .ledger import Ledger, chunks

MENTOR_OVERBOOKED = "mentor_overbooked"


def check_mentors(conn: Connection, ledger: Ledger, mentor_ids: set[str]) -> list[dict[str, Any]]:
    """Flags for the mentors (among `mentor_ids`) whose live tandems exceed their capacity.

    A new flag goes to the feed of every structure holding one of the live tandems; a state already
    flagged (same capacity, count and structures) is returned again but not repeated in the feed.
    """
    if not mentor_ids:
        return []
    ids = sorted(mentor_ids)
    capacity: dict[str, int] = {}
    live: dict[str, list[str]] = defaultdict(list)  # mentor -> owner structure of each live tandem
    latest: dict[str, Any] = {}
    for chunk in chunks(ids):
        for row in conn.execute(select(records.c.record_id, records.c.fields).where(
                records.c.record_id.in_(chunk), records.c.kind == "mentor", records.c.deleted.is_(False))):
            value = loads(row.fields).get("capacity")
            if isinstance(value, int) and not isinstance(value, bool):
                capacity[row.record_id] = value
        for row in conn.execute(select(records.c.mentor_id, records.c.owner_structure_id, records.c.fields).where(
                records.c.kind == "tandem", records.c.mentor_id.in_(chunk), records.c.deleted.is_(False))):
            if loads(row.fields).get("status") != "ended":
                live[row.mentor_id].append(row.owner_structure_id)
        for row in conn.execute(select(flags).where(flags.c.mentor_id.in_(chunk)).order_by(flags.c.seq)):
            latest[row.mentor_id] = row
    raised = []
    for mentor_id in ids:
        owners = live.get(mentor_id, [])
        if mentor_id not in capacity or len(owners) <= capacity[mentor_id]:
            continue
        structures = sorted({owner for owner in owners if owner})
        state = (capacity[mentor_id], len(owners), structures)
        previous = latest.get(mentor_id)
        if previous is not None and (previous.capacity, previous.tandems, loads(previous.structures)) == state:
            raised.append(_payload(previous.id, mentor_id, state[0], state[1]))
            continue
        flag = _payload(new_id(), mentor_id, state[0], state[1])
        seqs = [ledger.add("flag", owner, "mentor", mentor_id, {"flag": flag}) for owner in structures]
        conn.execute(flags.insert().values(
            id=flag["id"], seq=seqs[0], type=MENTOR_OVERBOOKED, mentor_id=mentor_id, capacity=state[0],
            tandems=state[1], structures=dumps(structures), created_at=utcnow()))
        raised.append(flag)
    return raised


def _payload(flag_id: str, mentor_id: str, capacity: int, tandems: int) -> dict[str, Any]:
    return {"id": flag_id, "type": MENTOR_OVERBOOKED, "mentor_id": mentor_id, "capacity": capacity,
            "tandems": tandems}
