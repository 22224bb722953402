"""Compact clock stamps (protocol 5, PROTOCOL.md "Compact stamps"): one rule for the hub and devices.

A full stamp `WWWWWWWWWWWWW-CCCCC-DEVICE` repeats a device id of up to 100 characters in every field
of every record. A compact stamp `W.C.N` says the same with a small number N standing for the device
id, through a table of numbers -> device ids that travels once with the message (or sits in the
hub's `device_numbers` table). Wall time and counter are plain decimals without leading zeros, so
two compact stamps of one table are equal exactly when their full stamps are.

Versions of one record are grouped by stamp, `{stamp: [field, …]}`: a record created in one write
has one stamp for all its fields, written once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .hlc import STAMP_RE

COMPACT_RE = re.compile(r"(0|[1-9][0-9]{0,12})\.(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,8})")
NUMBER_RE = re.compile(r"0|[1-9][0-9]{0,8}")  # a device number as a JSON object key
DEVICE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")  # what a full stamp's device part may be


def is_compact(text: object) -> bool:
    return isinstance(text, str) and COMPACT_RE.fullmatch(text) is not None


def split_full(stamp: str) -> tuple[int, int, str] | None:
    """(wall, counter, device) of a well-formed full stamp, else None."""
    match = STAMP_RE.fullmatch(stamp)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3)


def compact_of(stamp: str, number_of: Callable[[str], int | None]) -> str:
    """`stamp` in compact form when it is a well-formed full stamp whose device has a number; any
    other text is returned as it is (a full stamp stays valid wherever a compact one is)."""
    parts = split_full(stamp)
    if parts is None:
        return stamp
    number = number_of(parts[2])
    if number is None:
        return stamp
    return f"{parts[0]}.{parts[1]}.{number}"


def expand(text: Any, names: Mapping[int, str]) -> Any:
    """The full stamp for a compact one whose number the table names; anything else unchanged, so
    an unknown number or a malformed stamp stays what it is and the usual checks refuse it."""
    if not isinstance(text, str):
        return text
    match = COMPACT_RE.fullmatch(text)
    if match is None:
        return text
    device = names.get(int(match.group(3)))
    if device is None:
        return text
    return f"{int(match.group(1)):013d}-{int(match.group(2)):05d}-{device}"


def numbers_in(stamps: Iterable[str]) -> set[int]:
    """The device numbers the compact stamps among `stamps` name."""
    found = set()
    for stamp in stamps:
        match = COMPACT_RE.fullmatch(stamp) if isinstance(stamp, str) else None
        if match is not None:
            found.add(int(match.group(3)))
    return found


def group(versions: Mapping[str, str], convert: Callable[[str], str] = str) -> dict[str, list[str]]:
    """field -> version as {version: [fields…]} (each version once), `convert` applied to versions."""
    grouped: dict[str, list[str]] = {}
    for name, version in versions.items():
        grouped.setdefault(convert(version), []).append(name)
    return grouped


def ungroup(grouped: Any, convert: Callable[[str], Any] = str) -> dict[str, Any] | None:
    """{version: [fields…]} back to field -> version, or None when it is not that shape."""
    if not isinstance(grouped, dict):
        return None
    versions: dict[str, Any] = {}
    for version, names in grouped.items():
        if not isinstance(names, list) or (names and set(map(type, names)) != {str}):
            return None
        versions.update(dict.fromkeys(names, convert(version)))
    return versions
