"""Helpers every `tandem` command module shares: exit codes, opening the profile, asking a passphrase.

Here, below the command modules, so none of them imports another to reach these.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from getpass import getpass
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from ..store.errors import KeyringUnreachable, LockedKeyring, PassphraseRequired, StoreError, WeakPassphrase
from ..texts.french import NBSP

if TYPE_CHECKING:  # the store (SQLAlchemy, keyring, cryptography) is imported when a profile is opened
    from ..store.profile import Profile

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def with_prompted_passphrase(settings: Settings, action: Callable[[Settings], Any]) -> Any:
    """Run `action`; if the profile needs a passphrase nobody gave, ask for it once at the terminal."""
    try:
        return action(settings)
    except PassphraseRequired:
        if settings.passphrase is not None or not interactive():
            raise
        return action(settings.with_passphrase(getpass(f"Phrase de passe du profil{NBSP}: ")))


@contextmanager
def opened(settings: Settings) -> Iterator[Profile]:
    from ..store.profile import open_profile

    profile = with_prompted_passphrase(settings, open_profile)
    try:
        yield profile
    finally:
        profile.close()


def ask_new_passphrase(settings: Settings) -> str:
    """A new passphrase typed twice at the terminal; a weak one is refused with the hint, asked again."""
    from ..store.keys import check_new_passphrase

    for _ in range(3):
        first = getpass(f"Nouvelle phrase de passe (plusieurs mots, 8 caractères au moins){NBSP}: ")
        try:
            check_new_passphrase(first, (settings.data_dir.name,))
        except WeakPassphrase as exc:
            print(exc, file=sys.stderr)
            continue
        if getpass(f"Confirmez la phrase de passe{NBSP}: ") != first:
            raise StoreError(f"Les deux saisies diffèrent{NBSP}; le profil n’a pas été modifié.")
        return first
    raise StoreError(f"Aucune phrase de passe assez solide{NBSP}; le profil n’a pas été modifié.")


def create_profile(settings: Settings) -> Profile:
    from ..store.keys import usable_keyring
    from ..store.profile import init_profile

    if settings.passphrase is None and not (settings.use_keyring and usable_keyring()) and interactive():
        settings = settings.with_passphrase(ask_new_passphrase(settings))
    try:
        return init_profile(settings)
    except (LockedKeyring, KeyringUnreachable) as exc:  # a keyring that fails: unlock and retry, or a passphrase
        if not interactive():
            raise StoreError(f"{exc} Ou, pour protéger ce profil par une phrase de passe, définissez "
                             "TANDEM_PASSPHRASE ou passez --passphrase-file.") from exc
        print(f"{exc}\nOu choisissez une phrase de passe pour ce profil (Ctrl+C pour arrêter).", file=sys.stderr)
        return init_profile(settings.with_passphrase(ask_new_passphrase(settings)))


def print_recovery_code(profile: Profile) -> None:
    if profile.recovery_code:
        from ..services.keys import code_text

        print(code_text(profile.recovery_code))
