"""Bulk work on many small records."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk writes, loads and first syncs of 25,000 records and more allocate hundreds of thousands
    of small dicts and tuples, none of them cyclic: the cycle collector would rescan the growing heap
    again and again (a third of the time). Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
