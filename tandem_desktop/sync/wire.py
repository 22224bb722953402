"""Protocol 5 on the device side: compact stamps on the wire, full stamps in the local database.

The device keeps storing full stamps (`WWWWWWWWWWWWW-CCCCC-DEVICE`): every local rule (the clock, the
versions rule of store/rows.py, the summary lines) stays as it was. Stamps are translated here, at
the boundary: a pushed batch names its devices once in a table and sends `W.C.K`; a pulled page's
record entries come with versions grouped by compact stamp and the table of the page, and leave
here as protocol 4 entries (field -> full stamp), which store/remote.py applies as before.
"""

from __future__ import annotations

from typing import Any

from ..domain import compression
from ..domain.compact import DEVICE_RE, NUMBER_RE, expand, is_compact, split_full, ungroup
from ..domain.compression import ENCODINGS
from .errors import HubError


def accept_encoding() -> str:
    return ", ".join(ENCODINGS)


def decompress(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """An answer's body decoded, at most `limit` bytes (HubError beyond, or for an encoding this
    device did not ask for)."""
    try:
        return compression.decompress(raw, encoding, limit)
    except compression.UnknownEncoding as exc:
        raise HubError(f"réponse du hub illisible (encodage «\u00a0{exc}\u00a0»)") from None
    except compression.Corrupt:
        raise HubError("réponse du hub illisible (compression)") from None
    except compression.TooLarge:
        raise HubError("réponse du hub trop volumineuse") from None


def compact_push(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The push body for `ops` (outbox rows with full stamps): {"devices": {…}, "ops": […]}."""
    numbers: dict[str, int] = {}

    def compact(stamp: Any) -> Any:
        parts = split_full(stamp) if isinstance(stamp, str) else None
        if parts is None:
            return stamp  # not a stamp this release makes: sent as it is, the hub judges it
        number = numbers.setdefault(parts[2], len(numbers))
        return f"{parts[0]}.{parts[1]}.{number}"

    sent = []
    for op in ops:
        bases = op.get("base_versions") or {}
        sent.append({**op, "hlc": compact(op.get("hlc")),
                     "base_versions": {name: compact(base) for name, base in bases.items()}})
    return {"devices": {str(number): name for name, number in numbers.items()}, "ops": sent}


def page_devices(page: dict[str, Any]) -> dict[int, str]:
    """number -> device id of a pulled page; a table that is not that is a broken page."""
    raw = page.get("devices") or {}
    if not isinstance(raw, dict):
        raise HubError("page de changements illisible (table des appareils)")
    table = {}
    for key, name in raw.items():
        if not (isinstance(key, str) and NUMBER_RE.fullmatch(key) and isinstance(name, str)
                and DEVICE_RE.fullmatch(name)):
            raise HubError("page de changements illisible (table des appareils)")
        table[int(key)] = name
    return table


def full_entries(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's entries as protocol 4 has them: record versions field -> full stamp. A record entry
    whose versions are not {stamp: [field…]} is dropped, like any entry this release cannot read; a
    compact stamp naming a number the page's table lacks makes the page unreadable (HubError): it is
    not stored, so no local version is ever a stamp the device cannot read back."""
    names = page_devices(page)
    expanded: dict[str, str] = {}  # a page's records share few stamps (one per write of many records)

    def full(stamp: str) -> str:
        found = expanded.get(stamp)
        if found is not None:
            return found
        if is_compact(stamp):
            found = expand(stamp, names)
            if found == stamp:
                raise HubError("page de changements illisible (numéro d’appareil inconnu)")
        else:
            found = stamp
        expanded[stamp] = found
        return found

    entries = []
    for entry in page["entries"]:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "record":
            versions = ungroup(entry.get("versions"), full)
            if versions is None:
                continue
            entry["versions"] = versions
        entries.append(entry)
    return entries
