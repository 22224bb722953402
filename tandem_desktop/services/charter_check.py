"""Asking the hub about a charter by its number (GET /v1/charters/verify/{number}, PROTOCOL.md).

The file's own check (charter/verify.py) says whether its seal is intact and who vouches for it; the
hub says whether a charter with that number was sealed or signed, when, by which structure, with
which file (SHA-256) and whether the sealing device was revoked since. The hub answers the same to
every device and to anyone holding the paper, so the verdict does not depend on which laptop asks.
The lookup needs no credential: only the hub's address and how to reach it (TLS) from the sync state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ..domain.errors import DomainError
from ..store.repository import Store
from ..sync.client import HubClient
from ..sync.enroll import connection_settings
from ..texts.french import NBSP, long_date, long_datetime, quoted

MSG_NOT_ENROLLED = (f"Hub{NBSP}: ce poste n’est pas enrôlé auprès d’un hub{NBSP}; seule la vérification du "
                    "fichier a été faite.")
MSG_UNREACHABLE = (f"Hub injoignable{NBSP}: seule la vérification du fichier a été faite (réessayez quand le "
                   "poste est en ligne).")
MSG_UNREADABLE = f"Hub{NBSP}: réponse illisible{NBSP}; seule la vérification du fichier a été faite."
MSG_NO_NUMBER = f"Hub{NBSP}: ce fichier ne porte pas de numéro de charte à lui demander."


@dataclass
class HubCheck:
    """What the hub said (asked: it answered; found: it knows the number), in French lines."""

    asked: bool = False
    found: bool = False
    mismatch: bool = False  # the hub holds this number with another file: not the charter sealed
    revoked: bool = False
    lines: list[str] = field(default_factory=list)
    answer: dict[str, Any] | None = None


def hub_address(store: Store) -> tuple[str, dict[str, Any]] | None:
    """(hub URL, HubClient keyword arguments) when this device is enrolled, else None."""
    state = store.remote.state()
    if not state.get("device_id") or not state.get("hub_url"):
        return None
    return state["hub_url"], connection_settings(state)


def ask_hub(address: tuple[str, dict[str, Any]] | None, number: str | None, sha256: str | None = None,
            *, client: HubClient | None = None) -> HubCheck:
    """The hub's word on `number`, compared with the file's digest when one is given. Never raises:
    a hub out of reach or an older hub is one more line of the report."""
    if number is None:
        return HubCheck(lines=[MSG_NO_NUMBER])
    if address is None and client is None:
        return HubCheck(lines=[MSG_NOT_ENROLLED])
    own = client is None
    try:
        if client is None:
            assert address is not None
            client = HubClient(address[0], None, **address[1])
        answer = client.verify_charter(number)
    except DomainError:
        return HubCheck(lines=[MSG_UNREACHABLE])
    finally:
        if own and client is not None:
            client.close()
    try:
        return judge(answer, number, sha256)
    except (AttributeError, KeyError, TypeError, ValueError):  # a broken or hostile hub: said, never raised
        return HubCheck(lines=[MSG_UNREADABLE])


def judge(answer: dict[str, Any], number: str, sha256: str | None) -> HubCheck:
    """The hub's answer in French lines, and whether the file is the one it holds under that number."""
    check = HubCheck(asked=True, answer=answer)
    listed = answer.get("charters") if isinstance(answer, dict) else None
    found = [c for c in listed if isinstance(c, dict)] if isinstance(listed, list) else []
    if not found or not (isinstance(answer, dict) and answer.get("found")):
        check.lines.append(f"Hub{NBSP}: aucune charte n°{NBSP}{number} n’y est enregistrée (pas encore envoyée par "
                           "le poste qui l’a faite, ou numéro inconnu).")
        return check
    check.found = True
    same = [c for c in found if sha256 and c.get("sha256") == sha256]
    if len(found) > 1 and not same:
        check.lines.append(f"Hub{NBSP}: {len(found)} chartes portent ce numéro, dans des structures différentes"
                           f"{NBSP}: seule l’empreinte du fichier dit laquelle est la vôtre.")
    for charter in same or found:
        check.lines.append(_described(charter, number))
        if charter.get("device_revoked"):
            check.revoked = True
            when = _day(charter.get("revoked_at"))
            check.lines.append(f"Hub{NBSP}: l’appareil qui l’a scellée a été révoqué{' le' + when if when else ''}, "
                               "après le scellement (la charte reste ce qu’elle était, mais cet appareil ne "
                               "scelle plus rien).")
    if sha256 and not same and any(c.get("pdf_received") for c in found):
        check.mismatch = True
        check.lines.append(f"✗ Hub{NBSP}: la charte n°{NBSP}{number} y est enregistrée avec une autre empreinte "
                           f"SHA-256{NBSP}: ce fichier n’est pas celui qui a été déposé au hub.")
    elif same:
        check.lines.append(f"Hub{NBSP}: ce fichier est identique, octet pour octet, à celui déposé au hub.")
    return check


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _described(charter: dict[str, Any], number: str) -> str:
    structure = _mapping(charter.get("structure")).get("name")
    by = f" par un appareil de la structure {quoted(str(structure))}" if structure else ""
    if charter.get("mode") == "ink":
        scan = _mapping(charter.get("scan"))
        deposit = (f"scan déposé le {_day(scan.get('deposited_at')).strip()}" if scan.get("deposited_at")
                   else "aucun scan déposé")
        return (f"Hub{NBSP}: charte n°{NBSP}{number} signée à l’encre le {_day(charter.get('signed_on')).strip()}"
                f"{by}, {deposit}.")
    when = _moment(charter.get("sealed_at")) or _day(charter.get("signed_on")).strip()
    certificate = _mapping(charter.get("certificate"))
    if charter.get("seal") == "local" or certificate.get("issued_by_hub") is False:
        whose = f" avec le certificat propre à l’appareil (non délivré par le hub{NBSP}: scellée avant son enrôlement)"
    elif certificate.get("serial"):
        whose = f", certificat n°{NBSP}{certificate['serial']} délivré par le hub"
    else:
        whose = ""
    if not charter.get("pdf_received"):
        return (f"Hub{NBSP}: charte n°{NBSP}{number} annoncée le {when}{by}{NBSP}; son PDF scellé n’est pas encore "
                "arrivé au hub.")
    return f"Hub{NBSP}: charte n°{NBSP}{number} scellée le {when}{by}{whose}."


def _moment(text: Any) -> str | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return long_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _day(text: Any) -> str:
    """« le 3 décembre 2026 »'s date part from an ISO date or time; empty when there is none."""
    if not text:
        return ""
    try:
        return " " + long_date(date.fromisoformat(str(text)[:10]))
    except ValueError:
        return ""
