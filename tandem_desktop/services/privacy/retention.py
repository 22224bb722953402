"""Who is due under the retention rules, and anonymising them in bulk (domain/retention.py).

The rules are the hub's (kept in the profile's meta at each sync, `RULES_KEY`), or the CNIL's
defaults before the first sync. `due()` lists the persons past their rule — anonymised by
`anonymise()`, an erasure with the reason « Durée de conservation dépassée » that syncs, wins and is
logged like any other — and the mentors whose « attestation d’honorabilité » is missing or out of
date (to renew: nothing is erased for that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import orjson

from ...domain.erasure import Erased
from ...domain.kinds import KINDS
from ...domain.retention import ANONYMISE, HONORABILITY, Due, InvalidRules, Rules, honorability_due, parse_rules
from ...domain.retention import retention_due as _retention_due
from ...store import contacts as store_contacts
from ...store import rows

if TYPE_CHECKING:
    from ...store.repository import Store
    from ..records import Records

RULES_KEY = "retention_rules"  # meta: the hub's rules as JSON


@dataclass(frozen=True)
class DueLine:
    """One line of the review screen and of `tandem privacy due`."""

    due: Due
    title: str  # the person's name (only on this device's screen: never in logs)
    kind_label: str

    @property
    def what(self) -> str:
        return "Anonymiser" if self.due.what == ANONYMISE else "Renouveler l’attestation"


def current_rules(store: Store) -> Rules:
    """The rules this device received from the hub, or the defaults (a bad stored copy: defaults)."""
    raw = store.meta_value(RULES_KEY)
    if not raw:
        return Rules()
    try:
        return parse_rules(orjson.loads(raw))
    except (InvalidRules, orjson.JSONDecodeError):
        return Rules()


def keep_rules(store: Store, data: object) -> bool:
    """The hub's rules, checked, kept for the next review; False (and nothing kept) if unusable."""
    try:
        rules = parse_rules(data)
    except InvalidRules:
        return False
    text = orjson.dumps(rules.as_dict()).decode()
    if store.meta_value(RULES_KEY) != text:
        store.set_meta_value(RULES_KEY, text)
    return True


def due(store: Store, today: date | None = None, rules: Rules | None = None) -> list[DueLine]:
    """Everyone due today, oldest first: anonymisations, then attestations to renew."""
    today = today or store.today()
    rules = rules or current_rules(store)
    found: list[Due] = []
    with store.reading() as conn:
        people = {kind: store_contacts.contacts(conn, kind, today) for kind in ("mentee", "mentor")}
    for kind, contacts in people.items():
        for c in contacts:
            if (d := _retention_due(kind, c.record_id, c.programme, c.last_contact, c.live_tandem, today, rules)):
                found.append(d)
            elif kind == "mentor" and (h := honorability_due(c.record_id, c.project_types, c.honorability_on,
                                                              today, rules)):
                found.append(h)
    found.sort(key=lambda d: (d.what != ANONYMISE, d.since, d.kind, d.record_id))
    with store.reading() as conn:  # deleted people included: their titles too
        names = {kind: rows.titles(conn, kind, [d.record_id for d in found if d.kind == kind]) for kind in people}
    return [DueLine(d, names[d.kind].get(d.record_id) or d.record_id, KINDS[d.kind].label) for d in found]


def anonymise(records: Records, lines: list[DueLine],
              progress: Callable[[int, int], None] | None = None) -> list[Erased]:
    """Anonymise the persons of `lines` that are still due for it now: the review may have been open
    for hours while a sync brought one of them a new tandem (run on the database lane, nothing comes
    in between the check and the erasure). One transaction per kind."""
    still = {(line.due.kind, line.due.record_id) for line in due(records.store) if line.due.what == ANONYMISE}
    done: list[Erased] = []
    for kind in ("mentee", "mentor"):
        ids = [line.due.record_id for line in lines if line.due.kind == kind and line.due.what == ANONYMISE
               and (kind, line.due.record_id) in still]
        if ids:
            done += records.erase_many(kind, ids, "retention", progress)[1]
    return done


__all__ = ["ANONYMISE", "HONORABILITY", "RULES_KEY", "DueLine", "anonymise", "current_rules", "due", "keep_rules"]
