"""A person's consent: how long it lasts, and whether it is current today (and if not, why).

Consent is five fields of a mentee or mentor record (domain/kinds.py): given or not, the day it was
given, its scope, who took it and which version of the text was read, plus the day to renew it and
the day it was withdrawn. domain/records.py fills and checks them when a record is written; this
module answers the question matching asks of every person — may they be matched today? — in one
place, with the French reason a deck or a batch shows when they may not.

Why a consent expires: the CNIL expects a consent to stay informed and current, so one taken long
ago is asked again. A consent given with no renewal date gets one RENEWAL_YEARS later; from that day
on, the person is out of matching until a counsellor renews it (a new consent date). A consent
recorded before renewal dates existed (no date) does not expire until it is dated again.

Plain Python: no file is read here. The consent texts a counsellor reads live in resources/consent/
(services/consent.py loads them); CURRENT_TEXT_VERSION names the newest, and a test holds the two
together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# Three years: longer than a tandem and its follow-up (6 to 12 months, then the outcome), and the
# CNIL's reference period for keeping the data of a person one no longer hears from.
RENEWAL_YEARS = 3
CURRENT_TEXT_VERSION = "2026-01"  # the newest resources/consent/<version>.txt

CURRENT, MISSING, WITHDRAWN, EXPIRED = "current", "missing", "withdrawn", "expired"
# What a count of people says (« Consentement retiré : 3 »); `reason` adds the person's date.
STATE_LABELS = {
    MISSING: "Consentement non recueilli",
    WITHDRAWN: "Consentement retiré",
    EXPIRED: "Consentement à renouveler",
}
FIELDS = ("consent_given", "consent_date", "consent_scope", "consent_by", "consent_text_version",
          "consent_renewal", "consent_withdrawn_on")


@dataclass(frozen=True)
class ConsentState:
    """`code` is CURRENT, MISSING, WITHDRAWN or EXPIRED; `since` the ISO day it applies from, if known."""

    code: str
    since: str | None = None

    @property
    def current(self) -> bool:
        return self.code == CURRENT

    @property
    def reason(self) -> str:
        """« Consentement retiré le 03/12/2026 », « Consentement à renouveler depuis le 01/09/2026 »,
        « Consentement non recueilli »; "" for a current consent."""
        if self.code == CURRENT:
            return ""
        label = STATE_LABELS[self.code]
        if not self.since:
            return label
        return f"{label} {'le' if self.code == WITHDRAWN else 'depuis le'} {day_text(self.since)}"


def state(record: dict[str, Any], today: date) -> ConsentState:
    """The consent of `record` on `today`. A withdrawal date wins over a ticked box (two devices'
    edits merged field by field may leave both): the safe side, until a counsellor clears it."""
    withdrawn = record.get("consent_withdrawn_on")
    if withdrawn:
        return ConsentState(WITHDRAWN, str(withdrawn))
    if not record.get("consent_given"):
        return ConsentState(MISSING)
    renewal = renewal_of(record)
    if renewal and str(renewal) <= today.isoformat():
        return ConsentState(EXPIRED, str(renewal))
    return ConsentState(CURRENT)


def renewal_of(record: dict[str, Any]) -> str | None:
    """The day the consent is to be renewed: its renewal date, else RENEWAL_YEARS after its consent
    date (a consent that came without one, from another device or an older release, still expires);
    None only for a consent never dated."""
    renewal = record.get("consent_renewal")
    if renewal:
        return str(renewal)
    dated = record.get("consent_date")
    try:
        return default_renewal(str(dated)) if dated else None
    except ValueError:
        return None


def default_renewal(consent_date: str) -> str:
    """The ISO day a consent given on `consent_date` is to be renewed (29 February: 28 February)."""
    given = date.fromisoformat(consent_date)
    try:
        return given.replace(year=given.year + RENEWAL_YEARS).isoformat()
    except ValueError:
        return given.replace(year=given.year + RENEWAL_YEARS, day=28).isoformat()


def day_text(iso: str) -> str:
    """« 03/12/2026 » from ISO text (texts/french.short_date's form; the domain imports nothing of ours)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}" if len(iso) == 10 else iso
