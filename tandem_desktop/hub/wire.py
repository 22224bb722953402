"""Protocol 5 push bodies: stamps compact (`W.C.K`), K naming a device id of the body's own table.

`{"devices": {"0": "device-id", …}, "ops": [{…, "hlc": "1767225600000.0.0", "base_versions": {…}}]}`:
the hub turns every compact stamp back into its full form before any check, so the checks and the
merge are those of every protocol. A table that is not {number: device id} (a key that is not a
plain number, an id no full stamp could carry, too many entries) is a 400 for the request; a stamp
naming a number the table does not have stays as it came, and is refused for its op like any
malformed stamp (`invalid_hlc`, or `invalid_base` for a base version).
"""

from __future__ import annotations

from typing import Any

from ..domain.compact import DEVICE_RE, NUMBER_RE, expand
from ..texts.french import NBSP
from .errors import bad_request

MAX_DEVICES = 1000
MSG_TABLE = (f"Requête mal formée{NBSP}: «{NBSP}devices{NBSP}» doit associer des numéros (0, 1, 2…) à des "
             f"identifiants d’appareil, {MAX_DEVICES} au plus.")


def device_table(raw: Any) -> dict[int, str]:
    """number -> device id of a protocol 5 message, checked (400 otherwise)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_DEVICES:
        raise bad_request(MSG_TABLE)
    table: dict[int, str] = {}
    for key, name in raw.items():
        if not NUMBER_RE.fullmatch(key) or not isinstance(name, str) or not DEVICE_RE.fullmatch(name):
            raise bad_request(MSG_TABLE)
        table[int(key)] = name
    return table


def expand_push(data: dict[str, Any]) -> dict[str, Any]:
    """The body with every stamp the table names in full form (ops that are not objects are left
    for the request's own checks)."""
    names = device_table(data.get("devices"))
    for op in data["ops"]:
        if not isinstance(op, dict):
            continue
        if "hlc" in op:
            op["hlc"] = expand(op["hlc"], names)
        bases = op.get("base_versions")
        if isinstance(bases, dict):
            op["base_versions"] = {name: expand(base, names) for name, base in bases.items()}
    return data
