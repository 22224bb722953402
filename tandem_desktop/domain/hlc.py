"""Hybrid logical clock stamps for the change log.

A stamp orders events across devices even when a laptop's clock is wrong: it never goes backwards,
and it moves past any stamp received from elsewhere. Stamps are strings that sort correctly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


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
            else:
                self._counter += 1
            return Stamp(self._wall, self._counter, self.device)

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
