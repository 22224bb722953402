"""The database key: a random 256-bit key in the OS keyring, or one derived from a passphrase.

profile.json beside the database holds only what is needed to find or re-derive the key (source,
salt, KDF cost, a check value); no personal data.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import keyring
import keyring.errors

from .errors import KeyUnavailable, PassphraseRequired, WeakPassphrase, WrongKey

KEYRING_SERVICE = "tandem-desktop"
MIN_PASSPHRASE = 8
_CHECK_LABEL = b"tandem-desktop key check v1"


@dataclass(frozen=True)
class KeyMeta:
    profile_id: str
    key_source: str  # "keyring" or "passphrase"
    key_check: str
    kdf_salt: str | None = None
    kdf_log2_n: int | None = None
    kdf_r: int = 8
    kdf_p: int = 1
    format: int = 1

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> KeyMeta:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**data)


def key_check(key: bytes) -> str:
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).hexdigest()


def usable_keyring() -> keyring.backend.KeyringBackend | None:
    """The system keyring if it really protects secrets; None for the fail backend or plain files."""
    backend = keyring.get_keyring()
    candidates = getattr(backend, "backends", None) or [backend]
    for candidate in candidates:
        module = type(candidate).__module__
        if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
            continue
        if getattr(candidate, "priority", 0) <= 0:
            continue
        return backend
    return None


def derive_key(passphrase: str, salt: bytes, log2_n: int, r: int = 8, p: int = 1) -> bytes:
    """scrypt: memory-hard, so guessing passphrases on stolen files is slow and costly."""
    n = 1 << log2_n
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (16 << 20), dklen=32
    )


def create_key(profile_id: str, passphrase: str | None, log2_n: int, use_keyring: bool) -> tuple[bytes, KeyMeta]:
    """A new key for a new profile, stored in the keyring when there is a safe one."""
    if use_keyring and usable_keyring() is not None:
        key = secrets.token_bytes(32)
        try:
            keyring.set_password(KEYRING_SERVICE, profile_id, key.hex())
        except keyring.errors.KeyringError:
            pass
        else:
            return key, KeyMeta(profile_id, "keyring", key_check(key))
    if passphrase is None:
        raise PassphraseRequired()
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(MIN_PASSPHRASE)
    salt = secrets.token_bytes(16)
    key = derive_key(passphrase, salt, log2_n)
    return key, KeyMeta(profile_id, "passphrase", key_check(key), salt.hex(), log2_n)


def load_key(meta: KeyMeta, passphrase: str | None) -> bytes:
    """The key of an existing profile; WrongKey if the passphrase (or keyring entry) does not match."""
    if meta.key_source == "keyring":
        try:
            stored = keyring.get_password(KEYRING_SERVICE, meta.profile_id)
        except keyring.errors.KeyringError:
            stored = None
        if not stored:
            raise KeyUnavailable()
        key = bytes.fromhex(stored)
    else:
        if passphrase is None:
            raise PassphraseRequired()
        assert meta.kdf_salt is not None and meta.kdf_log2_n is not None
        key = derive_key(passphrase, bytes.fromhex(meta.kdf_salt), meta.kdf_log2_n, meta.kdf_r, meta.kdf_p)
    if not hmac.compare_digest(key_check(key), meta.key_check):
        raise WrongKey(meta.key_source)
    return key


def forget_key(meta: KeyMeta) -> None:
    if meta.key_source == "keyring":
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(KEYRING_SERVICE, meta.profile_id)
