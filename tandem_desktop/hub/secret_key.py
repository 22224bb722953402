"""The hub's secret key: what encrypts its CA private key at rest, kept outside the hub database.

It comes from `--secret-key-file FILE`, `TANDEM_HUB_SECRET_KEY_FILE` or `TANDEM_HUB_SECRET_KEY`
(hex or base64 of at least 32 random bytes; `tandem-hub secret-key --out FILE` makes one). A
one-machine trial on SQLite with none of them keeps a key file beside its database, made on first
start (mode 0600). PostgreSQL hubs must be given one: a database or a backup alone issues nothing.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from ..texts.french import NBSP
from .errors import AdminError

ENV_KEY_FILE = "TANDEM_HUB_SECRET_KEY_FILE"
ENV_KEY = "TANDEM_HUB_SECRET_KEY"
KEY_BYTES = 32
TRIAL_SUFFIX = ".key"
HOW_TO_MAKE = ("créez-en une avec «\u00a0tandem-hub secret-key --out FICHIER\u00a0» (ou «\u00a0openssl rand -hex 32"
               "\u00a0») et donnez-la par --secret-key-file FICHIER, $TANDEM_HUB_SECRET_KEY_FILE ou "
               "$TANDEM_HUB_SECRET_KEY")


class SecretKeyError(AdminError):
    """The hub cannot get or use its secret key; the message is French and says what to do."""


_URL_SAFE = str.maketrans("-_", "+/")


def parse_secret_key(text: str | bytes, where: str) -> bytes:
    """The key bytes from hex or base64 text (whitespace ignored); at least 32 bytes."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise SecretKeyError(f"Clé secrète du hub illisible ({where}){NBSP}: du texte hexadécimal ou base64 "
                                 f"est attendu{NBSP}; {HOW_TO_MAKE}.") from None
    compact = "".join(text.split())
    key: bytes | None = None
    if compact and all(ch in "0123456789abcdefABCDEF" for ch in compact) and len(compact) % 2 == 0:
        key = bytes.fromhex(compact)
    else:
        # validate=True: without it b64decode drops what is not of its alphabet (the « - » and « _ »
        # of URL-safe base64) and gives a shorter key instead of an error.
        padded = compact + "=" * (-len(compact) % 4)
        for candidate in (padded, padded.translate(_URL_SAFE)):
            try:
                key = base64.b64decode(candidate, validate=True)
                break
            except (binascii.Error, ValueError):
                continue
    if key is None or len(key) < KEY_BYTES:
        raise SecretKeyError(f"Clé secrète du hub invalide ({where}){NBSP}: {KEY_BYTES} octets aléatoires au moins, "
                             f"en hexadécimal ou en base64, sont attendus{NBSP}; {HOW_TO_MAKE}.")
    return key


def read_secret_key_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SecretKeyError(f"Fichier de clé secrète du hub introuvable{NBSP}: {path}.") from None
    except OSError as exc:
        raise SecretKeyError(f"Fichier de clé secrète du hub illisible{NBSP}: {path} ({exc.strerror}).") from None
    return parse_secret_key(data, str(path))


def configured_secret_key(key_file: str | Path | None, environ: Mapping[str, str]) -> bytes | None:
    """The key the administrator gave (option, then environment), or None if none was given."""
    if key_file:
        return read_secret_key_file(Path(key_file).expanduser())
    if environ.get(ENV_KEY_FILE):
        return read_secret_key_file(Path(environ[ENV_KEY_FILE]).expanduser())
    if environ.get(ENV_KEY):
        return parse_secret_key(environ[ENV_KEY], f"${ENV_KEY}")
    return None


def trial_key_path(db_url: str) -> Path | None:
    """Where a SQLite trial hub keeps its key (beside the database file); None for PostgreSQL."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    database = Path(url.database).expanduser()
    return database.with_name(database.name + TRIAL_SUFFIX)


def new_secret_key_text() -> str:
    return secrets.token_hex(KEY_BYTES)


def write_new_key_file(path: Path) -> bytes:
    """Create `path` with a fresh key, readable by its owner only; never overwrites a file."""
    text = new_secret_key_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SecretKeyError(f"Le fichier {path} existe déjà{NBSP}: il n’a pas été remplacé.") from None
    except OSError as exc:
        raise SecretKeyError(f"Impossible de créer le fichier de clé {path} ({exc.strerror}).") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
    return bytes.fromhex(text)
