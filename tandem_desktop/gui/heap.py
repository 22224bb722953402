"""When Python's cycle collector runs in the window's process: on the GUI thread, in small steps.

Why: the automatic collector runs on whichever thread happens to allocate, and holds the interpreter
lock while it walks its generation. With a 25,000-mentee profile open (modules, classes, Qt wrappers,
matching data, list rows: about half a million objects) a full pass takes 60–200 ms, and the window
freezes for as long whatever thread started it: bench_gui counted 27 of them in one first sync. A
young pass can be as long when a worker has just built 300,000 objects with the collector paused
(`store.bulk.gc_paused`): they are all young at once. So, in the window only:
- what start-up built (modules, classes, the window's widgets) is moved out of the collector's sight
  with `gc.freeze()`: it lives as long as the process anyway;
- automatic collection is off; the GUI thread collects the youngest generation every YOUNG_EVERY_MS,
  so each pass only meets what the workers allocated in that time (a few milliseconds of work), and
  never on a worker, where a collected cycle could destroy a Qt object off its thread (Anki
  collects on the main thread for that reason);
- while a lane has work, that pass waits (up to YOUNG_WHILE_BUSY young objects alive): what a
  worker allocates then is mostly alive, pages of a first sync waiting to be stored, and a pass
  scanned them all for nothing (passes of 40–64 ms, 1.7 s in all, in a first sync of 100,000
  mentees); what dies meanwhile is freed by reference counting and never scanned;
- the older generations, where most survivors end, are collected in one pass when no lane has work,
  at most every FULL_EVERY_MS. Reference counting frees everything that is not a cycle meanwhile.
The same goes for the interpreter lock: every cell the list paints is a call into Python that must
take it (and so is each virtual call Qt makes on the model, `hasIndex`, `multiData`…, if only to
find no Python override), and while a first sync decodes and stores pages, two workers hold it in
turns of up to the switch interval (5 ms by default): a repaint waited for it hundreds of times.
Longest stall while typing during a first sync of 100,000 mentees, runs of the same hour: 5 ms
turns 127 / 366 / 392 ms; 1 ms 57 / 75 / 154 / 157 / 192 / 311; 0.1 ms 55 / 56 / 63 / 74 / 79 / 83,
the sync no slower (13.6–13.8 s against 13.8–15.0 s). The window asks for these short turns; with no worker busy
nobody asks the holder to let go, so they cost nothing then. A table's repaint takes the lock once,
not once per cell: it is entered from Python (widgets.RowTable.paintEvent).
The command line and the hub keep Python's defaults: nobody watches them redraw.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

from .tasks import TaskRunner

YOUNG_EVERY_MS = 100
SWITCH_INTERVAL_S = 0.0001  # a worker gives the interpreter lock up after this long when asked
YOUNG_WHILE_BUSY = 1_000_000  # young objects alive past which a pass runs even while a lane works
FULL_EVERY_MS = 120_000
RETRY_MS = 5_000  # a lane was busy: look again soon


def keep_out_of_sight() -> None:
    """A large result the window now keeps (an import's checked rows: about a million dicts, lists
    and strings) leaves the collector's sight, as start-up's objects did: the next young pass would
    scan it whole (136 ms for 25,000 rows). Reference counting still frees it when it is dropped (it
    holds no cycle). Call on the GUI thread, where the collector runs."""
    gc.freeze()


class HeapKeeper(QObject):
    """Owns the collector's schedule and the switch interval while the window is open; `stop()`
    gives Python's back."""

    def __init__(self, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.full_passes = 0
        self._was_enabled = gc.isenabled()
        self._switch_interval = sys.getswitchinterval()
        self._young = QTimer(self)
        self._young.setInterval(YOUNG_EVERY_MS)
        self._young.timeout.connect(self._young_pass)
        self._full = QTimer(self)
        self._full.setSingleShot(True)
        self._full.timeout.connect(self._full_pass_if_idle)

    def start(self) -> None:
        """Call once the window is up: what exists now is frozen, collections become ours."""
        gc.collect()  # start-up's own cycles go now, before the survivors are frozen
        gc.freeze()
        gc.disable()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._young.start()
        self._full.start(FULL_EVERY_MS)

    def stop(self) -> None:
        self._young.stop()
        self._full.stop()
        gc.unfreeze()
        sys.setswitchinterval(self._switch_interval)
        if self._was_enabled:
            gc.enable()

    def _young_pass(self) -> None:
        if self.runner.busy and gc.get_count()[0] < YOUNG_WHILE_BUSY:
            return
        gc.collect(0)

    def _full_pass_if_idle(self) -> None:
        if self.runner.busy:
            self._full.start(RETRY_MS)
            return
        gc.collect()
        self.full_passes += 1
        self._full.start(FULL_EVERY_MS)
