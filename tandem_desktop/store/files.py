"""Private files: everything the app writes about people is readable by its owner only.

Files are created 0600 and folders 0700 from the first byte, whatever the user's umask, by passing
the mode to open(2) rather than by chmod afterwards (no window where another account could open
the file) and rather than by changing the process umask (process-wide, not thread-safe, and it
would also tighten files the user chose to share, such as Qt's own settings). On Windows the modes
are ignored: the profile lives in the user's own AppData, which other accounts cannot read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_CHUNK = 1 << 20


def ensure_private_dir(path: Path, *, parents: bool = False) -> Path:
    """Create `path` 0700 if missing, and tighten it to 0700 if it exists (it is ours)."""
    path.mkdir(mode=DIR_MODE, parents=parents, exist_ok=True)
    make_private(path)
    return path


def make_private(path: Path) -> None:
    """Tighten an existing file to 0600 (a folder to 0700); a missing path is left alone."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def create_private(path: Path) -> Path:
    """Create an empty 0600 file; FileExistsError if something is already there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    os.close(os.open(path, flags, FILE_MODE))
    return path


def _open_private(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, FILE_MODE)
    if hasattr(os, "fchmod"):  # an existing file keeps its old mode otherwise
        os.fchmod(fd, FILE_MODE)
    return fd


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically (temporary file, fsync, rename), 0600 from the start."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # two writers never share one
    try:
        fd = _open_private(tmp)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def copy_private(src: Path, dest: Path) -> Path:
    """Copy `src` to `dest` (replaced if present) as a 0600 file, flushed to disk."""
    fd = _open_private(dest)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as source:
        shutil.copyfileobj(source, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())
    return dest


_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EROFS: "disque en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.EISDIR: "c’est un dossier",
    errno.ENOTDIR: "un élément du chemin n’est pas un dossier",
    errno.EEXIST: "le fichier existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EINVAL: "nom ou opération invalide",
    errno.EXDEV: "déplacement impossible entre deux disques",
    errno.EPIPE: "sortie fermée",
}


def os_reason(error: OSError) -> str:
    """Why a file operation failed, in French when the reason is a common one."""
    return _REASONS.get(error.errno or 0) or error.strerror or str(error)
