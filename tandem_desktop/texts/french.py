"""French typography and wording: no-break spaces, quotes, plurals, numbers, dates, month names, and
the collation key that sorts « Éguilles » with the E and « Œuvre » with the O.

Plain functions, no Qt and nothing of the store, so every front end writes the same French.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import lru_cache

NBSP = "\u00a0"  # before : ; ! ? » and after «
NNBSP = "\u202f"  # narrow no-break space: thousands separator, before %
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

# Letters that Unicode does not decompose but French sorts as two letters.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ĳ": "ij"})


def quoted(text: str) -> str:
    """« text », the quotes held to it by no-break spaces."""
    return f"«{NBSP}{text}{NBSP}»"


def number(n: int) -> str:
    """« 1 234 »: thousands separated by a narrow no-break space."""
    return f"{n:,}".replace(",", NNBSP)


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """« 0 conflit », « 1 conflit », « 3 conflits » (French: 0 and 1 take the singular)."""
    word = singular if abs(n) < 2 else (plural_form or singular + "s")
    return f"{number(n)}{NBSP}{word}"


def short_date(iso: str | None) -> str:
    """« 05/04/2025 » from ISO text; unreadable text is shown as it is."""
    if not iso:
        return ""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def long_date(value: date) -> str:
    """« 1er mars 2027 », « 26 novembre 2026 »: the form a French document uses."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def long_datetime(moment: datetime) -> str:
    """« 26 novembre 2026 à 14 h 05 » in the computer's time zone."""
    local = moment.astimezone()
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def months(n: int) -> str:
    return f"{n}{NBSP}mois"


@lru_cache(maxsize=8192)  # names repeat a lot across thousands of records
def collation_key(text: str) -> str:
    """The first-level French sort key: case, accents and ligatures folded
    ('Éguilles' -> 'eguilles', 'Œuvre' -> 'oeuvre'); also the text the search compares."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
