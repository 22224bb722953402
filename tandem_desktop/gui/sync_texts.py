"""French wording of the sync state: times, flags, mismatches (plurals and numbers: texts.french).

Plain functions without widgets, so the status bar, the dialogs and the tests read the same texts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..domain.kinds import KINDS
from ..texts.french import NBSP, number, plural

PHASES = {
    "hello": "connexion", "handshake": "connexion", "connect": "connexion",
    "push": "envoi", "pull": "réception", "apply": "réception",
    "index": "classement des listes",
    "summary": "vérification", "verify": "vérification", "check": "vérification",
    "charters": "chartes",
}


# What the status bar says of a sync that failed for a reason other than the network (by error class
# name, as gui/sync_service.classify does): never a green « En ligne » while every sync fails. Each
# has its short state and what to do, said first so a narrow status bar still shows it.
FAILURES = {
    "TokenLocked": ("Trousseau verrouillé", "déverrouillez-le (ouvrez votre session, ou l’application Trousseaux)"
                    f"{NBSP}; la synchronisation reprendra d’elle-même"),
    "TokenUnreachable": ("Trousseau injoignable", "ouvrez une session graphique normale, puis réessayez"),
    "TokenMissing": ("Jeton du poste introuvable", "reliez ce poste au hub (Fichier › Connexion au hub…)"),
    "AuthenticationFailed": ("Refusé par le hub", "reliez ce poste de nouveau (Fichier › Connexion au hub…)"),
}
FAILURE_LABELS = {name: label for name, (label, _advice) in FAILURES.items()}
MSG_SYNC_FAILING = "Synchronisation en échec"


def failure_label(exc: BaseException) -> str:
    """« Trousseau verrouillé », « Synchronisation en échec »…: the short state; details in the tooltip."""
    for cls in type(exc).__mro__:
        if cls.__name__ in FAILURE_LABELS:
            return FAILURE_LABELS[cls.__name__]
    return MSG_SYNC_FAILING


def failure_summary(label: str, message: str) -> tuple[str, str]:
    """(status bar text, detail) of a failed sync: « Trousseau verrouillé : déverrouillez-le… » first,
    the whole explanation as the detail; a failure without advice is its message."""
    advice = next((advice for known, advice in FAILURES.values() if known == label), "")
    return (f"{label}{NBSP}: {advice}.", message) if advice else (message, "")


def report_text(report: Any) -> str:
    """« 1 modification refusée par le hub (voir « Conflits »). Synchronisation terminée : 0 modification
    envoyée, 2 mises à jour reçues. »: what needs the counsellor first, then the counts."""
    problems = []
    if report.refused:
        problems.append(plural(report.refused, "modification refusée par le hub", "modifications refusées par le hub"))
    if report.conflicts_new:
        problems.append(plural(report.conflicts_new, "nouveau conflit", "nouveaux conflits"))
    counts = (f"{plural(report.pushed, 'modification envoyée', 'modifications envoyées')}, "
              f"{plural(report.pulled, 'mise à jour reçue', 'mises à jour reçues')}")
    charters = getattr(report, "charters", None) or {}
    moved = [(charters.get("announced") or 0, "charte envoyée", "chartes envoyées"),
             (charters.get("received") or 0, "charte reçue", "chartes reçues")]
    counts += "".join(f", {plural(n, one, many)}" for n, one, many in moved if n)
    done = f"Synchronisation terminée{NBSP}: {counts}."
    if charters.get("deferred"):
        done += f" Fichiers de chartes{NBSP}: la suite à la prochaine synchronisation."
    if charters.get("refused"):
        done = (plural(charters["refused"], "charte refusée par le hub", "chartes refusées par le hub")
                + f" (le motif est affiché dans son groupe «{NBSP}Charte{NBSP}»). " + done)
    if not problems:
        return done
    return f"{', '.join(problems)} (voir «{NBSP}Conflits{NBSP}»). {done}"


def pending_text(n: int) -> str:
    if n <= 0:
        return "Aucune modification en attente"
    return plural(n, "modification en attente", "modifications en attente")


def conflicts_text(n: int) -> str:
    return plural(n, "conflit") if n > 0 else "Aucun conflit"


def to_local(value: Any) -> datetime | None:
    """A datetime (or ISO 8601 text, or epoch seconds) in the computer's time zone; None if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the protocol's times are UTC
    return moment.astimezone()


def last_sync_text(value: Any, today: date | None = None) -> str:
    """« Dernière synchro : 14:32 » today, « … : 25/11 à 14:32 » before, « … : jamais » if never."""
    moment = to_local(value)
    label = f"Dernière synchro{NBSP}: "
    if moment is None:
        return label + "jamais"
    if moment.date() == (today or date.today()):
        return label + moment.strftime("%H:%M")
    return label + moment.strftime("%d/%m/%Y") + " à " + moment.strftime("%H:%M")


def moment_text(value: Any) -> str:
    """« 26/11/2026 14:32 » for tables."""
    moment = to_local(value)
    return moment.strftime("%d/%m/%Y %H:%M") if moment is not None else ""


def phase_text(phase: str, done: int, total: int | None) -> str:
    """« Synchronisation… envoi 120/500 »."""
    word = PHASES.get(phase, phase)
    if total:
        return f"Synchronisation… {word} {number(done)}/{number(total)}"
    if done:
        return f"Synchronisation… {word} ({number(done)})"
    return f"Synchronisation… {word}" if word else "Synchronisation…"


def flag_tandems(flag: dict[str, Any]) -> int:
    tandems = flag.get("tandems")
    if isinstance(tandems, list | tuple | set):
        return len(tandems)
    try:
        return int(tandems or 0)
    except (TypeError, ValueError):
        return 0


def flag_detail(flag: dict[str, Any]) -> str:
    """« 3 tandems en cours pour une capacité de 2 »."""
    capacity = flag.get("capacity")
    capacity_text = number(int(capacity)) if isinstance(capacity, int) else "?"
    return (f"{plural(flag_tandems(flag), 'tandem en cours', 'tandems en cours')} "
            f"pour une capacité de {capacity_text}")


def flags_text(flags: list[dict[str, Any]]) -> str:
    """The status bar's overbooking warning (short), or '' when no flag is open."""
    if not flags:
        return ""
    if len(flags) == 1:
        return f"Mentor en surréservation{NBSP}: {flags[0].get('mentor_name') or '—'}"
    return f"{number(len(flags))}{NBSP}mentors en surréservation"


def flags_detail(flags: list[dict[str, Any]]) -> str:
    """One line per overbooked mentor, for the tooltip."""
    return "\n".join(f"{f.get('mentor_name') or '—'}{NBSP}: {flag_detail(f)}" for f in flags)


def mentor_warning(flag: dict[str, Any]) -> str:
    """The line on the mentor's page."""
    return (f"⚠ Mentor en surréservation{NBSP}: {flag_detail(flag)}, toutes structures confondues "
            f"(signalé par le hub). Voyez avec les structures concernées quel tandem garder.")


def kind_plural(kind: str) -> str:
    spec = KINDS.get(kind)
    return spec.plural.lower() if spec is not None else kind


def _count(side: Any) -> Any:
    return side.get("count") if isinstance(side, dict) else side


def mismatch_text(mismatches: dict[str, Any] | None) -> str:
    """« Écart avec le hub : mentors, tandems » (short, for the status bar)."""
    if not mismatches:
        return ""
    return f"Écart avec le hub{NBSP}: {', '.join(kind_plural(kind) for kind in sorted(mismatches))}"


def mismatch_detail(mismatches: dict[str, Any] | None) -> str:
    """« Mentors : 12 ici, 13 au hub » per kind, for the tooltip."""
    lines = ["Après la dernière synchronisation, ces fiches diffèrent entre ce poste et le hub" + NBSP + ":"]
    for kind, detail in sorted((mismatches or {}).items()):
        mine, theirs = (_count(detail.get("local")), _count(detail.get("hub"))) if isinstance(detail, dict) else (0, 0)
        if isinstance(mine, int) and isinstance(theirs, int) and mine != theirs:
            lines.append(f"– {kind_plural(kind)}{NBSP}: {number(mine)} ici, {number(theirs)} au hub")
        else:
            lines.append(f"– {kind_plural(kind)}{NBSP}: même nombre, contenu différent")
    lines.append("La prochaine synchronisation devrait les réaligner.")
    return "\n".join(lines)


def report_notice(report: Any) -> tuple[str, str]:
    """(short text, detail) for what the last sync left behind besides mismatches: writes kept to be
    sent again, writes set aside as too large, a comparison put off. ('', '') when none."""
    if report is None:
        return "", ""
    kept, aside = int(getattr(report, "kept", 0) or 0), int(getattr(report, "set_aside", 0) or 0)
    parts, details = [], []
    if aside:
        parts.append(plural(aside, "modification mise de côté", "modifications mises de côté"))
        details.append(f"Trop volumineuses pour le hub{NBSP}: elles sont gardées dans «{NBSP}Conflits{NBSP}», "
                       "à raccourcir puis renvoyer. Les suivantes sont parties.")
    if kept:
        parts.append(plural(kept, "modification à renvoyer", "modifications à renvoyer"))
        reason = str(getattr(report, "kept_reason", "") or "")
        details.append("Le hub ne les a pas encore prises" + (f" ({reason.rstrip('. ')})" if reason else "")
                       + f"{NBSP}: elles restent sur ce poste et repartent à la prochaine synchronisation.")
    note = str(getattr(report, "check_note", "") or "")
    if note:
        details.append(note)
    return " · ".join(parts), "\n".join(details)


def check_warning(report: Any) -> tuple[str, str]:
    """The status bar's warning after a sync: writes set aside or kept (which explain a difference
    with the hub), then a mismatch with the hub."""
    mismatches = getattr(report, "mismatches", None) if report is not None else None
    notice, detail = report_notice(report)
    texts = [t for t in (notice, mismatch_text(mismatches)) if t]
    details = [d for d in (detail, mismatch_detail(mismatches) if mismatches else "") if d]
    return " · ".join(texts), "\n".join(details)
