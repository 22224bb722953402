"""An in-memory keyring backend: stands in for the OS keyring (Secret Service, Keychain, Credential
Locker), the one outside system the tests and benchmarks fake.

It behaves as the real ones were seen to: it can be locked (every call then raises what the
backend raises — keyring's KeyringLocked, as SecretService does after a dismissed unlock prompt, or
another class such as secretstorage's LockedException), unlocked again, emptied (the items deleted,
as with « Mots de passe et clés »), or made to fail like a keyring whose daemon is gone. Tests use it
through the real `keyring` API (keyring.set_keyring, then keyring.get_password…).
"""

from __future__ import annotations

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.locked_error: type[Exception] | None = None  # raised by every call while locked
        self.broken_error: type[Exception] | None = None  # raised by every call while broken
        self.calls = 0

    # -- what a test does to it ---------------------------------------------------------------

    def lock(self, error: type[Exception] = keyring.errors.KeyringLocked) -> None:
        """Locked, and the unlock prompt is dismissed (or cannot show): every call raises `error`."""
        self.locked_error = error

    def unlock(self) -> None:
        self.locked_error = None

    def clear(self) -> None:
        """Every item deleted (the keyring itself still answers)."""
        self.secrets.clear()

    def break_down(self, error: type[Exception] = keyring.errors.InitError) -> None:
        """The keyring stops answering (D-Bus gone, daemon crashed)."""
        self.broken_error = error

    def repair(self) -> None:
        self.broken_error = None

    @property
    def locked(self) -> bool:
        return self.locked_error is not None

    def _check(self) -> None:
        self.calls += 1
        if self.broken_error is not None:
            raise self.broken_error("The keyring daemon does not answer")
        if self.locked_error is not None:
            raise self.locked_error("Failed to unlock the collection!")

    # -- the keyring API ----------------------------------------------------------------------

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        self.secrets.pop((service, username), None)
