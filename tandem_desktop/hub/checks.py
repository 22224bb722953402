"""The checks every pushed operation passes before the merge (PROTOCOL.md, "Status codes").

Each raises Refused with a code and a French message, before any database call: the shape of the
op (tokens the database keeps), its stamp and base versions against the hub's clock, its values
through the domain's parsers, and the record it would leave (size, required fields).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..domain.erasure import ERASED, PERSON_KINDS, parse_marker
from ..domain.fields import KindSpec
from ..domain.hlc import MAX_AHEAD_MS, stamp_ok, stamp_wall
from ..domain.ids import is_record_id
from ..domain.kinds import kind_spec
from ..domain.records import missing_required, oversize
from ..domain.validation import InvalidValue, parse_bool, shown
from ..texts.french import NBSP

if TYPE_CHECKING:
    from .merge import RecordState

DELETED = "deleted"
ACTIONS = ("create", "update", "delete", "erase")
TOKEN_RE = re.compile(r"[\x21-\x7e]{1,128}")  # op ids, versions: printable ASCII, no NUL, no junk
INVALID_HLC = "invalid_hlc"
CLOCK_AHEAD = "clock_ahead"
INVALID_BASE = "invalid_base"
INVALID_VALUE = "invalid_value"
MSG_INVALID_HLC = "Horodatage de l’opération (HLC) invalide."
MSG_CLOCK_AHEAD = (f"Horodatage de l’opération trop en avance sur l’horloge du hub{NBSP}: l’appareil le "
                   "renouvelle et renvoie l’opération.")
MSG_INVALID_BASE = "Versions de base de l’opération invalides."


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _check_shape(op: dict[str, Any]) -> None:
    """The strings of an op that the hub keeps or compares (op id, stamp, versions) are plain tokens:
    a NUL byte (PostgreSQL refuses it) or any other junk is refused before it reaches the database."""
    if not TOKEN_RE.fullmatch(op["op_id"]):
        raise Refused("invalid_op_id", "Identifiant d’opération invalide.")
    if not TOKEN_RE.fullmatch(op["hlc"]):  # its form and its time: check_stamp
        raise Refused(INVALID_HLC, MSG_INVALID_HLC)
    for name, version in op["base_versions"].items():
        if not TOKEN_RE.fullmatch(name) or (version is not None and not TOKEN_RE.fullmatch(version)):
            raise Refused(INVALID_BASE, MSG_INVALID_BASE)


def check_stamp(stamp: Any, now_ms: int) -> None:
    """Refused unless `stamp` is a well-formed HLC at most MAX_AHEAD_MS ahead of the hub's clock: a
    stamp further ahead would drag every device's clock there (PROTOCOL.md, "Clock stamps")."""
    wall = stamp_wall(stamp)
    if wall is None:
        raise Refused(INVALID_HLC, MSG_INVALID_HLC)
    if wall > now_ms + MAX_AHEAD_MS:
        raise Refused(CLOCK_AHEAD, MSG_CLOCK_AHEAD)


def check_bases(op: dict[str, Any], record: RecordState | None, now_ms: int) -> None:
    """Every base version names a version the hub could have given out: the field's current version
    here, or a well-formed stamp within the clock bound. Anything else (`junk`, a stamp from the end
    of time) is refused, not taken for a concurrent edit — which would apply it and log a conflict
    against a version that never existed."""
    current = record.versions if record is not None else {}
    for name, base in op["base_versions"].items():
        if base is not None and base != current.get(name) and not stamp_ok(base, now_ms):
            raise Refused(INVALID_BASE, f"Version de base invalide pour le champ «{NBSP}{shown(name)}{NBSP}»{NBSP}: "
                          "ce n’est pas une version donnée par le hub.")


def check_complete(spec: KindSpec, record: RecordState | None, changes: dict[str, Any]) -> None:
    """The record as this op leaves it holds every required field (the domain's rule, so every device
    can still edit it): a create names them all, an update clears none. A field already missing (a
    record an older hub took incomplete) does not block other edits, so such a record stays fixable;
    a deleted record is not checked (nothing else is applied to it)."""
    before = record.fields if record is not None else {}
    after = {**before, **changes}
    if after.get(DELETED):
        return
    already = set(missing_required(spec, before)) if record is not None else set()
    missing = [name for name in missing_required(spec, after) if name not in already]
    if missing:
        names = ", ".join(f"«{NBSP}{spec.by_name[name].label}{NBSP}»" for name in missing)
        verb = "est obligatoire" if len(missing) == 1 else "sont obligatoires"
        raise Refused(INVALID_VALUE, f"Fiche incomplète{NBSP}: {names} {verb}.")


def validate(op: dict[str, Any]) -> tuple[KindSpec, dict[str, Any]]:
    """(kind spec, parsed changes) or Refused with a French message; values go through the domain,
    whose parsers refuse a value of the wrong type, control characters and oversized lists."""
    if op["action"] not in ACTIONS:
        raise Refused("invalid_action", f"Action inconnue{NBSP}: « {shown(op['action'])} ».")
    try:
        spec = kind_spec(op["kind"])
    except ValueError as exc:
        raise Refused("unknown_kind", str(exc)) from None
    if not is_record_id(op["record_id"]):
        raise Refused("invalid_id", "Identifiant de fiche invalide.")
    _check_shape(op)
    changes = op["changes"]
    if op["action"] == "erase":
        return spec, _erase_changes(spec, changes)
    if ERASED in changes:
        raise Refused(INVALID_VALUE, f"Seul un effacement pose la marque «{NBSP}{ERASED}{NBSP}».")
    if op["action"] == "delete":
        if set(changes) - {DELETED}:
            raise Refused(INVALID_VALUE, f"Une suppression ne change que le champ «{NBSP}deleted{NBSP}».")
        changes = {DELETED: True}
    parsed: dict[str, Any] = {}
    errors: list[str] = []
    for name, raw in changes.items():
        if name == DELETED:
            label = "Supprimée"
            parse = parse_bool
        else:
            try:
                field_spec = spec.spec(name)
            except KeyError as exc:
                raise Refused("unknown_field", exc.args[0]) from None
            label, parse = field_spec.label, field_spec.parse
        try:
            if raw is None and name == DELETED:
                raise InvalidValue("Répondez par oui ou non.")
            parsed[name] = None if raw is None else parse(raw)
        except InvalidValue as exc:
            errors.append(f"{label}{NBSP}: {exc}")
    if errors:
        raise Refused(INVALID_VALUE, " ".join(errors))
    return spec, parsed


def _erase_changes(spec: KindSpec, changes: dict[str, Any]) -> dict[str, Any]:
    """An erasure names one field, its marker, which must hold nothing but the marker's keys."""
    if spec.name not in PERSON_KINDS:
        raise Refused("invalid_action", "Seules les fiches de mentorés et de mentors peuvent être effacées.")
    mark = parse_marker(changes.get(ERASED)) if set(changes) == {ERASED} else None
    if mark is None or mark.get("linked"):
        raise Refused(INVALID_VALUE, "Marque d’effacement invalide.")
    return {ERASED: mark}


def check_size(record: RecordState | None, changes: dict[str, Any]) -> None:
    """The record as this op would leave it stays within the domain's bound (records.oversize)."""
    if set(changes) <= {DELETED}:
        return  # a delete never grows a record, even one already too big
    before = record.fields if record is not None else None
    if (too_big := oversize({**(before or {}), **changes}, before)) is not None:
        raise Refused("record_too_large", too_big[1])
