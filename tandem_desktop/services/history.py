"""A record's history for people: who changed which field, from what to what, and when.

The hub's history of a record is the same on every device (GET /v1/history); when the hub can be
reached it replaces what this device knew (store/history.py), otherwise the device shows its own
rows — its writes, pushed or not — and says so. The GUI's « Historique… » and `tandem history`
both read `record_history`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.errors import DomainError
from ..domain.hlc import stamp_wall
from ..domain.kinds import KINDS
from ..store import history as store_history
from ..texts.french import NBSP
from .export import display_value, title_of

if TYPE_CHECKING:
    from ..store.profile import Profile
    from ..store.repository import Store

Fetch = Callable[[str, str], Any]  # (kind, record id) -> the hub's answer to GET /v1/history
ACTIONS = {"create": "Création", "update": "Modification", "delete": "Suppression", "erase": "Effacement"}
MAX_SHOWN = 200  # characters of a value shown in a line (a long note: its start)


@dataclass(frozen=True)
class HistoryLine:
    """One field changed by one write (a write of three fields gives three lines)."""

    hlc: str
    when: str  # « 03/12/2026 14:05 », local time
    who: str  # « Nadia Ferhat (poste-a) », « ce poste », « un autre poste »
    action: str
    field: str  # French label ('' for a creation, a deletion or an erasure)
    before: str
    after: str
    pending: bool = False  # written here, not yet sent to the hub


@dataclass(frozen=True)
class History:
    lines: tuple[HistoryLine, ...]
    from_hub: bool
    note: str  # what the counsellor reads above the lines (where the history comes from)


def record_history(store: Store, kind: str, record_id: str, fetch: Fetch | None = None) -> History:
    """The history of one record: from the hub through `fetch` when given and it answers (the hub's
    rows are kept here), else what this device knows."""
    spec = KINDS[kind]
    created: dict[str, Any] | None = None
    note = "Historique de ce poste (non relié à un hub)."
    from_hub = False
    if fetch is not None and store.remote.state().get("device_id"):
        try:
            created = _keep(store, kind, record_id, fetch(kind, record_id))
            from_hub = True
            note = "Historique du hub, le même sur chaque poste."
        except DomainError as exc:
            note = f"Hub injoignable ({str(exc).rstrip('.')}){NBSP}: historique connu de ce poste."
    with store.reading() as conn:
        rows = store_history.of_record(conn, record_id)
        record = conn.exec_driver_sql(f"SELECT created_hlc FROM {spec.name} WHERE id = ?", (record_id,)).first()
    mine = {store.device_id, store.remote.state().get("device_id")}
    lines: list[HistoryLine] = []
    first = (created or {}).get("hlc") or (record[0] if record else None)
    if isinstance(first, str):
        who = store_history.who_of(created) if created else None
        if who is None:
            who = "ce poste" if first.endswith(store.device_id) else "un autre poste"
        lines.append(HistoryLine(first, _when(first), who, ACTIONS["create"], "", "", ""))
    for row in rows:
        who = "ce poste" if row["device_id"] in mine else row["who"] or "un autre poste"
        action = ACTIONS.get(row["action"], row["action"])
        if not row["changes"] or row["action"] in ("delete", "erase"):
            lines.append(HistoryLine(row["hlc"], _when(row["hlc"]), who, action, "", "", "", row["pending"]))
            continue
        for name, pair in row["changes"].items():
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            label = spec.by_name[name].label if name in spec.by_name else name
            lines.append(HistoryLine(row["hlc"], _when(row["hlc"]), who, action, label,
                                     _shown(store, kind, name, before), _shown(store, kind, name, after),
                                     row["pending"]))
    return History(tuple(lines), from_hub, note)


def hub_fetch(profile: Profile) -> Fetch:
    """GET /v1/history for this profile's enrollment, a connection per call (a page opened now and then)."""
    from .sync import _client  # the one place that builds a client from the profile's enrollment

    def fetch(kind: str, record_id: str) -> dict[str, Any]:
        client = _client(profile, profile.store.remote.state())
        try:
            return client.history(kind, record_id)
        finally:
            client.close()

    return fetch


def _keep(store: Store, kind: str, record_id: str, answer: Any) -> dict[str, Any] | None:
    """Store the hub's rows of the record; returns its creation as the hub knows it."""
    if not isinstance(answer, dict):
        return None
    entries = answer.get("entries")
    with store.transaction() as conn:
        store_history.replace_from_hub(conn, kind, record_id, entries if isinstance(entries, list) else [])
    created = answer.get("created")
    return created if isinstance(created, dict) else None


def _when(stamp: str) -> str:
    wall = stamp_wall(stamp)
    if wall is None:
        return ""
    return datetime.fromtimestamp(wall / 1000, UTC).astimezone().strftime("%d/%m/%Y %H:%M")


def _shown(store: Store, kind: str, name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(vide)"
    if name == "deleted":
        return "supprimée" if value else "présente"
    spec = KINDS[kind]
    field = spec.by_name.get(name)
    if field is None:
        return str(value)[:MAX_SHOWN]
    if field.ref and isinstance(value, str):
        try:
            return title_of(store, field.ref, store.get(field.ref, value, include_deleted=True))
        except DomainError:
            return value
    try:
        text = display_value(field, value)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN].rstrip() + "…"
