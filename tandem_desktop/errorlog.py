"""The profile's error log: what an unexpected failure was, for a technician, with no personal data.

An entry holds the time, the release, the command's name (never its arguments), the exception's
type and the code locations it went through (file, line, function). Never the exception's message,
local values or source lines: those may hold a name, an e-mail or a passphrase. The file is 0600,
inside the profile folder (never created for it), and kept under 256 KiB.
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path

from . import __version__

LOG_NAME = "journal-erreurs.log"
_MAX_BYTES = 256 * 1024


def describe(error: BaseException, command: str) -> str:
    """One log entry, personal-data free."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [f"{stamp} tandem {__version__} commande={command or '?'} "
             f"erreur={type(error).__module__}.{type(error).__qualname__}"]
    chain: BaseException | None = error
    while chain is not None:
        for frame in traceback.extract_tb(chain.__traceback__):
            lines.append(f"  {_short(frame.filename)}:{frame.lineno} dans {frame.name}")
        chain = chain.__cause__ or chain.__context__
        if chain is not None:
            lines.append(f"  provoquée par {type(chain).__module__}.{type(chain).__qualname__}")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    """The path from the package or library down (no home folder, hence no user name)."""
    parts = Path(filename).parts
    for anchor in ("tandem_desktop", "site-packages"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor):])
    return Path(filename).name


def record(folder: Path, error: BaseException, command: str) -> Path | None:
    """Append an entry to the log in `folder` if that folder exists; the log's path, or None."""
    if not folder.is_dir():
        return None
    path = folder / LOG_NAME
    try:
        if path.exists() and path.stat().st_size > _MAX_BYTES:
            path.write_bytes(path.read_bytes()[-_MAX_BYTES // 2:])
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(describe(error, command))
    except OSError:
        return None
    return path
