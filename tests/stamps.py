"""An independent oracle for clock stamps in tests (not the code under test): well formed, and not
further ahead of now than the protocol's bound (PROTOCOL.md, "Clock stamps": 48 h)."""

from __future__ import annotations

import re
import time

BOUND_MS = 48 * 3_600_000
_STAMP = re.compile(r"(\d{13})-(\d{5})-[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sane(stamp: object) -> bool:
    match = _STAMP.fullmatch(stamp) if isinstance(stamp, str) else None
    return match is not None and int(match.group(1)) <= now_ms() + BOUND_MS
