"""Cleaning and checking a record before it is stored: the one validation layer."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from datetime import date
from typing import Any

from . import consent, lifecycle
from .errors import ValidationError
from .fields import KindSpec
from .validation import MSG_REQUIRED, InvalidValue

# (commune, postal code) -> (canonical values, errors by field): the reference communes' rule, given
# by the store (the domain holds no reference data). See reference.check_place.
PlaceRule = Callable[[str | None, str | None], tuple[dict[str, str], dict[str, str]]]
MAX_RECORD_BYTES = 64 * 1024  # a whole record as UTF-8 JSON: one op stays far below a push's 4 MiB



# Dates typed for something that happened (a tandem's start may be planned ahead; a waiting date is
# often typed on a laptop whose clock is wrong: tests/sync/test_merge.py; retention ignores a future
# date anyway, store/contacts.py).
NOT_IN_THE_FUTURE = ("consent_date", "honorability_on")

def clean(
    spec: KindSpec,
    raw: dict[str, Any],
    *,
    today: date,
    current: dict[str, Any] | None = None,
    places: PlaceRule | None = None,
) -> dict[str, Any]:
    """Parse and check `raw` (new record if `current` is None, else changes to it).

    With `places`, a commune or postal code typed or changed must fit the reference communes; values
    stored before are left alone (a record with an unknown commune still opens and saves).

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
    if places is not None and spec.commune_field:
        _check_place(spec.commune_field, places, current, changes, errors)
    merged = {**current, **changes} if current else changes
    for name in missing_required(spec, merged):
        errors.setdefault(name, MSG_REQUIRED)
    if not errors and (too_big := oversize(merged, current)):
        errors[too_big[0]] = too_big[1]
    if not errors:
        check_rules(spec, current, merged, changes, today, errors)
    if errors:
        raise ValidationError(errors)
    if current is not None:
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
    return changes


def missing_required(spec: KindSpec, values: dict[str, Any]) -> list[str]:
    """The required fields of `spec` that `values` leaves empty (absent, None, "" or []).

    The device (clean) and the hub (merge) both ask here: a record one of them takes is one the
    other can still edit."""
    return [name for name in spec.required if values.get(name) in (None, "", [])]


def _check_place(name: str, places: PlaceRule, current: dict[str, Any] | None, changes: dict[str, Any],
                 errors: dict[str, str]) -> None:
    fields = (name, "postal_code")
    before = current or {}
    touched = [f for f in fields if f in changes and changes[f] != before.get(f)]
    if not touched or any(f in errors for f in fields):
        return
    merged = {**before, **changes}
    fixed, problems = places(merged.get(name), merged.get("postal_code"))
    errors.update(problems)
    if name in touched and name in fixed:
        changes[name] = fixed[name]


def record_bytes(values: dict[str, Any]) -> int:
    """The size of `values` as compact UTF-8 JSON, the form ops and feed entries take."""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))


def rough_chars(value: Any) -> int:
    """Characters of one value as JSON, give or take its punctuation (32 more per field, see below)."""
    kind = type(value)
    if kind is str:
        return len(value)
    if kind is list:
        try:
            return 3 * len(value) + sum(map(len, value))
        except TypeError:  # not a list of strings (old data): count its text
            return len(str(value))
    return 0


def _rough_chars(values: dict[str, Any]) -> int:
    """Characters of `values` give or take its JSON punctuation: the hub calls it for every operation."""
    return 32 * len(values) + sum(map(rough_chars, values.values()))


def oversize(values: dict[str, Any], before: dict[str, Any] | None = None) -> tuple[str, str] | None:
    """(largest field, French message) if the record `values` is over MAX_RECORD_BYTES and grew
    since `before` (so a record already too big may still be shrunk); None otherwise.

    The device (clean) and the hub (merge) both ask here: one bound, one message."""
    if _rough_chars(values) * 6 <= MAX_RECORD_BYTES:  # no character takes more than 6 bytes as JSON
        return None
    size = record_bytes(values)
    if size <= MAX_RECORD_BYTES or (before is not None and size <= record_bytes(before)):
        return None
    largest = max(values, key=lambda name: record_bytes({name: values[name]}))
    message = (f"Fiche trop volumineuse ({math.ceil(size / 1024)}\u00a0Kio, {MAX_RECORD_BYTES // 1024}\u00a0Kio au "
               "plus)\u00a0: raccourcissez les textes ou les listes.")
    return largest, message


def check_rules(
    spec: KindSpec,
    current: dict[str, Any] | None,
    merged: dict[str, Any],
    changes: dict[str, Any],
    today: date,
    errors: dict[str, str],
) -> None:
    """The rules between fields of one record (filling `changes`, adding to `errors`): clean()'s last
    step, and domain.batch's for each record of a batch."""
    if merged.get("consent_given") and not merged.get("consent_date") and "consent_given" in changes:
        changes["consent_date"] = merged["consent_date"] = today.isoformat()
    if "consent_withdrawn_on" in spec.by_name:
        _check_consent(current, merged, changes, today, errors)
    if merged.get("birth_date") and merged["birth_date"] > today.isoformat():
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    for name in NOT_IN_THE_FUTURE:  # a typo (2062 for 2026) would keep a person out of retention forever
        typed = name in changes and (current is None or current.get(name) != changes[name])  # forms send all
        if typed and merged.get(name) and str(merged[name]) > today.isoformat() and name not in errors:
            errors[name] = "Cette date ne peut pas être dans le futur."
    if spec.name == "tandem":
        _check_tandem(current, merged, changes, today, errors)


def _check_consent(
    current: dict[str, Any] | None,
    merged: dict[str, Any],
    changes: dict[str, Any],
    today: date,
    errors: dict[str, str],
) -> None:
    """A consent given (again) is dated today unless a date was typed, gets a renewal date and the
    current text version, and loses an earlier withdrawal; one withdrawn (unticked, or a withdrawal
    date typed) is dated. Forms send every field: « changed » compares with the stored record."""
    before = current or {}

    def changed(name: str) -> bool:
        return name in changes and (current is None or before.get(name) != changes[name])

    def put(name: str, value: Any) -> None:
        changes[name] = merged[name] = value

    given, was_given = bool(merged.get("consent_given")), bool(before.get("consent_given"))
    gives = given and (current is None or not was_given)
    if given and merged.get("consent_withdrawn_on") and changed("consent_withdrawn_on"):
        if gives:
            errors["consent_withdrawn_on"] = ("Un consentement ne peut pas être recueilli et retiré à la fois\u00a0: "
                                              "décochez «\u00a0Consentement recueilli\u00a0» ou effacez cette date.")
            return
        put("consent_given", False)  # a withdrawal date typed on a given consent withdraws it
        given = False
    withdrawn = merged.get("consent_withdrawn_on")
    if withdrawn and changed("consent_withdrawn_on") and withdrawn > today.isoformat():
        errors["consent_withdrawn_on"] = "La date de retrait ne peut pas être dans le futur."
    if gives:
        if withdrawn:
            put("consent_withdrawn_on", None)
        if current is not None and not changed("consent_date"):
            put("consent_date", today.isoformat())  # a new consent, not the one withdrawn
        if not changed("consent_text_version"):
            put("consent_text_version", consent.CURRENT_TEXT_VERSION)
    elif was_given and not given and current is not None and not withdrawn:
        put("consent_withdrawn_on", today.isoformat())
    dated = merged.get("consent_date")
    if given and dated and (gives or changed("consent_date")) and not changed("consent_renewal"):
        put("consent_renewal", consent.default_renewal(dated))
    renewal = merged.get("consent_renewal")
    if given and dated and not renewal and changed("consent_renewal"):
        errors["consent_renewal"] = "Un consentement recueilli a une date de renouvellement (sinon, retirez-le)."
    if renewal and dated and renewal <= dated and (changed("consent_renewal") or changed("consent_date")):
        errors["consent_renewal"] = "La date de renouvellement doit être postérieure à la date du consentement."


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
        errors["outcome"] = "Indiquez l’issue du tandem pour le terminer."
    if merged.get("outcome") and new != "ended":
        errors["outcome"] = "L’issue ne se renseigne qu’à la fin du tandem."
    if merged.get("mentor_id") and merged.get("mentor_id") == merged.get("mentee_id"):
        errors["mentee_id"] = "Le mentor et le mentoré doivent être deux personnes différentes."
    dated = [(lifecycle.STEP_DATE[s], merged.get(lifecycle.STEP_DATE[s])) for s in lifecycle.ORDER]
    known = [(name, value) for name, value in dated if value]
    for (_, earlier), (name, later) in itertools.pairwise(known):
        if later < earlier:
            errors[name] = "Cette date précède celle de l’étape précédente."
            break
