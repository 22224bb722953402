"""Hybrid logical clock stamps for the change log.

A stamp orders events across devices even when a laptop's clock is wrong: it never goes backwards,
and it moves past any stamp received from elsewhere — but never further than MAX_AHEAD_MS beyond
the physical time, so one hostile or broken peer cannot drag every clock to the end of time
(PROTOCOL.md, "Clock stamps"). Stamps are strings that sort correctly.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_COUNTER = 99_999  # five digits in the string form, so stamps sort as text
MAX_AHEAD_MS = 48 * 3_600_000  # a stamp further ahead of the (hub's) time than this is refused
STAMP_RE = re.compile(r"(\d{13})-(\d{5})-([A-Za-z0-9][A-Za-z0-9._:-]{0,99})")


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


def stamp_wall(text: object) -> int | None:
    """The wall time of a well-formed stamp (13-digit wall, 5-digit counter, plain device id), else None."""
    if not isinstance(text, str):
        return None
    match = STAMP_RE.fullmatch(text)
    return int(match.group(1)) if match else None


def stamp_ok(text: object, now_ms: int) -> bool:
    """Well formed and not more than MAX_AHEAD_MS ahead of `now_ms`."""
    wall = stamp_wall(text)
    return wall is not None and wall <= now_ms + MAX_AHEAD_MS


class HybridClock:
    """One per device. `now()` for local events, `observe()` for stamps that arrive from the hub.

    `offset_ms` is added to the computer's clock: the sync sets it from the hub's time, so a laptop
    whose clock is years off still stamps near the hub's time (and inside the hub's bound).
    """

    def __init__(self, device: str, wall_ms: Callable[[], int] | None = None, last: Stamp | None = None,
                 offset_ms: int = 0):
        self.device = device
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        self.offset_ms = offset_ms
        self._wall = self._counter = 0
        if last is not None and last.wall_ms <= self.physical() + MAX_AHEAD_MS:
            self._wall, self._counter = last.wall_ms, min(last.counter, MAX_COUNTER)
        # else: a saved clock beyond the bound was poisoned by a hostile stamp: start again from now

    def computer_ms(self) -> int:
        """The computer's own clock, uncorrected (to measure the offset against the hub's)."""
        return self._wall_ms()

    def physical(self) -> int:
        """The computer's time corrected by the hub offset, in ms."""
        return self._wall_ms() + self.offset_ms

    def set_offset(self, offset_ms: int) -> None:
        with self._lock:
            self.offset_ms = offset_ms
            self._heal(self.physical())

    def _heal(self, physical: int) -> None:
        """A logical time beyond the bound (poisoned, or the offset just corrected a clock that ran
        years ahead) is dropped: the clock restarts from the physical time."""
        if self._wall > physical + MAX_AHEAD_MS:
            self._wall, self._counter = physical, 0

    def now(self) -> Stamp:
        with self._lock:
            physical = self.physical()
            self._heal(physical)
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
            physical = self.physical()
            self._heal(physical)
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
        """Move past `remote` — unless it lies beyond the bound: then it is ignored (never adopted)."""
        with self._lock:
            physical = self.physical()
            self._heal(physical)
            if remote.wall_ms > physical + MAX_AHEAD_MS or not 0 <= remote.counter <= MAX_COUNTER:
                return Stamp(self._wall, self._counter, self.device)
            wall = max(self._wall, remote.wall_ms, physical)
            if wall == self._wall == remote.wall_ms:
                counter = max(self._counter, remote.counter) + 1
            elif wall == self._wall:
                counter = self._counter + 1
            elif wall == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            if counter > MAX_COUNTER:
                wall, counter = wall + 1, 0
            self._wall, self._counter = wall, counter
            return Stamp(wall, counter, self.device)

    def within_bound(self, text: object) -> bool:
        """A well-formed stamp this clock would accept (see `stamp_ok`)."""
        return stamp_ok(text, self.physical())

    @property
    def last(self) -> Stamp:
        return Stamp(self._wall, self._counter, self.device)
