"""Storage errors, each with a message a counsellor can act on."""

from __future__ import annotations

from ..domain.errors import DomainError
from ..texts import keys as keys_texts


class StoreError(DomainError):
    """A storage problem; str(error) is the French message to show."""


class ProfileMissing(StoreError):
    def __init__(self, path: object):
        super().__init__(f"Aucun profil dans {path}. Créez-le d’abord (tandem init).")


class ProfileExists(StoreError):
    def __init__(self, path: object):
        super().__init__(f"Un profil existe déjà dans {path}\u00a0; il n’a pas été modifié.")


class PassphraseRequired(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "Ce profil est protégé par une phrase de passe. Saisissez-la (ou, pour un script, "
            "définissez TANDEM_PASSPHRASE ou passez --passphrase-file)."
        )


class WeakPassphrase(StoreError):
    """Too short (`minimum`), or too easy to guess (`hint` says why and what to choose instead)."""

    def __init__(self, minimum: int | None = None, hint: str | None = None):
        if hint is None:
            super().__init__(f"Phrase de passe trop courte\u00a0: {minimum} caractères au moins.")
        else:
            super().__init__(f"Phrase de passe trop facile à deviner\u00a0: {hint}")


class WrongKey(StoreError):
    def __init__(self, source: str):
        if source == "passphrase":
            message = "Phrase de passe incorrecte. La base n’a pas été modifiée\u00a0; réessayez."
        else:
            message = (
                "La clé de chiffrement du trousseau ne correspond pas à cette base. "
                "La base n’a pas été modifiée."
            )
        super().__init__(message)


class KeyUnavailable(StoreError):
    """The keyring answered, and has no entry for this profile (deleted, or another user's keyring)."""

    def __init__(self) -> None:
        super().__init__(keys_texts.key_missing(keys_texts.CLI))


UNLOCK_HOW = ("déverrouillez-le (ouvrez votre session, ou l’application Trousseaux / «\u00a0Mots de passe et "
              "clés\u00a0»), puis réessayez")


class LockedKeyring(StoreError):
    """The keyring exists and holds the secret, but is locked (or the unlock prompt was dismissed)."""

    def __init__(self, what: str = "la clé de chiffrement de ce profil") -> None:
        super().__init__(
            f"Le trousseau du système est verrouillé\u00a0: impossible d’y lire ou d’y ranger {what}. "
            f"Rien n’est perdu\u00a0: {UNLOCK_HOW}."
        )


class KeyringUnreachable(StoreError):
    """No keyring answers in this session (no D-Bus, daemon stopped, remote session), or it failed."""

    def __init__(self, detail: str = "", what: str = "la clé de chiffrement de ce profil") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Le trousseau du système ne répond pas{extra}\u00a0: impossible d’y lire {what}. "
            "Rien n’est perdu. Ouvrez une session graphique normale sur ce poste, puis réessayez, "
            "ou utilisez le code de secours du profil."
        )


class RecoveryCodeInvalid(StoreError):
    def __init__(self, length: int, group: int) -> None:
        super().__init__(
            f"Code de secours mal formé\u00a0: {length}\u00a0caractères attendus (chiffres et lettres, sans I, "
            f"L, O ni U), par groupes de {group}. Vérifiez la saisie\u00a0; rien n’a été modifié."
        )


class WrongRecoveryCode(StoreError):
    def __init__(self) -> None:
        super().__init__("Ce code de secours n’est pas celui de ce profil. Rien n’a été modifié\u00a0; "
                         "vérifiez la saisie (le dernier code créé est le seul valable).")


class NoRecoveryCode(StoreError):
    def __init__(self) -> None:
        super().__init__(keys_texts.no_recovery_code(keys_texts.CLI))


class CorruptDatabase(StoreError):
    """The database file is damaged or not ours; `backup` is the latest sound backup found, if any."""

    def __init__(self, path: object, backup: object | None = None, backup_date: str = ""):
        self.path = path
        self.backup = backup
        self.backup_date = backup_date
        super().__init__(
            f"Le fichier de données {path} est endommagé ou n’est pas une base Tandem. "
            f"Il n’a pas été modifié. {restore_advice(backup, backup_date)}"
        )


def restore_advice(backup: object | None, backup_date: str = "") -> str:
    """How to get a sound database back: the latest sound backup by name, or any backup."""
    if backup is None:
        return keys_texts.restore_any(keys_texts.CLI)
    when = f" du {backup_date}" if backup_date else ""
    return (f"Dernière sauvegarde saine{when}\u00a0: {backup}. Pour la restaurer\u00a0: "
            f"tandem restore \"{backup}\" (la base actuelle est conservée dans backups/).")


class NewerSchema(StoreError):
    def __init__(self, revision: str):
        super().__init__(
            f"Cette base vient d’une version plus récente de Tandem Desktop (schéma «\u00a0{revision}\u00a0»). "
            "Mettez l’application à jour\u00a0; la base n’a pas été modifiée."
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
            "Le disque est plein\u00a0: la modification n’a pas été enregistrée et les données "
            "précédentes sont intactes. Libérez de la place, puis réessayez."
        )


class NotFound(StoreError):
    def __init__(self, label: str, record_id: str):
        super().__init__(f"{label} introuvable\u00a0: {record_id}.")


class NotReceived(StoreError):
    """A charter received from the hub whose file (`what`: "pdf" or "scan") has not arrived yet."""

    def __init__(self, what: str = "pdf"):
        label = "Le scan" if what == "scan" else "Le PDF"
        super().__init__(f"{label} de cette charte n’est pas encore arrivé du hub\u00a0: il sera reçu à la "
                         "prochaine synchronisation (ou ouvrez-la quand le poste est en ligne).")
        self.what = what
