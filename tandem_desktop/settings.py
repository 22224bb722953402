"""One typed settings object, built at start-up and passed down (no module-level state)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "TandemDesktop"
ENV_DATA_DIR = "TANDEM_DATA_DIR"
ENV_PASSPHRASE = "TANDEM_PASSPHRASE"
ENV_KDF_LOG2N = "TANDEM_KDF_LOG2N"
ENV_NO_KEYRING = "TANDEM_NO_KEYRING"
ENV_RECOVERY_CODE = "TANDEM_RECOVERY_CODE"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    passphrase: str | None = field(default=None, repr=False)
    # scrypt cost for new profiles: 2**17 × 128 × 8 bytes = 128 MiB of memory per attempt.
    kdf_log2_n: int = 17
    use_keyring: bool = True
    recovery_code: str | None = field(default=None, repr=False)  # opens the profile when its key is gone

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
    passphrase = env.get(ENV_PASSPHRASE) or None
    if passphrase_file:
        passphrase = Path(passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    kdf = int(env.get(ENV_KDF_LOG2N, "17"))
    recovery_code = env.get(ENV_RECOVERY_CODE) or None
    if recovery_code_file:
        with open(recovery_code_file, encoding="utf-8", errors="replace") as source:  # a bad byte: refused later
            recovery_code = source.read(4096).strip()
    return Settings(
        data_dir=Path(chosen).expanduser().resolve(),
        passphrase=passphrase,
        kdf_log2_n=max(14, min(kdf, 20)),
        use_keyring=env.get(ENV_NO_KEYRING, "") not in ("1", "true", "yes"),
        recovery_code=recovery_code,
    )
