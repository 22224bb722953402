"""The recovery code: the way back into a profile (and its backups) when its key is gone.

At creation the app makes a random code of 25 characters (125 bits) from Crockford's base-32
alphabet (no I, L, O, U: nothing to confuse when read back from paper), shown once in five groups.
A wrapping key is derived from it with scrypt (the profile's passphrase cost) and the database key,
wrapped with AES-256-GCM, goes into profile.json under `recovery`. Backups share the database key,
so the same code opens every backup of the profile. The code itself is never stored.

125 random bits cannot be guessed, scrypt or not; scrypt is there for a code seen in part (a photo
of the sheet, a few characters read over a shoulder). The profile id is the AES-GCM associated data,
so a block copied from another profile.json does not open this one.
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import RecoveryCodeInvalid, StoreError, WrongRecoveryCode
from .keys import derive_key, open_key, seal_key

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
GROUPS, GROUP_LEN = 5, 5
CODE_LENGTH = GROUPS * GROUP_LEN
_READ_AS = {"O": "0", "I": "1", "L": "1"}  # what a reader may type for a look-alike
_LABEL = b"tandem-desktop recovery v1 "
_FORMAT = 1


def new_code() -> str:
    """« 7K3QM-XR9TP-… »: 25 random characters in five groups of five."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i:i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))


def normalize(text: str) -> str:
    """The 25 characters of a typed code: case, spaces and dashes ignored, look-alikes read right."""
    cleaned = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in "-_.")
    cleaned = "".join(_READ_AS.get(ch, ch) for ch in cleaned)
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        raise RecoveryCodeInvalid(CODE_LENGTH, GROUP_LEN)
    return cleaned


def wrap(key: bytes, code: str, profile_id: str, log2_n: int) -> dict[str, Any]:
    """The `recovery` block of profile.json: `key` encrypted under a key derived from `code`."""
    salt = secrets.token_bytes(16)
    sealed = seal_key(derive_key(normalize(code), salt, log2_n), key, profile_id, _LABEL)
    return {"format": _FORMAT, "kdf": "scrypt", "salt": salt.hex(), "log2_n": log2_n, "r": 8, "p": 1, **sealed}


def _unreadable() -> StoreError:
    return StoreError("La partie «\u00a0recovery\u00a0» de profile.json est illisible\u00a0: le code de secours ne "
                      "peut pas servir. Le fichier n’a pas été modifié.")


def unwrap(block: dict[str, Any], code: str, profile_id: str) -> bytes:
    """The database key, from the `recovery` block and the code; WrongRecoveryCode if it is not this one."""
    raw = normalize(code)
    try:
        if block.get("format") != _FORMAT or block.get("kdf") != "scrypt":
            raise ValueError("unknown recovery format")
        salt = bytes.fromhex(block["salt"])
        log2_n, r, p = int(block["log2_n"]), int(block["r"]), int(block["p"])
        if not (10 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 4 and len(salt) >= 16):
            raise ValueError("recovery KDF values out of range")
        key = open_key(derive_key(raw, salt, log2_n, r, p), block, profile_id, _LABEL)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _unreadable() from exc
    if key is None:
        raise WrongRecoveryCode()
    return key
