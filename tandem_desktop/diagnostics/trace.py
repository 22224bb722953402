"""What an unexpected failure was, told without personal data: for the log and for « Copier le rapport ».

An exception is described by its type and the code locations it went through (file, line,
function), along its chain of causes. Never its message, the values of its frames' locals or the
source lines: our French messages quote what was typed (« Marseile » n’est pas une commune…), and
a library's message may hold a name, an e-mail or a passphrase. The one exception: an OSError's
errno name (ENOSPC), which is a fact about the machine, never about a person.
"""

from __future__ import annotations

import errno
import platform
import traceback
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from .. import __version__


def type_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def short_path(filename: str) -> str:
    """The path from the package or library down (no home folder, hence no user name)."""
    parts = Path(filename).parts
    for anchor in ("tandem_desktop", "site-packages", "tests"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
    return Path(filename).name


def _what(error: BaseException) -> str:
    code = errno.errorcode.get(error.errno or 0) if isinstance(error, OSError) else None
    return f"{type_name(error)} ({code})" if code else type_name(error)


def trace_lines(error: BaseException) -> list[str]:
    """The exception's type, then each location (outermost first), then each cause likewise."""
    lines = [_what(error)]
    seen = {id(error)}
    chain: BaseException | None = error
    while chain is not None:
        for frame in traceback.extract_tb(chain.__traceback__):  # names and numbers, no locals
            lines.append(f"  {short_path(frame.filename)}:{frame.lineno} dans {frame.name}")
        chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
        if chain is None or id(chain) in seen:
            break
        seen.add(id(chain))
        lines.append(f"provoquée par {_what(chain)}")
    return lines


def system_lines(extra: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Release, operating system and runtime versions (platform.platform() holds no host name)."""
    rows = [("Version", f"Tandem Desktop {__version__}"), ("Système", platform.platform()),
            ("Python", platform.python_version()), *extra]
    return [f"{label}\u00a0: {value}" for label, value in rows]


def report(error: BaseException, context: str, extra: Iterable[tuple[str, str]] = ()) -> str:
    """The text « Copier le rapport » puts on the clipboard: safe to paste in an e-mail to support."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    lines = ["Rapport d’erreur de Tandem Desktop (sans données personnelles)", f"Date\u00a0: {stamp}",
             *system_lines(extra), f"Contexte\u00a0: {context}", "Erreur\u00a0:", *trace_lines(error)]
    return "\n".join(lines) + "\n"
