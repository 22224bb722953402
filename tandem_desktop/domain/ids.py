"""Time-ordered record ids (UUIDv7, RFC 9562) made on the device.

Ids sort by creation time, so they index well and never collide across offline devices.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import time
from collections.abc import Callable

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


class Uuid7Factory:
    """Makes UUIDv7 strings, monotonic within one process even when many fall in one millisecond."""

    def __init__(self, now_ms: Callable[[], int] | None = None) -> None:
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._last_ms = -1
        self._seq = 0
        self._pool: list[int] = []

    def _random64(self) -> int:
        """64 random bits from a pooled os.urandom read (one system call per 512 ids, not two per id)."""
        if not self._pool:
            self._pool = list(struct.unpack(">512Q", os.urandom(4096)))
        return self._pool.pop()

    def new(self) -> str:
        with self._lock:
            ms = self._now_ms()
            if ms <= self._last_ms:
                # Same (or earlier: clock stepped back) millisecond: keep order with a 12-bit counter.
                self._seq += 1
                if self._seq > 0xFFF:
                    self._last_ms += 1
                    self._seq = 0
                ms = self._last_ms
            else:
                self._last_ms = ms
                self._seq = self._random64() & 0x3FF
            seq = self._seq
            rand = self._random64()
        return _format(ms, seq, rand)

    def new_many(self, count: int) -> list[str]:
        """`count` ids in increasing order, under one lock and one random read (bulk writes make tens of
        thousands): those new() would make were the clock to stand still meanwhile; past 4,096 in one
        millisecond, they borrow the next one, as new() does. Written a piece at a time, not as a
        128-bit number: the same text, a few times faster."""
        ids = []
        with self._lock:
            tails = os.urandom(8 * count).hex()  # 64 random bits each: 2 in the variant digit, 60 after
            ms = self._now_ms()
            if ms > self._last_ms:  # a new millisecond: the counter starts at random, as in new()
                self._last_ms, self._seq = ms, (self._random64() & 0x3FF) - 1
            prefix, prefix_ms = "", -1
            for start in range(0, 16 * count, 16):
                self._seq += 1
                if self._seq > 0xFFF:
                    self._last_ms += 1
                    self._seq = 0
                if self._last_ms != prefix_ms:
                    prefix_ms = self._last_ms
                    wall = f"{prefix_ms & 0xFFFF_FFFF_FFFF:012x}"
                    prefix = f"{wall[:8]}-{wall[8:]}-"
                ids.append(f"{prefix}{_SEQ[self._seq]}{_VARIANT[tails[start]]}{tails[start + 1:start + 4]}-"
                           f"{tails[start + 4:start + 16]}")
        return ids


_SEQ = [f"7{seq:03x}-" for seq in range(0x1000)]  # version 7, then the 12-bit counter
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 9562: 10xx


def _format(ms: int, seq: int, rand: int) -> str:
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | seq << 64 | (0b10 << 62) | (rand >> 2)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_default = Uuid7Factory()


def new_id() -> str:
    """A fresh UUIDv7 string."""
    return _default.new()


def is_record_id(value: str) -> bool:
    return bool(_UUID_RE.match(value or ""))
