"""The database key: a random 256-bit key in the OS keyring, or one derived from a passphrase.

profile.json beside the database holds only what is needed to find or re-derive the key (source,
salt, KDF cost, a check value); no personal data.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import (
    KeyringUnreachable,
    KeyUnavailable,
    LockedKeyring,
    PassphraseRequired,
    StoreError,
    WeakPassphrase,
    WrongKey,
)
from .files import write_private
from .strength import ADVICE, estimate

T = TypeVar("T")

KEYRING_SERVICE = "tandem-desktop"
MIN_PASSPHRASE = 8
_CHECK_LABEL = b"tandem-desktop key check v1"
_WRAP_LABEL = b"tandem-desktop passphrase wrap v1 "

# The scrypt costs this release accepts, in profile.json and in TANDEM_KDF_LOG2N. Checked before
# scrypt runs, so a tampered file can neither make it allocate gigabytes nor spin for minutes.
KDF_LOG2N_MIN, KDF_LOG2N_MAX = 14, 20
KDF_R_MAX, KDF_P_MAX = 16, 4
KDF_MEMORY_MAX = 1 << 30  # scrypt needs 128 × N × r bytes: 1 GiB at most
_SALT_HEX = (32, 128)  # 16 to 64 bytes
_META_MAX_BYTES = 64 * 1024


class InvalidKeyMeta(ValueError):
    """profile.json holds a value no release writes; str(error) says which, in French."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hex(value: object, lengths: tuple[int, int]) -> bool:
    if not isinstance(value, str) or not lengths[0] <= len(value) <= lengths[1] or len(value) % 2:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def validate_kdf(log2_n: object, r: object, p: object, salt: object) -> None:
    """InvalidKeyMeta unless the scrypt parameters are ones this release could have written."""
    if not _is_int(log2_n) or not KDF_LOG2N_MIN <= log2_n <= KDF_LOG2N_MAX:  # type: ignore[operator]
        raise InvalidKeyMeta(f"kdf_log2_n doit être un entier de {KDF_LOG2N_MIN} à {KDF_LOG2N_MAX}")
    if not _is_int(r) or not 1 <= r <= KDF_R_MAX:  # type: ignore[operator]
        raise InvalidKeyMeta(f"kdf_r doit être un entier de 1 à {KDF_R_MAX}")
    if not _is_int(p) or not 1 <= p <= KDF_P_MAX:  # type: ignore[operator]
        raise InvalidKeyMeta(f"kdf_p doit être un entier de 1 à {KDF_P_MAX}")
    if 128 * (1 << log2_n) * r > KDF_MEMORY_MAX:  # type: ignore[operator]
        raise InvalidKeyMeta("kdf_log2_n et kdf_r demandent plus de 1 Gio de mémoire")
    if not _is_hex(salt, _SALT_HEX):
        raise InvalidKeyMeta("kdf_salt doit être une valeur hexadécimale de 16 à 64 octets")


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
    recovery: dict[str, Any] | None = None  # the key wrapped under the recovery code (store/recovery.py)
    # Set when a passphrase was chosen after a recovery: the passphrase-derived key unwraps the
    # database key (AES-GCM) instead of being it, so neither the database nor its backups change.
    key_wrap: dict[str, Any] | None = None

    def save(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self), indent=2).encode("utf-8"))

    @classmethod
    def load(cls, path: Path) -> KeyMeta:
        """Read and validate profile.json; InvalidKeyMeta (a ValueError) for any value out of range."""
        if not path.is_file():  # a folder, or a pipe that would block the read
            raise ValueError(f"{path} is not a regular file")
        with open(path, "rb") as handle:
            raw = handle.read(_META_MAX_BYTES + 1)
        if len(raw) > _META_MAX_BYTES:
            raise InvalidKeyMeta("fichier bien trop long")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise InvalidKeyMeta("un objet JSON est attendu")
        meta = cls(**data)
        meta.validate()
        return meta

    def validate(self) -> None:
        if not isinstance(self.profile_id, str) or not 0 < len(self.profile_id) <= 100:
            raise InvalidKeyMeta("profile_id manquant ou invalide")
        if self.key_source not in ("keyring", "passphrase"):
            raise InvalidKeyMeta("key_source doit valoir keyring ou passphrase")
        if not _is_hex(self.key_check, (64, 64)):
            raise InvalidKeyMeta("key_check doit être une empreinte hexadécimale de 32 octets")
        if not _is_int(self.format) or self.format < 1:
            raise InvalidKeyMeta("format doit être un entier positif")
        if self.key_source == "passphrase":
            validate_kdf(self.kdf_log2_n, self.kdf_r, self.kdf_p, self.kdf_salt)
        for name in ("recovery", "key_wrap"):  # their own values are checked where they are used
            if getattr(self, name) is not None and not isinstance(getattr(self, name), dict):
                raise InvalidKeyMeta(f"{name} doit être un objet JSON")


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
    # OpenSSL needs 128·r·(N + p + 2) bytes; the old bound (256·N·r) passed 2 GiB, its limit, at N=2²⁰.
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * (n + p + 2) + (16 << 20), dklen=32
    )


# How backends say « locked »: keyring's own error (SecretService after a dismissed unlock prompt,
# libsecret, KWallet, macOS), and what secretstorage raises past keyring (an item locked again
# between search and read, a dismissed prompt when creating an item). Matched by class name:
# secretstorage exists on Linux only.
_LOCKED_ERRORS = {"KeyringLocked", "LockedException", "PromptDismissedException"}


def keyring_locked(exc: BaseException) -> bool:
    return any(cls.__name__ in _LOCKED_ERRORS for cls in type(exc).__mro__)


def keyring_call(call: Callable[[], T], what: str = "la clé de chiffrement de ce profil") -> T:
    """Run one keyring call; a locked keyring raises LockedKeyring, any other failure (no backend,
    D-Bus gone, daemon error) KeyringUnreachable. A missing entry is not an error: get gives None."""
    try:
        return call()
    except Exception as exc:  # backends raise their own classes (D-Bus, GLib, secretstorage…)
        if keyring_locked(exc):
            raise LockedKeyring(what) from exc
        raise KeyringUnreachable(type(exc).__name__, what) from exc


def check_new_passphrase(passphrase: str, context: Iterable[str] = ()) -> None:
    """Refuse a passphrase too short or too easy to guess (checked when one is chosen, never at open)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(MIN_PASSPHRASE)
    strength = estimate(passphrase, context)
    if not strength.acceptable:
        raise WeakPassphrase(hint=f"{strength.warning} {ADVICE}")


def create_key(profile_id: str, passphrase: str | None, log2_n: int, use_keyring: bool,
               context: Iterable[str] = ()) -> tuple[bytes, KeyMeta]:
    """A new key for a new profile, stored in the keyring when there is a safe one.

    A keyring that is there but fails (locked, prompt dismissed, not answering) falls back to the
    passphrase; with no passphrase given, it raises LockedKeyring or KeyringUnreachable so the caller
    can offer both ways (unlock and retry, or choose a passphrase), not a bare « passphrase required »."""
    failed: LockedKeyring | KeyringUnreachable | None = None
    if use_keyring and usable_keyring() is not None:
        key = secrets.token_bytes(32)
        try:
            keyring_call(lambda: keyring.set_password(KEYRING_SERVICE, profile_id, key.hex()))
        except (LockedKeyring, KeyringUnreachable) as exc:
            failed = exc
        else:
            return key, KeyMeta(profile_id, "keyring", key_check(key))
    if passphrase is None:
        raise failed or PassphraseRequired()
    check_new_passphrase(passphrase, context)
    salt = secrets.token_bytes(16)
    key = derive_key(passphrase, salt, log2_n)
    return key, KeyMeta(profile_id, "passphrase", key_check(key), salt.hex(), log2_n)


def keyring_key(meta: KeyMeta) -> bytes:
    """The key kept in the keyring: LockedKeyring, KeyringUnreachable or KeyUnavailable (really gone)."""
    stored = keyring_call(lambda: keyring.get_password(KEYRING_SERVICE, meta.profile_id))
    if not stored:
        raise KeyUnavailable()
    try:
        return bytes.fromhex(stored)
    except ValueError as exc:  # an entry overwritten by something else
        raise WrongKey("keyring") from exc


def put_key_in_keyring(profile_id: str, key: bytes) -> None:
    """Store (again) a profile's key in the keyring; LockedKeyring / KeyringUnreachable on failure."""
    if usable_keyring() is None:
        raise KeyringUnreachable("aucun trousseau sûr sur ce poste")
    keyring_call(lambda: keyring.set_password(KEYRING_SERVICE, profile_id, key.hex()))


def seal_key(wrapping: bytes, key: bytes, profile_id: str, label: bytes) -> dict[str, str]:
    """`key` encrypted with AES-256-GCM under `wrapping`, bound to this profile (associated data)."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(wrapping).encrypt(nonce, key, label + profile_id.encode("utf-8"))
    return {"nonce": nonce.hex(), "wrapped_key": sealed.hex()}


def open_key(wrapping: bytes, block: dict[str, Any], profile_id: str, label: bytes) -> bytes | None:
    """The key sealed by seal_key; None if `wrapping` is not the right one. ValueError if unreadable."""
    nonce, sealed = bytes.fromhex(str(block["nonce"])), bytes.fromhex(str(block["wrapped_key"]))
    if len(nonce) != 12:
        raise ValueError("bad nonce")
    try:
        return AESGCM(wrapping).decrypt(nonce, sealed, label + profile_id.encode("utf-8"))
    except InvalidTag:
        return None


def new_passphrase_meta(meta: KeyMeta, key: bytes, passphrase: str, log2_n: int,
                        context: Iterable[str] = ()) -> KeyMeta:
    """The profile's key source changed to a new passphrase that unwraps the same database key."""
    check_new_passphrase(passphrase, context)
    salt = secrets.token_bytes(16)
    wrap = seal_key(derive_key(passphrase, salt, log2_n), key, meta.profile_id, _WRAP_LABEL)
    return replace(meta, key_source="passphrase", kdf_salt=salt.hex(), kdf_log2_n=log2_n, kdf_r=8, kdf_p=1,
                   key_wrap=wrap)


def load_key(meta: KeyMeta, passphrase: str | None) -> bytes:
    """The key of an existing profile; WrongKey if the passphrase (or keyring entry) does not match."""
    if meta.key_source == "keyring":
        key = keyring_key(meta)
    else:
        if passphrase is None:
            raise PassphraseRequired()
        assert meta.kdf_salt is not None and meta.kdf_log2_n is not None
        key = derive_key(passphrase, bytes.fromhex(meta.kdf_salt), meta.kdf_log2_n, meta.kdf_r, meta.kdf_p)
        if meta.key_wrap:
            try:
                key = open_key(key, meta.key_wrap, meta.profile_id, _WRAP_LABEL) or b""
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError("La partie «\u00a0key_wrap\u00a0» de profile.json est illisible. "
                                 "Le fichier n’a pas été modifié.") from exc
    if not hmac.compare_digest(key_check(key), meta.key_check):
        raise WrongKey(meta.key_source)
    return key


def verify_passphrase(meta: KeyMeta, passphrase: str) -> bool:
    """True if `passphrase` still gives this profile's key: the window's lock screen checks it against
    profile.json's check value, without opening the database again. Slow on purpose (scrypt)."""
    if meta.key_source != "passphrase" or not passphrase:
        return False
    try:
        load_key(meta, passphrase)
    except WrongKey:
        return False
    return True


def verify_keyring_key(meta: KeyMeta) -> bool:
    """True if the keyring still holds this profile's key (the lock screen's « Déverrouiller »); False if
    the entry is gone or another key. LockedKeyring / KeyringUnreachable when the keyring cannot say."""
    if meta.key_source != "keyring":
        return False
    try:
        key = keyring_key(meta)
    except (KeyUnavailable, WrongKey):
        return False
    return hmac.compare_digest(key_check(key), meta.key_check)


def forget_key(meta: KeyMeta) -> None:
    if meta.key_source == "keyring":
        with contextlib.suppress(Exception):  # best effort: a locked or absent keyring keeps nothing of ours
            keyring.delete_password(KEYRING_SERVICE, meta.profile_id)
