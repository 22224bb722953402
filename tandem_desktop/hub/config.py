"""How a hub is run: its secret key, the enrollment rate limit, the read timeouts, the proxy.

`tandem-hub serve` builds a HubOptions from its flags and environment; tests build one directly.
`open_authority` is the start-up step that needs the secret key: it refuses to start a hub that
cannot open its CA key, rather than serve one that issues nothing (or, worse, a new CA).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ..texts.french import NBSP
from .ca import CertificateAuthority, open_ca, stored_key_state
from .db import hub_id
from .secret_key import HOW_TO_MAKE, SecretKeyError, read_secret_key_file, trial_key_path, write_new_key_file


def tell_stderr(message: str) -> None:
    print(message, file=sys.stderr)


@dataclass(frozen=True)
class HubOptions:
    """Everything about a running hub that is not in its database."""

    secret_key: bytes | None = None  # None: a SQLite trial keeps one beside its file; PostgreSQL refuses
    enroll_attempts: int = 10  # enrollment attempts per client address...
    enroll_window_s: float = 600.0  # ...within this many seconds (a successful enrollment is not counted)
    header_timeout_s: float = 10.0  # the headers of a request must arrive within this time
    body_timeout_s: float = 30.0  # a request body must arrive within this time...
    body_min_rate: int = 16 * 1024  # ...plus one second per this many bytes received (slow links)...
    body_max_s: float = 300.0  # ...and never more than this
    trust_proxy: bool = False  # the client address is the last X-Forwarded-For entry (behind a proxy)
    charter_quota_mb: int = 10_240  # charter files a structure may keep at the hub (announced, sent or not)
    tell: Callable[[str], None] = tell_stderr  # where start-up notices go


@dataclass(frozen=True)
class TLSFiles:
    """A certificate chain and its private key (PEM files) for serving HTTPS."""

    cert_file: Path
    key_file: Path


def open_authority(engine: Engine, db_url: str, options: HubOptions) -> CertificateAuthority:
    """The CA, opened with the given secret key, or with a trial key beside the SQLite file."""
    secret = options.secret_key if options.secret_key is not None else _trial_secret(engine, db_url, options)
    return open_ca(engine, hub_id(engine), secret)


def _trial_secret(engine: Engine, db_url: str, options: HubOptions) -> bytes:
    path = trial_key_path(db_url)
    if path is None:
        raise SecretKeyError(f"Un hub sur PostgreSQL a besoin d’une clé secrète, gardée hors de la base, pour "
                             f"chiffrer la clé de son autorité{NBSP}: {HOW_TO_MAKE}.")
    if path.exists():
        return read_secret_key_file(path)
    if stored_key_state(engine) == "sealed":
        raise SecretKeyError(f"La clé de l’autorité de ce hub est chiffrée, mais sa clé secrète est introuvable "
                             f"({path} n’existe pas et aucune clé n’est donnée){NBSP}: le hub ne démarre pas. "
                             "Rendez-lui le fichier de clé, ou donnez-la par --secret-key-file FICHIER.")
    secret = write_new_key_file(path)
    options.tell(f"Clé secrète du hub créée{NBSP}: {path} (lisible par vous seul). Elle chiffre la clé de "
                 "l’autorité du hub\u00a0: gardez-la, mais pas avec les sauvegardes de la base.")
    return secret
