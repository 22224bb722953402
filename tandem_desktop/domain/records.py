"""Cleaning and checking a record before it is stored: the one validation layer."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from . import lifecycle
from .errors import ValidationError
from .fields import KindSpec
from .validation import MSG_REQUIRED, InvalidValue


def clean(
    spec: KindSpec,
    raw: dict[str, Any],
    *,
    today: date,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Parse and check `raw` (new record if `current` is None, else changes to it).

    Returns the changes in stored form, with defaults and step dates filled in (for a new record,
    only its non-empty fields); raises
    ValidationError holding every problem at once, so a form can show them all.
    """
    errors: dict[str, str] = {}
    creating = current is None
    changes: dict[str, Any] = spec.defaults(today) if creating else {}
    by_name = spec.by_name
    for name, value in raw.items():
        field = by_name.get(name)
        if field is None:
            errors[name] = f"Champ inconnu pour «\u00a0{spec.label}\u00a0»."
            continue
        if value is not None:
            try:
                value = field.parse(value)
            except InvalidValue as exc:
                errors[name] = str(exc)
                continue
        if value is not None or not creating:
            changes[name] = value
        else:  # a new record keeps only its non-empty fields; an explicit blank drops a default
            changes.pop(name, None)
    merged = {**current, **changes} if current else changes
    for name in spec.required:
        if merged.get(name) in (None, "", []) and name not in errors:
            errors[name] = MSG_REQUIRED
    if not errors:
        _check_rules(spec, current, merged, changes, today, errors)
    if errors:
        raise ValidationError(errors)
    if current is not None:
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
    return changes


def _check_rules(
    spec: KindSpec,
    current: dict[str, Any] | None,
    merged: dict[str, Any],
    changes: dict[str, Any],
    today: date,
    errors: dict[str, str],
) -> None:
    if merged.get("consent_given") and not merged.get("consent_date") and "consent_given" in changes:
        changes["consent_date"] = merged["consent_date"] = today.isoformat()
    if merged.get("birth_date") and merged["birth_date"] > today.isoformat():
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    if spec.name == "tandem":
        _check_tandem(current, merged, changes, today, errors)


def _check_tandem(
    current: dict[str, Any] | None,
    merged: dict[str, Any],
    changes: dict[str, Any],
    today: date,
    errors: dict[str, str],
) -> None:
    old = current.get("status") if current else None
    new = merged["status"]
    if old is not None and (message := lifecycle.transition_error(old, new)):
        errors["status"] = message
        return
    lifecycle.stamp_step_date(old, merged, changes, today)
    if new == "ended" and not merged.get("outcome"):
        errors["outcome"] = "Indiquez l'issue du tandem pour le terminer."
    if merged.get("outcome") and new != "ended":
        errors["outcome"] = "L'issue ne se renseigne qu'à la fin du tandem."
    if merged.get("mentor_id") and merged.get("mentor_id") == merged.get("mentee_id"):
        errors["mentee_id"] = "Le mentor et le mentoré doivent être deux personnes différentes."
    dated = [(lifecycle.STEP_DATE[s], merged.get(lifecycle.STEP_DATE[s])) for s in lifecycle.ORDER]
    known = [(name, value) for name, value in dated if value]
    for (_, earlier), (name, later) in itertools.pairwise(known):
        if later < earlier:
            errors[name] = "Cette date précède celle de l'étape précédente."
            break
