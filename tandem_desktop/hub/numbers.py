"""The hub's device numbers: a short number for every device id found in a stored stamp or writer.

Stamps carry the id of the device that made them (`WWWWWWWWWWWWW-CCCCC-DEVICE`, up to 100
characters); the hub stores them as `W.C.N` (domain/compact.py) and serves them so, with a table of
the numbers a page names. A number is given the first time the hub stores that id, inside the push
that brings it (under the write lock, so two pushes never give one number twice), and never changes.
Committed numbers are cached per process: a number read once is read for good.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ..domain.compact import expand, group, split_full, ungroup
from .db import device_numbers, dumps, loads

CHUNK = 500


class DeviceNumbers:
    """number <-> device id of one hub database."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._lock = threading.Lock()

    def names(self, conn: Connection, numbers: Iterable[int]) -> dict[int, str]:
        """number -> device id for the committed numbers among `numbers` (unknown ones are left out)."""
        wanted = set(numbers)
        with self._lock:
            missing = sorted(n for n in wanted if n not in self._names)
        found: dict[int, str] = {}
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start:start + CHUNK]
            found.update((number, name) for number, name in conn.execute(
                select(device_numbers.c.number, device_numbers.c.name).where(device_numbers.c.number.in_(chunk))))
        with self._lock:
            self._names.update(found)
            return {n: self._names[n] for n in wanted if n in self._names}

    @staticmethod
    def assign(conn: Connection, names: Iterable[str]) -> dict[str, int]:
        """device id -> number for `names`, giving new numbers to ids never stored before. Runs in a
        write transaction (the hub lock is held), so max + 1 is nobody else's; what it inserts is
        not cached, since the transaction may still roll back."""
        wanted = sorted(set(names))
        result: dict[str, int] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            result.update((name, number) for number, name in conn.execute(
                select(device_numbers.c.number, device_numbers.c.name).where(device_numbers.c.name.in_(chunk))))
        fresh = [name for name in wanted if name not in result]
        if fresh:
            first = conn.execute(select(func.coalesce(func.max(device_numbers.c.number), 0))).scalar_one() + 1
            rows = [{"number": first + i, "name": name} for i, name in enumerate(fresh)]
            conn.execute(device_numbers.insert(), rows)
            result.update((row["name"], row["number"]) for row in rows)
        return result


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, DeviceNumbers] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def numbers_of(conn: Connection) -> DeviceNumbers:
    """The cache of the database `conn` is on (one per engine: each database numbers on its own)."""
    with _REGISTRY_LOCK:
        found = _BY_ENGINE.get(conn.engine)
        if found is None:
            found = _BY_ENGINE[conn.engine] = DeviceNumbers()
        return found


# -- stored forms of a record's versions and writers ------------------------------------------------


def stored_numbers(versions_text: str, writers_text: str) -> tuple[Any, Any, set[int]]:
    """The parsed `versions` and `writers` columns and the device numbers they name."""
    versions, writers = loads(versions_text), loads(writers_text)
    numbers = {int(key.rsplit(".", 1)[1]) for key in versions if _is_compact_key(key)}
    numbers |= {int(key) for key in writers if key.isdigit()}
    return versions, writers, numbers


def _is_compact_key(key: str) -> bool:
    return "-" not in key and key.count(".") == 2


def full_versions(grouped: Any, names: Mapping[int, str]) -> dict[str, str]:
    """field -> full stamp from the stored `versions` column."""
    return ungroup(grouped, lambda stamp: expand(stamp, names)) or {}


def full_writers(grouped: Any, names: Mapping[int, str]) -> dict[str, str]:
    """field -> device id from the stored `writers` column."""
    return ungroup(grouped, lambda key: names.get(int(key), key) if key.isdigit() else key) or {}


def versions_devices(versions: Mapping[str, str]) -> set[str]:
    """The device ids the full stamps of `versions` name."""
    found = set()
    for stamp in set(versions.values()):  # most records have one or two stamps
        parts = split_full(stamp)
        if parts is not None:
            found.add(parts[2])
    return found


def compact_versions(versions: Mapping[str, str], numbers: Mapping[str, int]) -> str:
    """The stored `versions` column for field -> full stamp."""
    def convert(stamp: str) -> str:
        parts = split_full(stamp)
        if parts is None or parts[2] not in numbers:
            return stamp
        return f"{parts[0]}.{parts[1]}.{numbers[parts[2]]}"
    return dumps({convert(stamp): names for stamp, names in group(versions).items()})  # each stamp once


def compact_writers(writers: Mapping[str, str], numbers: Mapping[str, int]) -> str:
    """The stored `writers` column for field -> device id."""
    return dumps(group(writers, lambda name: str(numbers[name]) if name in numbers else name))
