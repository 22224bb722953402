"""The French sentences that say where a tandem's charter is: how it was signed, which version, and
whether its file is here, at the hub, or on its way (the charter panel, the list, `tandem charter list`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..store.charters import StoredCharter
from ..texts.french import NBSP, long_date


def version_of(stored: Sequence[StoredCharter], charter: StoredCharter) -> int:
    """1 for a tandem's first charter, 2 for the next…: by creation, so every device numbers alike."""
    ordered = sorted(stored, key=lambda c: (c.created_at, c.id))
    return next((n for n, c in enumerate(ordered, 1) if c.id == charter.id), len(ordered))


def latest_text(stored: Sequence[StoredCharter], *, enrolled: bool) -> str:
    """The newest charter (stored is newest first): how it was signed, which version, where it is."""
    latest = stored[0]
    where = f" à {latest.signed_place}" if latest.signed_place else ""
    how = "signée à l’écran et scellée" if latest.sealed else "signée à l’encre"
    text = f"Charte {how} le {french_date(latest.signed_on)}{where}"
    if len(stored) > 1:
        text += (f" (version {version_of(stored, latest)}{NBSP}; "
                 + ("la version précédente est conservée)" if len(stored) == 2
                    else f"les {len(stored) - 1} versions précédentes sont conservées)"))
    return f"{text}{NBSP}: {hub_state_text(latest, enrolled=enrolled)}"


def hub_short_text(charter: StoredCharter, enrolled: bool) -> str:
    """Where the file is, in a word or two (« Au hub » column of the panel and of `tandem charter list`)."""
    if charter.received:
        return "Oui" if charter.has_pdf else "PDF à recevoir"
    if not enrolled:
        return "—"
    return {"synced": "Oui", "refused": "Refusée"}.get(charter.hub_status, "À envoyer")


def hub_state_text(charter: StoredCharter, *, enrolled: bool = True) -> str:
    """Where this charter's file is, for the panel and the list: the file here or on its way, and
    whether the hub holds it (so a lost laptop loses nothing)."""
    if charter.received and not charter.has_pdf:
        return ("reçue du hub, son PDF arrive à la prochaine synchronisation (ou à son ouverture, "
                "le poste en ligne).")
    if charter.received:
        return "enregistrée sur ce poste et au hub (reçue d’un autre poste)."
    if charter.hub_status == "synced":
        return "enregistrée sur ce poste et au hub."
    if charter.hub_status == "refused":
        return f"enregistrée sur ce poste, refusée par le hub{NBSP}: {charter.hub_message or 'motif inconnu'}"
    if not enrolled:
        return "enregistrée sur ce poste."
    return "enregistrée sur ce poste, pas encore envoyée au hub."


def french_date(iso: str) -> str:
    try:
        return long_date(date.fromisoformat(iso))
    except ValueError:
        return iso
