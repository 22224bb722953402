"""Storage errors, each with a message a counsellor can act on."""

from __future__ import annotations

from ..domain.errors import DomainError


class StoreError(DomainError):
    """A storage problem; str(error) is the French message to show."""


class ProfileMissing(StoreError):
    def __init__(self, path: object):
        super().__init__(f"Aucun profil dans {path}. Créez-le d'abord (tandem init).")


class ProfileExists(StoreError):
    def __init__(self, path: object):
        super().__init__(f"Un profil existe déjà dans {path}\u00a0; il n'a pas été modifié.")


class PassphraseRequired(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "Ce profil est protégé par une phrase de passe. Saisissez-la (ou, pour un script, "
            "définissez TANDEM_PASSPHRASE ou passez --passphrase-file)."
        )


class WeakPassphrase(StoreError):
    def __init__(self, minimum: int):
        super().__init__(f"Phrase de passe trop courte\u00a0: {minimum} caractères au moins.")


class WrongKey(StoreError):
    def __init__(self, source: str):
        if source == "passphrase":
            message = "Phrase de passe incorrecte. La base n'a pas été modifiée\u00a0; réessayez."
        else:
            message = (
                "La clé de chiffrement du trousseau ne correspond pas à cette base. "
                "La base n'a pas été modifiée."
            )
        super().__init__(message)


class KeyUnavailable(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "La clé de chiffrement de ce profil est introuvable dans le trousseau du système. "
            "Sans elle la base ne peut pas être ouverte\u00a0; elle n'a pas été modifiée."
        )


class CorruptDatabase(StoreError):
    """The database file is damaged or not ours; `backup` is the latest sound backup found, if any."""

    def __init__(self, path: object, backup: object | None = None, backup_date: str = ""):
        self.path = path
        self.backup = backup
        self.backup_date = backup_date
        super().__init__(
            f"Le fichier de données {path} est endommagé ou n'est pas une base Tandem. "
            f"Il n'a pas été modifié. {restore_advice(backup, backup_date)}"
        )


def restore_advice(backup: object | None, backup_date: str = "") -> str:
    """How to get a sound database back: the latest sound backup by name, or any backup."""
    if backup is None:
        return "Restaurez une sauvegarde (tandem restore FICHIER)."
    when = f" du {backup_date}" if backup_date else ""
    return (f"Dernière sauvegarde saine{when}\u00a0: {backup}. Pour la restaurer\u00a0: "
            f"tandem restore \"{backup}\" (la base actuelle est conservée dans backups/).")


class NewerSchema(StoreError):
    def __init__(self, revision: str):
        super().__init__(
            f"Cette base vient d'une version plus récente de Tandem Desktop (schéma «\u00a0{revision}\u00a0»). "
            "Mettez l'application à jour\u00a0; la base n'a pas été modifiée."
        )


class ProfileLocked(StoreError):
    def __init__(self, path: object):
        super().__init__(
            f"Ce profil ({path}) est déjà ouvert dans une autre fenêtre ou commande Tandem Desktop. "
            "Fermez-la, puis réessayez."
        )


class DiskFull(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "Le disque est plein\u00a0: la modification n'a pas été enregistrée et les données "
            "précédentes sont intactes. Libérez de la place, puis réessayez."
        )


class NotFound(StoreError):
    def __init__(self, label: str, record_id: str):
        super().__init__(f"{label} introuvable\u00a0: {record_id}.")
