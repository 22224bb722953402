"""Errors of the hub, each with a French message for the counsellor or the administrator."""

from __future__ import annotations

from typing import Any

from ..texts.french import NBSP

MSG_UNAUTHORIZED = (f"Appareil inconnu du hub (jeton absent ou invalide){NBSP}: reliez-le avec un code "
                    "d’enrôlement.")
MSG_REVOKED = (f"Cet appareil a été révoqué par l’administrateur du hub{NBSP}: il ne peut plus synchroniser. "
               "Vous pouvez effacer la copie locale des données.")
MSG_UPGRADE = "Mettez Tandem Desktop à jour\u00a0: cette version est trop ancienne pour ce hub."
MSG_BODY_CUT = "Corps de la requête interrompu (connexion coupée)\u00a0: rien n’a été enregistré, renvoyez-le."
MSG_TOO_LARGE = "Envoi trop volumineux pour le hub\u00a0: 4\u00a0Mio au plus par requête."
MSG_BAD_JSON = "Requête illisible\u00a0: le corps n’est pas un JSON valide."


class HubError(Exception):
    """A refused request: HTTP status, a stable code for programs, a French message for people."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


def bad_request(message: str) -> HubError:
    return HubError(400, "bad_request", message)


class AdminError(ValueError):
    """An administration command cannot be done (unknown id, invalid value); the message is French."""
