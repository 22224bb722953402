"""Why a sync or an enrollment failed, in French for the counsellor. The outbox is kept in every case."""

from __future__ import annotations

from typing import Any

from ..domain.errors import DomainError
from ..texts.french import NBSP

KEPT = "Vos modifications sont gardées sur ce poste."


class SyncError(DomainError):
    """Base of every sync failure; str(error) is the message to show."""


class NotEnrolled(SyncError):
    def __init__(self) -> None:
        super().__init__(f"Cet appareil n’est pas encore relié à un hub{NBSP}: utilisez «{NBSP}tandem enroll"
                         f"{NBSP}» (ou Fichier › Connexion au hub…) avec le code donné par l’administrateur.")


class HubUnreachable(SyncError):
    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Hub injoignable{extra}{NBSP}: vérifiez la connexion. {KEPT}")


class DeviceRevoked(SyncError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message or (
            "Cet appareil a été révoqué par l’administrateur du hub. Il ne peut plus synchroniser"
            f"{NBSP}; effacez la copie locale des données."))


class UpdateRequired(SyncError):
    def __init__(self, message: str = "") -> None:
        text = "Une mise à jour de Tandem Desktop est nécessaire pour synchroniser."
        if message and message != text:
            text = f"{text} {message}"
        super().__init__(f"{text} {KEPT}")


class AuthenticationFailed(SyncError):
    """The hub answered 401: it does not know the token this device sent."""

    def __init__(self) -> None:
        super().__init__("Le hub ne reconnaît pas le jeton de cet appareil. Reliez-le de nouveau avec un code "
                         f"d’enrôlement{NBSP}: cela crée un nouvel appareil au hub, demandez à l’administrateur "
                         f"de révoquer l’ancien. {KEPT}")


class LocalCredentialProblem(SyncError):
    """The device's own token cannot be read here: the hub was not asked and is not to blame."""


class TokenMissing(LocalCredentialProblem):
    def __init__(self, device_id: str | None = None) -> None:
        old = f" ({device_id})" if device_id else ""
        super().__init__(
            "Le jeton de ce poste pour le hub est introuvable dans le trousseau du système (l’entrée a été "
            f"supprimée){NBSP}; le hub n’y est pour rien. Pour synchroniser de nouveau, reliez ce poste avec un "
            f"nouveau code d’enrôlement (Fichier › Connexion au hub…){NBSP}: cela crée un nouvel appareil au hub. "
            f"Demandez à l’administrateur de révoquer l’ancien{old} (tandem-hub revoke). {KEPT}")


class TokenLocked(LocalCredentialProblem):
    def __init__(self) -> None:
        super().__init__(
            "Le trousseau du système est verrouillé : le jeton de ce poste pour le hub ne peut pas être lu. "
            "Inutile de relier ce poste de nouveau : déverrouillez le trousseau (ouvrez votre session, ou "
            f"l’application Trousseaux), la synchronisation reprendra d’elle-même. {KEPT}")


class TokenUnreachable(LocalCredentialProblem):
    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Le trousseau du système ne répond pas{extra}{NBSP}: le jeton de ce poste pour le hub ne peut pas "
            "être lu. Inutile de relier ce poste de nouveau : ouvrez une session graphique normale, puis "
            f"réessayez. {KEPT}")


class AccessDenied(SyncError):
    """403 other than a revocation: a request outside the device's scope. `body` is the hub's answer
    (a push whose every operation was refused for scope carries the per-op `results`)."""

    def __init__(self, message: str = "", body: dict | None = None) -> None:
        super().__init__(message or f"Le hub refuse cette opération pour cet appareil. {KEPT}")
        self.body = body or {}


class EnrollmentRefused(SyncError):
    """The enrollment code is unknown, already used or expired."""


class PayloadTooLarge(SyncError):
    def __init__(self) -> None:
        super().__init__(f"Le hub refuse un envoi trop volumineux. {KEPT}")


class HubError(SyncError):
    """The hub answered something unexpected (5xx, malformed answer)."""

    def __init__(self, detail: str = "") -> None:
        extra = f"{NBSP}: {detail}" if detail else "."
        super().__init__(f"Le hub a rencontré un problème{extra} Réessayez plus tard. {KEPT}")


class SyncCancelled(SyncError):
    def __init__(self) -> None:
        super().__init__(f"Synchronisation interrompue. Elle reprendra où elle s’est arrêtée. {KEPT}")


class InsecureHub(SyncError):
    """A plain http:// address that is not this machine, without the explicit choice to allow it."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Connexion non chiffrée refusée{NBSP}: l’adresse «{NBSP}{url}{NBSP}» est en http://. Le jeton de ce "
            "poste et les fiches (noms, coordonnées, suivis) passeraient en clair sur le réseau, lisibles et "
            "modifiables par quiconque s’y trouve. Demandez à l’administrateur l’adresse https:// du hub"
            f"{NBSP}; sur un réseau de confiance seulement, le temps d’un essai, reliez ce poste avec "
            f"«{NBSP}--insecure-http{NBSP}» (ou la case «{NBSP}Autoriser une connexion non chiffrée{NBSP}» de "
            f"la fenêtre de connexion). {KEPT}")


class HubUntrusted(SyncError):
    """The hub's TLS certificate does not verify (unknown authority, wrong name, expired)."""

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Le certificat du hub n’est pas reconnu{extra}{NBSP}: la connexion a été refusée pour protéger vos "
            "données. Vérifiez l’adresse. Si le hub a sa propre autorité de certification, reliez ce poste avec "
            f"«{NBSP}--hub-ca FICHIER{NBSP}» (le certificat de cette autorité, remis par l’administrateur). {KEPT}")


class PushFailed(SyncError):
    """The push failed but the pull ran (its changes are stored): `report` tells what came in,
    `cause` why the push failed. The writes that did not go stay in the outbox."""

    def __init__(self, cause: SyncError, report: Any) -> None:
        text = str(cause)
        if KEPT not in text:
            text = f"{text} {KEPT}"
        super().__init__(f"Envoi au hub impossible{NBSP}: {text} Les changements du hub ont bien été reçus.")
        self.cause = cause
        self.report = report
