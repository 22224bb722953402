"""The tandem lifecycle: proposed → accepted → charter signed → active → ended."""

from __future__ import annotations

from datetime import date
from typing import Any

from .kinds import TANDEM, TANDEM_STATUSES

ORDER = [code for code, _ in TANDEM_STATUSES]
STEP_DATE = {
    "proposed": "proposed_on",
    "accepted": "accepted_on",
    "charter_signed": "charter_signed_on",
    "active": "started_on",
    "ended": "ended_on",
}


def label(status: str) -> str:
    return TANDEM.spec("status").choice_label(status)


def next_steps(status: str) -> list[str]:
    """Where a tandem in `status` may go: the next step, or straight to the end."""
    if status == "ended":
        return []
    following = ORDER[ORDER.index(status) + 1]
    return [following] if following == "ended" else [following, "ended"]


def transition_error(old: str, new: str) -> str | None:
    if old == new or new in next_steps(old):
        return None
    if old == "ended":
        return "Ce tandem est terminé\u00a0: son étape ne peut plus changer."
    return f"Un tandem «\u00a0{label(old)}\u00a0» ne peut pas passer à «\u00a0{label(new)}\u00a0»."


def stamp_step_date(old: str | None, merged: dict[str, Any], changes: dict[str, Any], today: date) -> None:
    """Record the date of a step reached now, unless the counsellor gave one."""
    new = merged.get("status")
    if new and new != old:
        date_field = STEP_DATE[new]
        if not merged.get(date_field):
            changes[date_field] = merged[date_field] = today.isoformat()
