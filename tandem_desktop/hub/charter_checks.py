"""The values of an announced charter (POST /v1/charters), checked before anything is read or written.

A body that is not `{"charters": [object, …]}`, or a charter whose `id` cannot even be echoed back
(not printable ASCII), is a 400 for the request; any other wrong value refuses that charter only
(`invalid_value`, with a French message), as a push refuses one operation (PROTOCOL.md, "Charters and
attachments").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..domain.validation import control_error
from ..texts.french import NBSP
from .errors import HubError, bad_request

MAX_CHARTERS = 100
MAX_BODY = 1024 * 1024
MAX_ATTACHMENTS = 4  # the PDF, a scan, and room for a later kind or two
MAX_FILE = 20 * 1024 * 1024
CHUNK_SIZE = 1024 * 1024
# = charter/render.py CODE_ALPHABET (tests/hub/test_hub_charters.py checks): the hub does not load the
# renderer (ReportLab) to read a number.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_RE = re.compile(f"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN_RE = re.compile(r"[\x21-\x7e]{1,64}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
ROLE_RE = re.compile(r"[a-z_]{1,20}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MODES = ("screen", "ink")
MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_TEMPLATE, MAX_PLACE, MAX_NAME, MAX_TIME = 80, 200, 200, 40
INVALID = "invalid_value"


class CharterRefused(Exception):
    """One charter refused: its code, French message and whether the device sends it again."""

    def __init__(self, code: str, message: str, retry: bool = False):
        super().__init__(message)
        self.code, self.message, self.retry = code, message, retry


@dataclass(frozen=True)
class Announced:
    """A charter as the hub keeps it: only the keys of the protocol, in their checked form."""

    id: str
    tandem_id: str
    number: str
    mode: str
    template: str
    signed_on: str
    signed_place: str | None
    created_at: str
    self_signed: bool | None
    attachments: tuple[dict[str, Any], ...]

    def content(self) -> dict[str, Any]:
        """What must be equal for the same id sent again to be the same charter."""
        return {"tandem_id": self.tandem_id, "number": self.number, "mode": self.mode, "template": self.template,
                "signed_on": self.signed_on, "signed_place": self.signed_place, "created_at": self.created_at,
                "self_signed": self.self_signed, "attachments": list(self.attachments)}

    def attachment(self, role: str) -> dict[str, Any] | None:
        return next((a for a in self.attachments if a["role"] == role), None)


def charters_of(body: Any) -> list[Any]:
    """The list of charters of a request body (400 or 413 for the request otherwise)."""
    if not isinstance(body, dict) or not isinstance(body.get("charters"), list):
        raise bad_request(f"Requête mal formée{NBSP}: un objet {{\"charters\": [...]}} est attendu.")
    items = body["charters"]
    if len(items) > MAX_CHARTERS:
        raise HubError(413, "too_large", f"Lot trop grand{NBSP}: {MAX_CHARTERS} chartes au plus par envoi.")
    for item in items:
        if not isinstance(item, dict):
            raise bad_request(f"Requête mal formée{NBSP}: chaque charte est un objet.")
        charter_id = item.get("id")
        if not isinstance(charter_id, str) or not TOKEN_RE.fullmatch(charter_id):
            raise bad_request(f"Requête mal formée{NBSP}: «{NBSP}id{NBSP}» d’une charte manquant ou invalide.")
    return items


def _refuse(message: str) -> CharterRefused:
    return CharterRefused(INVALID, message)


def _text(item: dict[str, Any], name: str, limit: int, *, optional: bool = False) -> str | None:
    value = item.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}{name}{NBSP}» manquant ou vide.")
    if len(value) > limit:
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}{name}{NBSP}» trop long ({limit} caractères au plus).")
    if any(ch in value for ch in "\n\r\t") or control_error(value) is not None:
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}{name}{NBSP}» contient un caractère interdit.")
    return value


def _uuid(item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not UUID_RE.fullmatch(value):
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}{name}{NBSP}» n’est pas un identifiant.")
    return value


def _day(value: Any) -> str:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise _refuse(f"Charte invalide{NBSP}: date de signature attendue au format AAAA-MM-JJ.")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _refuse(f"Charte invalide{NBSP}: la date de signature n’existe pas.") from None
    if not 1900 <= day.year <= 2100:
        raise _refuse(f"Charte invalide{NBSP}: l’année de signature doit être comprise entre 1900 et 2100.")
    return value


def _moment(value: Any) -> str:
    """ISO 8601, UTC (an offset of zero, or none)."""
    if not isinstance(value, str) or not 10 < len(value) <= MAX_TIME or not value.isascii():
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}created_at{NBSP}» attend une date et une heure ISO 8601.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}created_at{NBSP}» n’est pas une date et une heure ISO "
                      "8601.") from None
    if moment.utcoffset() not in (None, timedelta(0)) or not 1900 <= moment.year <= 2100:
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}created_at{NBSP}» doit être en temps universel (UTC).")
    return value


def _attachments(value: Any, mode: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ATTACHMENTS:
        raise _refuse(f"Charte invalide{NBSP}: de 1 à {MAX_ATTACHMENTS} fichiers joints sont attendus.")
    out: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise _refuse(f"Charte invalide{NBSP}: chaque fichier joint est un objet.")
        role, sha, size, media = item.get("role"), item.get("sha256"), item.get("size"), item.get("media_type")
        if not isinstance(role, str) or not ROLE_RE.fullmatch(role):
            raise _refuse(f"Charte invalide{NBSP}: rôle de fichier joint invalide (lettres minuscules et _, "
                          "20 au plus).")
        if not isinstance(sha, str) or not SHA256_RE.fullmatch(sha):
            raise _refuse(f"Charte invalide{NBSP}: empreinte SHA-256 d’un fichier joint invalide (64 chiffres "
                          "hexadécimaux en minuscules).")
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_FILE:
            raise _refuse(f"Charte invalide{NBSP}: taille d’un fichier joint invalide (de 1 octet à 20{NBSP}Mio).")
        if media not in MEDIA_TYPES:
            raise _refuse(f"Charte invalide{NBSP}: type de fichier joint non pris en charge (PDF, PNG ou JPEG).")
        name = _text(item, "name", MAX_NAME, optional=True)
        if any(other["role"] == role for other in out):
            raise _refuse(f"Charte invalide{NBSP}: un seul fichier joint par rôle («{NBSP}{role}{NBSP}» répété).")
        out.append({"role": role, "sha256": sha, "size": size, "media_type": media, "name": name})
    pdf = next((a for a in out if a["role"] == "pdf"), None)
    if pdf is None or pdf["media_type"] != "application/pdf":
        raise _refuse(f"Charte invalide{NBSP}: le PDF de la charte (rôle «{NBSP}pdf{NBSP}») est attendu.")
    if mode == "screen" and pdf["size"] < 8:
        raise _refuse(f"Charte invalide{NBSP}: le PDF scellé est trop court pour en être un.")
    return tuple(out)


AHEAD = timedelta(days=2)  # a device's clock may run a little ahead of the hub's, no more
MSG_AHEAD = (f"Charte datée de plus de deux jours dans le futur{NBSP}: l’horloge de l’appareil est sans doute "
             "fausse. Elle sera renvoyée d’elle-même une fois à la bonne date.")


def announced(item: dict[str, Any], now: datetime | None = None) -> Announced:
    """The checked charter, or CharterRefused(invalid_value); a date beyond the hub's clock is refused
    for now (`clock_ahead`, retried), so no device can list a charter of its own as the newest version
    by dating it in the future."""
    charter = _announced(item)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    created = datetime.fromisoformat(charter.created_at.replace("Z", "+00:00")).replace(tzinfo=None)
    if date.fromisoformat(charter.signed_on) > (now + AHEAD).date() or created > now + AHEAD:
        raise CharterRefused("clock_ahead", MSG_AHEAD, retry=True)
    return charter


def _announced(item: dict[str, Any]) -> Announced:
    charter_id, tandem_id = _uuid(item, "id"), _uuid(item, "tandem_id")
    number = item.get("number")
    if not isinstance(number, str) or not NUMBER_RE.fullmatch(number):
        raise _refuse(f"Charte invalide{NBSP}: numéro attendu en huit caractères, comme K7Q4-9XPM.")
    mode = item.get("mode")
    if mode not in MODES:
        raise _refuse(f"Charte invalide{NBSP}: mode «{NBSP}screen{NBSP}» ou «{NBSP}ink{NBSP}» attendu.")
    self_signed = item.get("self_signed")
    if self_signed is not None and not isinstance(self_signed, bool):
        raise _refuse(f"Charte invalide{NBSP}: «{NBSP}self_signed{NBSP}» est vrai, faux ou absent.")
    template = _text(item, "template", MAX_TEMPLATE)
    assert template is not None
    return Announced(id=charter_id, tandem_id=tandem_id, number=number, mode=mode, template=template,
                     signed_on=_day(item.get("signed_on")),
                     signed_place=_text(item, "signed_place", MAX_PLACE, optional=True),
                     created_at=_moment(item.get("created_at")), self_signed=self_signed,
                     attachments=_attachments(item.get("attachments"), mode))


def normalize_number(text: str) -> str | None:
    """« k7q4 9xpm », « K7Q49XPM » → « K7Q4-9XPM » (as services/charters.py charter_number); None when
    `text` cannot be a charter number."""
    if len(text) > 40:
        return None
    letters = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    if len(letters) != 8 or any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"
