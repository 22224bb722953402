"""Consent in the matching arrays: who may be matched today, and why the others may not.

The arrays keep what a record says (given, the withdrawal day, the renewal day, as day ordinals, -1
for none); what that means on a given day is domain/consent.py's rule, here vectorised. A consent
withdrawn, never given or past its renewal day breaks the hard constraint « no_consent » (one code
for settings and JSON); the states below tell a deck and a batch which of the three it is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from ..domain import consent as consent_rules
from .features import Side

# Consent states as array codes, in domain/consent.py's order of precedence.
CONSENT_CODES = (consent_rules.CURRENT, consent_rules.MISSING, consent_rules.WITHDRAWN, consent_rules.EXPIRED)


def consent_codes(side: Side, index: Any, today: date) -> np.ndarray:
    """Index into CONSENT_CODES of each person at `index` on `today`: domain.consent.state, vectorised
    (a renewal day reached expires the consent, so the same arrays answer differently the next day)."""
    until = side.consent_until[index]
    expired = (until >= 0) & (until <= today.toordinal())
    codes = np.where(side.consent_given[index], np.where(expired, 3, 0), 1)
    return np.where(side.consent_withdrawn[index] >= 0, 2, codes).astype(np.uint8)


def consent_current(side: Side, index: Any, today: date) -> np.ndarray:
    """Whether each person at `index` may be matched on `today` (their consent is current)."""
    until = side.consent_until[index]
    return side.consent_given[index] & (side.consent_withdrawn[index] < 0) & ((until < 0) | (until > today.toordinal()))


def consent_state(side: Side, row: int, today: date) -> consent_rules.ConsentState:
    """The domain's consent state of one person, from the arrays (no record read)."""
    def day(ordinal: int) -> str | None:
        return date.fromordinal(ordinal).isoformat() if ordinal > 0 else None

    record = {"consent_given": bool(side.consent_given[row]),
              "consent_withdrawn_on": day(int(side.consent_withdrawn[row])),
              "consent_renewal": day(int(side.consent_until[row]))}
    return consent_rules.state(record, today)


def consent_split(side: Side, index: Any, today: date) -> dict[str, int]:
    """State code -> how many people at `index` are out of matching for it (current ones left out)."""
    counts = np.bincount(consent_codes(side, index, today), minlength=len(CONSENT_CODES))
    return {code: int(n) for code, n in zip(CONSENT_CODES, counts, strict=True) if n and code != consent_rules.CURRENT}
