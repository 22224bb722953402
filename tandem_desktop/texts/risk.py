"""A tandem's risk in French, reason by reason with its points, as a match score is explained
(domain/risk.py holds the rule)."""

from __future__ import annotations

from ..domain import risk
from .french import NBSP, plural

LEVELS = {risk.NONE: "Aucun signal", risk.LOW: "À suivre", risk.MEDIUM: "À surveiller", risk.HIGH: "Priorité"}


def reason_text(reason: risk.Reason, quiet_days: int = risk.QUIET_DAYS) -> str:
    """« Aucune rencontre depuis 34 jours (plus de 21) : +2 »."""
    if reason.code in (risk.QUIET, risk.VERY_QUIET):
        limit = quiet_days if reason.code == risk.QUIET else 2 * quiet_days
        what = f"Aucune rencontre depuis {plural(reason.days or 0, 'jour')} ({limit}{NBSP}jours ou plus)"
    elif reason.code == risk.THINNING:
        what = (f"Les rencontres s’espacent{NBSP}: {plural(reason.days or 0, 'jour')} depuis l’avant-dernière, "
                f"contre {reason.value}{NBSP}jours d’habitude")
    elif reason.code == risk.UNHAPPY:
        what = f"Satisfaction basse au dernier point de suivi ({reason.value}/5)"
    elif reason.code == risk.LUKEWARM:
        what = f"Satisfaction moyenne au dernier point de suivi ({reason.value}/5)"
    elif reason.code == risk.NO_CHARTER:
        what = f"Accepté il y a {plural(reason.days or 0, 'jour')}, toujours sans charte signée"
    elif reason.code == risk.OVERBOOKED:
        what = f"Mentor en surréservation ({plural(reason.value or 0, 'tandem')} en cours)"
    else:
        what = reason.code
    return f"{what}{NBSP}: +{reason.points}"


def risk_text(assessed: risk.Risk, quiet_days: int = risk.QUIET_DAYS) -> str:
    """« À surveiller (4 points) : … ; … » — the level, the total, then every reason."""
    head = f"{LEVELS[assessed.level]} ({plural(assessed.points, 'point')})"
    if not assessed.reasons:
        return head
    return f"{head}{NBSP}: " + f"{NBSP}; ".join(reason_text(r, quiet_days) for r in assessed.reasons)
