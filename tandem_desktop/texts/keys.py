"""What to do when a profile's key or database is lost, said once and worded for each audience: the
command line names its commands, the window names its buttons (never a command or the README).

The store's errors carry the command line's wording (their str()); the window asks for its own with
`GUI` (gui/key_dialogs.py, gui/integrity.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .french import NBSP, quoted


@dataclass(frozen=True)
class Ways:
    """How each audience reaches the way out: a command, or a button of the window."""

    recover: str  # open with the recovery code
    restart: str  # set the profile aside and start again from the hub
    restore: str  # restore a backup chosen by hand


CLI = Ways(recover="tandem recover", restart="tandem reset --keep-aside, voir le README",
           restore="tandem restore FICHIER")
GUI = Ways(recover=f"bouton {quoted('Code de secours…')}", restart=f"bouton {quoted('Repartir du hub…')}",
           restore=f"bouton {quoted('Choisir une sauvegarde…')}")

KEY_MISSING = (
    "La clé de chiffrement de ce profil est introuvable dans le trousseau du système (l’entrée a été supprimée, "
    "ou ce n’est pas le trousseau de la session qui a créé le profil). La base n’a pas été modifiée.")
NO_CODE = ("Ce profil a été créé sans code de secours (version précédente de Tandem Desktop)"
           f"{NBSP}: il ne peut pas être ouvert avec un code.")


def key_missing(ways: Ways) -> str:
    return (f"{KEY_MISSING} Ouvrez-la avec le code de secours remis à la création du profil ({ways.recover})"
            f"{NBSP}; sans ce code, repartez du hub ({ways.restart}).")


def no_recovery_code(ways: Ways) -> str:
    return f"{NO_CODE} Sans sa clé, repartez du hub ({ways.restart})."


def restore_any(ways: Ways) -> str:
    """No sound backup in the profile's own folder: one made elsewhere, chosen by hand."""
    return f"Restaurez une sauvegarde ({ways.restore})."


def where_backups_are(backups_dir: object) -> str:
    """Where a counsellor finds a backup to choose."""
    return (f"Les sauvegardes automatiques de l’application sont dans {backups_dir}{NBSP}; celles faites à la "
            "main sont là où elles ont été enregistrées (clé USB, dossier partagé de la structure…).")
