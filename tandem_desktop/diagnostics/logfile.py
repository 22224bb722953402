"""The field log: `logs/` in the profile folder, for a technician to read after something went wrong.

`logs/tandem.log` rotates (1 MiB, three old files kept); `logs/plantage.log` receives faulthandler's
dump if the process crashes hard (a segfault in Qt or SQLCipher), and is kept open for that. Files are
0600 and the folder 0700 from creation (store/files.py's rules); the folder is only made inside a
profile (a folder holding profile.json), never for it nor in a folder that is not one. What goes in:
see scrub.py.

`field_log()` is used once by each program (the `tandem` command, the desktop app) around its work:
it attaches the handler to the root logger, turns faulthandler on and installs `sys.excepthook` and
`threading.excepthook`, and puts everything back as it was on exit (so in-process tests stay apart).
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..settings import Settings
from ..store.files import FILE_MODE, ensure_private_dir
from .scrub import ScrubFilter, formatter

LOGS_DIR = "logs"
LOG_NAME = "tandem.log"
CRASH_NAME = "plantage.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3
QUIET = ("alembic", "httpx", "httpcore", "urllib3", "PIL", "fontTools", "pyhanko", "pyhanko_certvalidator")

log = logging.getLogger(__name__)
OnError = Callable[[BaseException, str], None]


def logs_dir(data_dir: Path) -> Path:
    return data_dir / LOGS_DIR


def _open_private_append(path: Path, encoding: str | None = "utf-8") -> IO[Any]:
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), FILE_MODE)
    if hasattr(os, "fchmod"):  # a file left by an older release keeps its old mode otherwise
        os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "a", encoding=encoding) if encoding else os.fdopen(fd, "ab", buffering=0)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler whose files are 0600 whatever the umask (it opens with open(2)'s mode, not
    umask-dependent open()); rotated files keep that mode (a rename keeps it). Writes nothing while
    the profile does not exist (a command run before `tandem init`, or on a folder that is not one)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__(logs_dir(settings.data_dir) / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                         encoding="utf-8", delay=True)
        self.addFilter(ScrubFilter())
        self.setFormatter(formatter())

    def _open(self) -> IO[Any]:  # type: ignore[override]
        return _open_private_append(Path(self.baseFilename), self.encoding)

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None and not self.settings.profile_path.is_file():
            return
        super().emit(record)


class FieldLog:
    """What `field_log()` installed, to tell where the log is and to put everything back."""

    def __init__(self, settings: Settings, program: str, on_error: OnError | None):
        self.settings = settings
        self.program = program
        self.on_error = on_error
        self.handler = PrivateRotatingFileHandler(settings)
        self._crash_file: IO[Any] | None = None
        self._saved: list[Callable[[], None]] = []

    @property
    def path(self) -> Path:
        return Path(self.handler.baseFilename)

    @property
    def folder(self) -> Path:
        return logs_dir(self.settings.data_dir)

    def start_crash_log(self) -> bool:
        """faulthandler into logs/plantage.log, once the profile exists (call again after creating it)."""
        if self._crash_file is not None:
            return True
        if not self.settings.profile_path.is_file():
            return False
        try:
            self._crash_file = _open_private_append(self.folder / CRASH_NAME, None)
        except OSError as exc:
            log.warning("crash log not opened: %s", exc)
            return False
        was = faulthandler.is_enabled()
        faulthandler.enable(self._crash_file)
        self._saved.append(lambda: faulthandler.enable(sys.__stderr__) if was and sys.__stderr__ else
                           faulthandler.disable())
        return True

    def unexpected(self, error: BaseException, context: str) -> None:
        """An error nobody handled: logged (scrubbed), then shown by whoever asked (the GUI's dialog)."""
        log.critical("unexpected %s in %s (%s)", type(error).__name__, self.program, context, exc_info=error)
        if self.on_error is not None:
            try:
                self.on_error(error, context)
            except Exception as exc:  # the reporter itself failed: the log has the first error
                log.critical("error reporter failed: %s", exc, exc_info=exc)

    def _excepthook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        self.unexpected(error.with_traceback(tb) if tb is not None else error, "exception non rattrapée")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or isinstance(args.exc_value, SystemExit):
            return
        self.unexpected(args.exc_value, "fil d’exécution")

    def install(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        level = root.level
        if level == logging.NOTSET or level > logging.INFO:
            root.setLevel(logging.INFO)
        quiet = {name: logging.getLogger(name).level for name in QUIET}
        for name in quiet:
            logging.getLogger(name).setLevel(logging.WARNING)
        for name, logger in list(logging.root.manager.loggerDict.items()):
            # A library's dictConfig (disable_existing_loggers) must not silence ours.
            if isinstance(logger, logging.Logger) and name.split(".")[0] in ("tandem_desktop", "qt"):
                logger.disabled = False
        hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook, threading.excepthook = self._excepthook, self._thread_hook

        def restore() -> None:
            root.removeHandler(self.handler)
            self.handler.close()
            root.setLevel(level)
            for name, old in quiet.items():
                logging.getLogger(name).setLevel(old)
            sys.excepthook, threading.excepthook = hooks

        self._saved.append(restore)
        self.start_crash_log()

    def close(self) -> None:
        while self._saved:
            self._saved.pop()()
        if self._crash_file is not None:
            self._crash_file.close()
            self._crash_file = None


@contextlib.contextmanager
def field_log(settings: Settings, program: str, on_error: OnError | None = None) -> Iterator[FieldLog]:
    """The log, crash file and hooks of one program run (see the module docstring)."""
    installed = FieldLog(settings, program, on_error)
    installed.install()
    log.info("%s started", program)
    try:
        yield installed
    finally:
        log.info("%s stopped", program)
        installed.close()
