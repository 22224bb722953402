"""Why a sync or an enrollment failed, in French for the counsellor. The outbox is kept in every case."""

from __future__ import annotations

from typing import Any

from ..domain.errors import DomainError

NBSP = "\u00a0"
KEPT = "Vos modifications sont gardées sur ce poste."


class SyncError(DomainError):
    """Base of every sync failure; str(error) is the message to show."""


class NotEnrolled(SyncError):
    def __init__(self) -> None:
        super().__init__(f"Cet appareil n'est pas encore relié à un hub{NBSP}: utilisez «{NBSP}tandem enroll"
                         f"{NBSP}» (ou Fichier › Connexion au hub…) avec le code donné par l'administrateur.")


class HubUnreachable(SyncError):
    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Hub injoignable{extra}{NBSP}: vérifiez la connexion. {KEPT}")


class DeviceRevoked(SyncError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message or (
            "Cet appareil a été révoqué par l'administrateur du hub. Il ne peut plus synchroniser"
            f"{NBSP}; effacez la copie locale des données."))


class UpdateRequired(SyncError):
    def __init__(self, message: str = "") -> None:
        text = "Une mise à jour de Tandem Desktop est nécessaire pour synchroniser."
        if message and message != text:
            text = f"{text} {message}"
        super().__init__(f"{text} {KEPT}")


class AuthenticationFailed(SyncError):
    def __init__(self) -> None:
        super().__init__("Le hub ne reconnaît pas cet appareil (jeton absent ou inconnu). "
                         f"Reliez-le de nouveau avec un code d'enrôlement. {KEPT}")


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
        super().__init__(f"Synchronisation interrompue. Elle reprendra où elle s'est arrêtée. {KEPT}")


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
