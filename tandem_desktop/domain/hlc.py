"""Hybrid logical clock stamps for the change log.

A stamp orders events across devices even when a laptop's clock is wrong: it never goes backwards,
and it moves past any stamp received from elsewhere. Stamps are strings that sort correctly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_COUNTER = 99_999  # five digits in the string form, so stamps sort as text


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:05d}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)


class HybridClock:
    """One per device. `now()` for local events, `observe()` for stamps that arrive from the hub."""

    def __init__(self, device: str, wall_ms: Callable[[], int] | None = None, last: Stamp | None = None):
        self.device = device
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    def now(self) -> Stamp:
        with self._lock:
            physical = self._wall_ms()
            if physical > self._wall:
                self._wall, self._counter = physical, 0
            elif self._counter < MAX_COUNTER:
                self._counter += 1
            else:  # keep the fixed-width counter: borrow the next millisecond
                self._wall, self._counter = self._wall + 1, 0
            return Stamp(self._wall, self._counter, self.device)

    def now_many(self, count: int) -> list[str]:
        """`count` increasing stamps (as strings) for one bulk write, taken under one lock."""
        with self._lock:
            physical = self._wall_ms()
            if physical > self._wall:
                self._wall, self._counter = physical, -1
            stamps = []
            for _ in range(count):
                self._counter += 1
                if self._counter > MAX_COUNTER:  # keep the fixed-width counter: borrow the next millisecond
                    self._wall, self._counter = self._wall + 1, 0
                stamps.append(f"{self._wall:013d}-{self._counter:05d}-{self.device}")
            return stamps

    def observe(self, remote: Stamp) -> Stamp:
        with self._lock:
            physical = self._wall_ms()
            wall = max(self._wall, remote.wall_ms, physical)
            if wall == self._wall == remote.wall_ms:
                counter = max(self._counter, remote.counter) + 1
            elif wall == self._wall:
                counter = self._counter + 1
            elif wall == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            self._wall, self._counter = wall, counter
            return Stamp(wall, counter, self.device)

    @property
    def last(self) -> Stamp:
        return Stamp(self._wall, self._counter, self.device)
