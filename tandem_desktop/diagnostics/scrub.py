"""The safety net under every log line: whatever a caller passed, no personal value reaches the file.

The rule for callers is to log ids, kinds, counts and exception types, never a record's values. This
formatter holds even when a caller forgets: an exception given as an argument is written as its type
(its message may quote a name), a traceback as code locations only (see trace.py: no message, no
locals), and what is left is searched for e-mail addresses, phone numbers and the home folder (whose
name is often the person's), which are replaced by placeholders.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .trace import trace_lines, type_name

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers (06 12 34 56 78, +33 6 12…, 0033…) and other international ones (+44 20 7946 0958).
PHONE = re.compile(r"(?<![\w.+-])(?:(?:\+|00)33[\s.-]?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\w)"
                   r"|(?<![\w+])\+\d{1,3}(?:[\s.-]?\d){6,13}(?!\w)")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def _home() -> str:
    try:
        return str(Path.home())
    except RuntimeError:  # no home folder known
        return ""


def scrub_text(text: str, home: str | None = None) -> str:
    """E-mails, phone numbers and the home folder's path replaced by placeholders."""
    home = _home() if home is None else home
    if len(home) > 1:
        text = text.replace(home, "~")
    text = EMAIL.sub("<e-mail>", text)
    return PHONE.sub("<téléphone>", text)


def _safe_arg(value: object) -> object:
    if isinstance(value, BaseException):
        return f"<{type_name(value)}>"
    return value


class ScrubFilter(logging.Filter):
    """Rewrites a record in place before any handler formats it: message merged and scrubbed,
    exception arguments shown as their types, the traceback as code locations only."""

    def __init__(self) -> None:
        super().__init__()
        self._home = _home()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_scrubbed", False):
            return True
        msg = record.msg if isinstance(record.msg, str) else str(_safe_arg(record.msg))
        args = record.args
        if isinstance(args, tuple):
            args = tuple(_safe_arg(a) for a in args)
        elif isinstance(args, dict):
            args = {k: _safe_arg(v) for k, v in args.items()}
        try:
            text = msg % args if args else msg
        except (TypeError, ValueError, KeyError):
            text = f"{msg} (arguments illisibles)"
        record.msg, record.args = scrub_text(text, self._home), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = "\n".join(scrub_text(line, self._home) for line in trace_lines(record.exc_info[1]))
        elif record.exc_info:
            record.exc_text = None
        record.exc_info = None
        record.stack_info = None  # a stack holds source lines
        record._scrubbed = True
        return True


def formatter() -> logging.Formatter:
    return logging.Formatter(FORMAT)
