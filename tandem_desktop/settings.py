"""One typed settings object, built at start-up and passed down (no module-level state)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_dir

from .domain.errors import DomainError
from .texts.french import NBSP

APP_NAME = "TandemDesktop"
ENV_DATA_DIR = "TANDEM_DATA_DIR"
ENV_PASSPHRASE = "TANDEM_PASSPHRASE"
ENV_KDF_LOG2N = "TANDEM_KDF_LOG2N"
ENV_NO_KEYRING = "TANDEM_NO_KEYRING"
ENV_RECOVERY_CODE = "TANDEM_RECOVERY_CODE"
ENV_LOCK_MINUTES = "TANDEM_LOCK_MINUTES"
LOCK_MINUTES_MAX = 24 * 60  # more is « never » in practice: 0 says it plainly
# = store.keys.KDF_LOG2N_MIN/MAX (a test checks); not imported, so settings stays below store
KDF_LOG2N_RANGE = (14, 20)
_PASSPHRASE_FILE_MAX = 4096


class SettingsError(DomainError):
    """A setting given on the command line or in the environment cannot be used; str() says why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    passphrase: str | None = field(default=None, repr=False)
    # scrypt cost for new profiles: 2**17 × 128 × 8 bytes = 128 MiB of memory per attempt.
    kdf_log2_n: int = 17
    use_keyring: bool = True
    recovery_code: str | None = field(default=None, repr=False)  # opens the profile when its key is gone
    lock_after_minutes: int = 10  # the window locks after this long without input; 0: never

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tandem.db"

    @property
    def profile_path(self) -> Path:
        return self.data_dir / "profile.json"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "tandem.lock"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    def with_passphrase(self, passphrase: str | None) -> Settings:
        return replace(self, passphrase=passphrase)

    def with_recovery_code(self, code: str | None) -> Settings:
        return replace(self, recovery_code=code)


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def load_settings(
    data_dir: str | os.PathLike[str] | None = None,
    passphrase_file: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    recovery_code_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Command-line values win over environment variables, which win over platform defaults."""
    env = os.environ if environ is None else environ
    chosen = data_dir or env.get(ENV_DATA_DIR) or default_data_dir()
    _require_text(str(chosen), f"Le dossier du profil ({ENV_DATA_DIR} ou --data-dir)")
    passphrase = env.get(ENV_PASSPHRASE) or None
    if passphrase is not None:
        _require_text(passphrase, f"La variable {ENV_PASSPHRASE}")
    if passphrase_file:
        passphrase = read_passphrase_file(Path(passphrase_file))
    recovery_code = env.get(ENV_RECOVERY_CODE) or None
    if recovery_code is not None:
        _require_text(recovery_code, f"La variable {ENV_RECOVERY_CODE}")
    if recovery_code_file:
        recovery_code = read_passphrase_file(Path(recovery_code_file), "Le fichier du code de secours").strip()
    return Settings(
        data_dir=Path(chosen).expanduser().resolve(),
        passphrase=passphrase,
        kdf_log2_n=parse_kdf_log2_n(env.get(ENV_KDF_LOG2N)),
        use_keyring=env.get(ENV_NO_KEYRING, "") not in ("1", "true", "yes"),
        recovery_code=recovery_code,
        lock_after_minutes=parse_lock_minutes(env.get(ENV_LOCK_MINUTES)),
    )


def _require_text(value: str, what: str) -> None:
    """Bytes that are not UTF-8 arrive as lone surrogates: refuse them here, not deep in SQLite."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SettingsError(f"{what} contient des octets qui ne sont pas du texte UTF-8{NBSP}; "
                            "corrigez-le, puis réessayez.") from None


def parse_kdf_log2_n(text: str | None) -> int:
    """TANDEM_KDF_LOG2N (scrypt cost of new profiles, as log2 N): an integer in KDF_LOG2N_RANGE."""
    if text is None or not text.strip():
        return Settings.kdf_log2_n
    low, high = KDF_LOG2N_RANGE
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:40]
        raise SettingsError(f"{ENV_KDF_LOG2N} doit être un nombre entier de {low} à {high} "
                            f"(coût de la dérivation de la phrase de passe), pas «{NBSP}{shown}{NBSP}».")
    return int(value)


def parse_lock_minutes(text: str | None) -> int:
    """TANDEM_LOCK_MINUTES (idle minutes before the window locks): an integer, 0 for never."""
    if text is None or not text.strip():
        return Settings.lock_after_minutes
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) > LOCK_MINUTES_MAX:
        shown = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")[:40]
        raise SettingsError(f"{ENV_LOCK_MINUTES} doit être un nombre entier de minutes de 0 à {LOCK_MINUTES_MAX} "
                            f"(0{NBSP}: jamais de verrouillage automatique), pas «{NBSP}{shown}{NBSP}».")
    return int(value)


def read_passphrase_file(path: Path, what: str = "Le fichier de phrase de passe") -> str:
    """The file's text without its final line break; OSError if unreadable, SettingsError if not a secret
    (a passphrase or a recovery code: `what` names the file in the messages)."""
    with open(path, "rb") as handle:  # bounded: --passphrase-file /dev/zero must not fill the memory
        raw = handle.read(_PASSPHRASE_FILE_MAX + 1)
    if len(raw) > _PASSPHRASE_FILE_MAX:
        raise SettingsError(f"{what} {path} est trop long ({_PASSPHRASE_FILE_MAX} octets au plus).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{what} {path} n’est pas un texte UTF-8{NBSP}: "
                            "il doit contenir le secret sur une ligne.") from None
    passphrase = text.rstrip("\r\n")  # as before: a profile made from this file must still open
    if not passphrase:
        raise SettingsError(f"{what} {path} est vide.")
    if "\x00" in passphrase:
        raise SettingsError(f"{what} {path} contient des octets nuls{NBSP}: "
                            "ce n’est pas un fichier texte.")
    return passphrase
