"""`tandem recover`, `tandem recovery-code`, `tandem reset --keep-aside`: when a profile's key is lost.

Registered by cli.py; the work is done in services/keys.py and store/profile.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from getpass import getpass

from ..settings import Settings
from ..store.errors import KeyringUnreachable, LockedKeyring, StoreError
from .common import EXIT_OK, NBSP, ask_new_passphrase, interactive, opened, print_recovery_code

MSG_NO_CODE = (f"Code de secours manquant{NBSP}: passez --recovery-code-file FICHIER ou définissez "
               "TANDEM_RECOVERY_CODE (ou lancez la commande dans un terminal pour le saisir).")


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sub = command("recover", "ouvrir le profil avec son code de secours, puis remettre sa clé dans le trousseau "
                             "(ou choisir une nouvelle phrase de passe)")
    sub.add_argument("--new-passphrase", action="store_true",
                     help="protéger désormais le profil par une nouvelle phrase de passe (TANDEM_PASSPHRASE, "
                          "--passphrase-file, ou saisie) plutôt que par le trousseau")
    command("recovery-code", "créer un nouveau code de secours pour ce profil (l’ancien ne sert plus)")
    sub = command("reset", "mettre de côté un profil illisible (clé et code de secours perdus) pour repartir du hub")
    sub.add_argument("--keep-aside", action="store_true", required=True,
                     help="déplacer le dossier du profil à côté, sans rien effacer (obligatoire)")


def _code(settings: Settings) -> str:
    if settings.recovery_code:
        return settings.recovery_code
    if interactive():
        return getpass(f"Code de secours (5 groupes de 5 caractères){NBSP}: ")
    raise StoreError(MSG_NO_CODE)


def cmd_recover(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import keys as key_service  # the store: imported by the command, not by `tandem --help`

    code = _code(settings)
    new_passphrase = None
    if args.new_passphrase or not key_service.keyring_can_take_the_key():
        if not args.new_passphrase and settings.passphrase is None and not interactive():
            raise StoreError(f"Aucun trousseau sûr sur ce poste pour y remettre la clé{NBSP}: choisissez une "
                             "nouvelle phrase de passe (tandem recover --new-passphrase, avec TANDEM_PASSPHRASE "
                             "ou --passphrase-file).")
        new_passphrase = settings.passphrase if settings.passphrase is not None else ask_new_passphrase(settings)
    try:
        result = key_service.recover(settings.with_passphrase(None), code, new_passphrase)
    except (LockedKeyring, KeyringUnreachable) as exc:
        raise StoreError(f"{exc} Le profil n’a pas été modifié. Sinon{NBSP}: tandem recover --new-passphrase.") from exc
    print(result.message())
    return EXIT_OK


def cmd_recovery_code(args: argparse.Namespace, settings: Settings) -> int:
    from ..store.profile import new_recovery_code

    with opened(settings) as profile:
        had = profile.meta.recovery is not None
        profile.recovery_code = new_recovery_code(profile)
        print_recovery_code(profile)
    if had:
        print(f"L’ancien code de secours de ce profil ne sert plus{NBSP}: détruisez la feuille qui le porte.")
    return EXIT_OK


def cmd_reset(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import keys as key_service

    aside = key_service.start_again_from_hub(settings)
    # The old device's hub id is inside the database nobody can read: the administrator finds it by name.
    print(key_service.start_again_steps(aside))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "recover": cmd_recover, "recovery-code": cmd_recovery_code, "reset": cmd_reset,
}
