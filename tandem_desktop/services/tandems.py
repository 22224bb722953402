"""Tandem reads for the tandem page and the CLI; every tandem write is in `services.records`."""

from __future__ import annotations

from typing import Any

from ..domain import lifecycle
from ..store.queries import ListQuery
from ..store.repository import Store


def allowed_moves(status: str) -> list[tuple[str, str]]:
    """The steps a tandem may take next, with their French labels, for buttons and menus."""
    return [(step, lifecycle.label(step)) for step in lifecycle.next_steps(status)]


def meetings_of(store: Store, tandem_id: str) -> list[dict[str, Any]]:
    """The tandem's meetings, most recent first (the timeline order)."""
    query = ListQuery(filters={"tandem_id": tandem_id}, sort="date", descending=True)
    return store.find("meeting", query, 0, store.count("meeting", query))
