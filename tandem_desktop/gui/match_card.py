"""One suggested person as a card (initials, who they are, score, reasons), the score's detail, and
the review deck's data and end texts.

Shared by the review deck for a mentee (mentor cards) and for a mentor (mentee cards): the
candidate's kind decides which facts are shown.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.consent import STATE_LABELS
from ..domain.kinds import KINDS
from ..matching.criteria import CONSTRAINT_BY_CODE
from ..matching.explain import Contribution, km_text
from ..matching.suggest import Candidate, Suggestions
from ..services.matching import MatchingService
from ..texts.records import tandem_title
from .display import NBSP, NNBSP, display_value, number

FOR_COLOUR, AGAINST_COLOUR, NEUTRAL_COLOUR = "#1b7f3b", "#b3261e", "#6b6b6b"
MARKS = {"pour": ("✓", FOR_COLOUR), "contre": ("✗", AGAINST_COLOUR), "neutre": ("·", NEUTRAL_COLOUR)}
BADGE_COLOURS = ("#3f6ea8", "#7a5195", "#2e7d6b", "#b5651d", "#8c4b5d", "#4d6b2e")
BADGE_SIZE = 64
# What tells two candidates apart at a glance, after the name.
FACTS = {"mentor": ("employer", "trade"), "mentee": ("project_type", "trade")}


def decimal(value: float, digits: int = 1) -> str:
    """« 5 862,1 »: French decimal comma, narrow no-break space between thousands."""
    return f"{value:,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def score_text(score: float) -> str:
    return f"{decimal(score)}{NBSP}/{NBSP}100"


def initials(name: str) -> str:
    """« Hélène Dupont » → « HD »; « Jean-Marc El Amrani » → « JE » (first name, then first surname)."""
    words = name.split()
    return "".join(w[0] for w in words[:2]).upper() or "?"


def facts_of(kind: str, record: dict[str, Any]) -> list[str]:
    spec = KINDS[kind]
    return [text for name in FACTS[kind] if (text := display_value(spec.by_name[name], record))]


def place_text(record: dict[str, Any], km: float | None) -> str:
    commune = record.get("commune") or "Commune non renseignée"
    return f"{commune}, à {km_text(km)}" if km is not None else f"{commune} (distance inconnue)"


def excluded_lines(excluded: dict[str, int], consent: dict[str, int] | None = None) -> list[str]:
    """« Plus de place chez ce mentor : 211 », most frequent first, with the constraints' labels;
    `consent` splits « no_consent » by the candidates' states (« Consentement retiré : 2 »…)."""
    labelled = {CONSTRAINT_BY_CODE[code].label if code in CONSTRAINT_BY_CODE else code: n
                for code, n in excluded.items() if not (consent and code == "no_consent")}
    for state, n in (consent or {}).items():
        labelled[STATE_LABELS[state]] = labelled.get(STATE_LABELS[state], 0) + n
    ranked = sorted(labelled.items(), key=lambda item: (-item[1], item[0]))
    return [f"{label}{NBSP}: {number(n)}" for label, n in ranked if n]


def _label(text: str, parent: QWidget, name: str = "", style: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    if style:
        label.setStyleSheet(style)
    return label


class MatchCard(QFrame):
    """The card of one candidate; `reason_lines` lists what it says, for tests and screen readers."""

    def __init__(self, candidate: Candidate, record: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.candidate = candidate
        self.setObjectName("match_card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#match_card { background: palette(base); border: 1px solid palette(mid);"
                           " border-radius: 10px; }")
        colour = BADGE_COLOURS[zlib.crc32(candidate.id.encode()) % len(BADGE_COLOURS)]
        self.badge = QLabel(initials(candidate.name), self)
        self.badge.setObjectName("initials_badge")
        self.badge.setFixedSize(BADGE_SIZE, BADGE_SIZE)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setStyleSheet(f"background: {colour}; color: white; border-radius: {BADGE_SIZE // 2}px;"
                                 " font-size: 20pt; font-weight: 600;")
        self.name_label = _label(candidate.name, self, "name_label", "font-size: 12pt; font-weight: 600;")
        self.facts_label = _label(" · ".join(facts_of(candidate.kind, record)) or "—", self, "facts_label")
        self.place_label = _label(place_text(record, candidate.distance_km), self, "place_label",
                                  f"color: {NEUTRAL_COLOUR};")
        who = QVBoxLayout()
        who.setSpacing(2)
        for label in (self.name_label, self.facts_label, self.place_label):
            who.addWidget(label)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(who, 1)

        self.score_bar = QProgressBar(self)
        self.score_bar.setObjectName("score_bar")
        self.score_bar.setRange(0, 100)
        self.score_bar.setValue(round(candidate.score))
        self.score_bar.setFormat(score_text(candidate.score))
        self.score_bar.setTextVisible(True)
        self.score_bar.setAccessibleName(f"Score{NBSP}: {score_text(candidate.score)}")
        score_row = QHBoxLayout()
        score_row.addWidget(QLabel("Adéquation", self))
        score_row.addWidget(self.score_bar, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(score_row)
        self.reason_lines: list[str] = []
        ordered = [*candidate.reasons_for, *candidate.reasons_against,
                   *(c for c in candidate.contributions if c.polarity == "neutre")]
        for contribution in ordered:
            mark, colour = MARKS[contribution.polarity]
            line = f"{mark} {contribution.text}"
            self.reason_lines.append(line)
            label = _label(line, self, f"reason_{contribution.code}", f"color: {colour};")
            label.setToolTip(f"{contribution.label}{NBSP}: {decimal(contribution.points)} points")
            layout.addWidget(label)
        layout.addStretch(1)


class ScoreDetails(QDialog):
    """Every criterion with its points; the lines add up to the score, so the total line is shown."""

    def __init__(self, candidate: Candidate, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("score_details")
        self.setWindowTitle(f"Détail du score — {candidate.name}")
        contributions: list[Contribution] = candidate.contributions
        self.table = QTableWidget(len(contributions) + 1, 3, self)
        self.table.setObjectName("details_table")
        self.table.setHorizontalHeaderLabels(["Critère", "Points", "Explication"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Échap and Entrée go to the dialog
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for row, contribution in enumerate(contributions):
            mark, colour = MARKS[contribution.polarity]
            self._set(row, (contribution.label, decimal(contribution.points), f"{mark} {contribution.text}"))
            self.table.item(row, 2).setForeground(QBrush(QColor(colour)))
        total = len(contributions)
        self._set(total, ("Total", decimal(candidate.score), f"Score{NBSP}: {score_text(candidate.score)}"))
        font = self.table.font()
        font.setBold(True)
        for column in range(3):
            self.table.item(total, column).setFont(font)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Row heights follow the explanation column's width: wrapped text, no tall empty rows.
        header.sectionResized.connect(lambda *_: QTimer.singleShot(0, self.table, self.table.resizeRowsToContents))
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 10)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        intro = QLabel("Chaque critère apporte des points selon son poids dans les réglages\u00a0; "
                       "leur somme fait le score.", self)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(780, 400)

    def _set(self, row: int, texts: tuple[str, str, str]) -> None:
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if column == 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)

    def points(self) -> list[str]:
        """The points column as shown, criteria then the total (what the counsellor reads)."""
        return [self.table.item(row, 1).text() for row in range(self.table.rowCount())]


# -- the deck's data (loaded by the worker) and its end texts ----------------------------------

DECK_SIZE = 20
OTHER = {"mentee": "mentor", "mentor": "mentee"}
NOUNS = {"mentor": ("mentor", "mentors"), "mentee": ("mentoré·e", "mentorés")}


@dataclass(frozen=True)
class DeckLoad:
    """What the worker hands back: plain values only."""

    subject: dict[str, Any]
    suggestions: Suggestions
    records: dict[str, dict[str, Any]]  # candidate id -> record
    places: int | None  # a mentor subject's places left


@dataclass(frozen=True)
class Decision:
    accepted: bool
    index: int
    candidate: Candidate
    tandem_id: str | None = None


def load_deck(service: MatchingService, kind: str, subject_id: str, top: int = DECK_SIZE) -> DeckLoad:
    """Runs on the worker: the suggestions and the records their cards show."""
    subject = service.store.get(kind, subject_id)
    if kind == "mentee":
        found = service.suggest_for_mentee(subject_id, top)
    else:
        found = service.suggest_for_mentor(subject_id, top)
    records = {c.id: service.store.get(c.kind, c.id) for c in found.candidates}
    places = None
    if kind == "mentor":
        data = service.data()
        places = int(data.remaining[data.mentors.row[subject_id]]) if subject_id in data.mentors.row else 0
    return DeckLoad(subject, found, records, places)


def plural(n: int, one: str, many: str) -> str:
    return f"{number(n)} {one if n <= 1 else many}"


def end_text(kind: str, name: str, found: Suggestions, history: list[Decision], finished: bool) -> str:
    """Why the deck is over: a tandem was proposed, the mentor is full, or nobody else fits (and why)."""
    accepted = [d for d in history if d.accepted]
    if kind == "mentee" and accepted:
        return (f"Tandem proposé{NBSP}: {tandem_title(name, accepted[-1].candidate.name)}.\n"
                f"Il figure dans la liste des tandems, à l’étape «{NBSP}Proposé{NBSP}».\n"
                "Ctrl+Z pour revenir sur cette décision.")
    if finished:
        return (f"Plus de place chez {name}{NBSP}: {plural(len(accepted), 'tandem proposé', 'tandems proposés')}.\n"
                "Ctrl+Z pour revenir sur la dernière décision.")
    one, many = NOUNS[OTHER[kind]]
    if found.subject_consent:  # their own consent keeps them out, whoever the candidates are
        reason = found.subject_consent[:1].lower() + found.subject_consent[1:]
        return (f"Aucune suggestion pour {name}{NBSP}: {reason}.\n"
                f"Sans consentement en cours, aucun {one} ne peut lui être proposé{NBSP}: mettez à jour le "
                "consentement sur sa fiche.")
    if kind == "mentor" and found.excluded.get("no_capacity") and not found.possible:
        return f"Plus de place chez {name}{NBSP}: toutes ses places sont prises par des tandems en cours."
    lines = [f"Plus de suggestion pour {name}."]
    unseen = found.possible - len(found.candidates)
    if unseen > 0:
        lines.append(f"{plural(unseen, f'autre {one} possible', f'autres {many} possibles')}"
                     f"{NBSP}: «{NBSP}Suggestions suivantes{NBSP}» les affiche.")
    excluded = dict(found.excluded)
    declined = sum(1 for d in history if not d.accepted)
    if declined:
        excluded["declined"] = excluded.get("declined", 0) + declined
    if shown := excluded_lines(excluded, found.excluded_consent):
        lines.append(f"\n{many.capitalize()} écartés (un même {one} peut l’être pour plusieurs raisons){NBSP}:")
        lines.extend(f"• {line}" for line in shown)
    return "\n".join(lines)
