"""Review suggestions one card at a time: → yes (a tandem is proposed), ← no (not suggested again for
this mentee), ↑ the score's detail, Ctrl+Z takes the last decision back.

Suggestions are computed by the worker; decisions are single small writes, made on the spot like a
form's save, so the next card shows at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from ..domain.errors import DomainError
from ..matching.features import person_name
from ..matching.suggest import Candidate
from ..services.matching import MatchingService
from ..texts.records import tandem_title
from .changes import ChangeBroadcaster
from .display import NBSP
from .match_card import (
    NOUNS,
    OTHER,
    Decision,
    DeckLoad,
    MatchCard,
    ScoreDetails,
    end_text,
    facts_of,
    load_deck,
    plural,
)
from .operations import Operations
from .tasks import TaskRunner
from .widgets import named_button

LOADING_TEXT = "Calcul des suggestions…"


class MatchDeck(QWidget):
    """The deck for one mentee (mentor cards) or one mentor (mentee cards)."""

    changed = Signal(str)  # a decision was written; the message is for the status bar
    close_requested = Signal()

    def __init__(self, service: MatchingService, runner: TaskRunner, kind: str, subject_id: str,
                 parent: QWidget | None = None, ops: Operations | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.ops = ops or Operations(runner, ChangeBroadcaster(self))
        self.writing = False  # an answer is being written (database lane): the next key waits for it
        self.kind = kind
        self.subject_id = subject_id
        self.setObjectName("match_deck")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.load: DeckLoad | None = None
        self.index = 0
        self.history: list[Decision] = []
        self.places: int | None = None
        self.card: MatchCard | None = None
        self.details: ScoreDetails | None = None
        self._generation = 0

        self.title_label = QLabel(self)
        self.title_label.setObjectName("title_label")
        self.title_label.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.title_label.setWordWrap(True)
        self.position_label = QLabel(self)
        self.position_label.setObjectName("position_label")
        self.position_label.setStyleSheet("font-size: 12pt; color: #555;")
        self.subtitle_label = QLabel(self)
        self.subtitle_label.setObjectName("subtitle_label")
        self.subtitle_label.setWordWrap(True)

        self.pages = QStackedWidget(self)
        self.card_area = QScrollArea(self.pages)
        self.card_area.setObjectName("card_area")
        self.card_area.setWidgetResizable(True)
        self.card_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.message_label = QLabel(LOADING_TEXT, self.pages)
        self.message_label.setObjectName("message_label")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("font-size: 11pt;")
        self.next_button = self._button("next_button", "Suggestions suivantes", "Calculer d’autres suggestions")
        self.next_button.clicked.connect(self.reload)
        message_page = QWidget(self.pages)
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addWidget(self.message_label)
        message_layout.addWidget(self.next_button, 0, Qt.AlignmentFlag.AlignLeft)
        message_layout.addStretch(1)
        self.pages.addWidget(self.card_area)
        self.pages.addWidget(message_page)
        self.pages.setMinimumWidth(560)
        self.pages.setMaximumWidth(660)
        self.card_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.no_button = self._button("no_button", "✗ Non", "Écarter cette suggestion (←)")
        self.details_button = self._button("details_button", "Détails", "Le détail du score, critère par critère (↑)")
        self.yes_button = self._button("yes_button", "✓ Oui", "Proposer ce tandem (→)")
        self.undo_button = self._button("undo_button", "Annuler", "Revenir sur la dernière décision (Ctrl+Z)")
        self.reset_button = self._button("reset_button", "Réinitialiser les refus",
                                         "Suggérer de nouveau les mentors écartés pour ce mentoré")
        self.close_button = self._button("close_button", "Fermer", "Revenir à la liste (Échap)")
        self.yes_action = self._action("Oui", Qt.Key.Key_Right, self.accept, self.yes_button)
        self.no_action = self._action("Non", Qt.Key.Key_Left, self.decline, self.no_button)
        self.details_action = self._action("Détails", Qt.Key.Key_Up, self.show_details, self.details_button)
        self.undo_action = self._action("Annuler", QKeySequence.StandardKey.Undo, self.undo, self.undo_button)
        self.reset_button.clicked.connect(self.reset_declines)
        self.close_button.clicked.connect(self.close_requested)
        self.reset_button.setVisible(kind == "mentee")
        self.yes_button.setStyleSheet("QPushButton:enabled { color: #1b7f3b; font-weight: 600; }")
        self.no_button.setStyleSheet("QPushButton:enabled { color: #b3261e; font-weight: 600; }")

        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.position_label, 0, Qt.AlignmentFlag.AlignTop)
        decisions = QHBoxLayout()
        decisions.addStretch(1)
        for button in (self.no_button, self.details_button, self.yes_button):
            button.setMinimumWidth(130)
            decisions.addWidget(button)
        decisions.addStretch(1)
        hint = QLabel(f"Clavier{NBSP}: → Oui, ← Non, ↑ Détails, Ctrl+Z Annuler, Échap Fermer", self)
        hint.setStyleSheet("color: #6b6b6b;")
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        bottom = QHBoxLayout()
        bottom.addWidget(self.undo_button)
        bottom.addWidget(self.reset_button)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.subtitle_label)
        layout.addWidget(self.pages, 1, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(decisions)
        layout.addWidget(hint)
        layout.addLayout(bottom)
        self.reload()

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        return named_button(self, name, text, tip)

    def _action(self, text: str, key: Any, slot: Any, button: QPushButton) -> QAction:
        """Keys work wherever the focus is in the deck (arrow keys beat the buttons' focus moves)."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        button.clicked.connect(slot)
        return action

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """(Re)compute the suggestions on the worker; decisions wait until they are back."""
        self._generation += 1
        generation = self._generation
        self.load = None
        self._show_message(LOADING_TEXT)
        self._update()
        service, kind, subject = self.service, self.kind, self.subject_id
        self.runner.submit(lambda: load_deck(service, kind, subject),
                           on_done=lambda load: self._loaded(generation, load),
                           on_error=lambda exc: self._failed(generation, exc))

    def _current(self, generation: int) -> bool:
        """An answer for the latest request, to a deck still on screen (it may be closed meanwhile)."""
        return generation == self._generation and Shiboken.isValid(self)

    def _loaded(self, generation: int, load: DeckLoad) -> None:
        if not self._current(generation):
            return
        self.load, self.index, self.history, self.places = load, 0, [], load.places
        self._show()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if self._current(generation):
            self._show_message(f"Suggestions impossibles{NBSP}: {exc}")
            self._update()

    @property
    def loading(self) -> bool:
        return self.load is None

    def subject_name(self) -> str:
        return person_name(self.load.subject) if self.load else ""

    def current(self) -> Candidate | None:
        """The candidate on screen, if any (none while loading or once the deck is done)."""
        if self.load is None or self._finished() or self.index >= len(self.load.suggestions.candidates):
            return None
        return self.load.suggestions.candidates[self.index]

    def _finished(self) -> bool:
        accepted = any(d.accepted for d in self.history)
        return (self.kind == "mentee" and accepted) or (self.places is not None and self.places <= 0 and accepted)

    # -- display ------------------------------------------------------------------------------

    def _show(self) -> None:
        assert self.load is not None
        name, (_, others) = self.subject_name(), NOUNS[OTHER[self.kind]]
        self.title_label.setText(f"Suggestions de {others} pour {name}")
        self.subtitle_label.setText(self._subject_facts())
        candidate = self.current()
        if candidate is not None:
            self.card = MatchCard(candidate, self.load.records[candidate.id])
            self.card_area.setWidget(self.card)  # the previous card is deleted by the scroll area
            self.pages.setCurrentWidget(self.card_area)
        else:
            self.card = None
            self._show_message(self._end_text())
        self._update()
        if not self.isAncestorOf(self.focusWidget()) and self.isVisible():
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _subject_facts(self) -> str:
        assert self.load is not None
        subject = self.load.subject
        facts = [*facts_of(self.kind, subject), subject.get("commune") or ""]
        if self.places is not None:
            facts.append(plural(self.places, "place libre", "places libres") if self.places else "aucune place libre")
        return " · ".join(f for f in facts if f)

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.pages.setCurrentIndex(1)

    def _end_text(self) -> str:
        assert self.load is not None
        return end_text(self.kind, self.subject_name(), self.load.suggestions, self.history, self._finished())

    def declined_count(self) -> int:
        if self.load is None or self.kind != "mentee":
            return 0
        stored = len(self.load.subject.get("declined_mentors") or [])
        return stored + sum(1 for d in self.history if not d.accepted)

    def _update(self) -> None:
        has = self.current() is not None
        for action, button in ((self.yes_action, self.yes_button), (self.no_action, self.no_button),
                               (self.details_action, self.details_button)):
            action.setEnabled(has)
            button.setEnabled(has)
        can_undo = bool(self.history) and not self.loading
        self.undo_action.setEnabled(can_undo)
        self.undo_button.setEnabled(can_undo)
        declined = self.declined_count()
        self.reset_button.setEnabled(declined > 0 and not self.loading)
        self.reset_button.setText(f"Réinitialiser les refus ({declined})" if declined else "Réinitialiser les refus")
        total = len(self.load.suggestions.candidates) if self.load else 0
        self.position_label.setText(f"{self.index + 1}{NBSP}/{NBSP}{total}" if has else "")
        found = self.load.suggestions if self.load else None
        self.next_button.setVisible(bool(found and not has and not self._finished()
                                         and found.possible > len(found.candidates)))

    # -- decisions ----------------------------------------------------------------------------

    def _pair(self, candidate: Candidate) -> tuple[str, str]:
        """(mentee id, mentor id) whatever the deck's subject."""
        return (self.subject_id, candidate.id) if self.kind == "mentee" else (candidate.id, self.subject_id)

    def _names(self, candidate: Candidate) -> tuple[str, str]:
        pair = (self.subject_name(), candidate.name)
        return pair if self.kind == "mentee" else (pair[1], pair[0])

    def _write(self, op: Any, title: str, done: Any) -> None:
        """An answer, written on the database lane; a refusal says why and changes nothing."""
        self.writing = True

        def written(changes: Any) -> None:
            self.writing = False
            done(changes)

        def refused(exc: BaseException) -> None:
            self.writing = False
            if not isinstance(exc, DomainError):
                self.runner.error.emit(exc)
                return
            QMessageBox.warning(self, title, f"{exc}\nRien n’a été modifié." if title != "Annulation impossible"
                                else str(exc))

        self.ops.write(op, parent=self).success(written).failure(refused).run()

    def accept(self) -> None:
        """Oui: the tandem is created at the « Proposé » step."""
        candidate = self.current()
        if candidate is None or self.writing:
            return
        service, pair, index = self.service, self._pair(candidate), self.index

        def done(changes: Any) -> None:
            self.history.append(Decision(True, index, candidate, changes.record_id))
            self.index = index + 1
            if self.places is not None:
                self.places -= 1
            mentee, mentor = self._names(candidate)
            self._show()
            self.changed.emit(f"Tandem proposé{NBSP}: {tandem_title(mentee, mentor)}.")

        self._write(lambda: service.accept(*pair), "Tandem non créé", done)

    def decline(self) -> None:
        """Non: this pair is not suggested again (the mentee's « Mentors écartés »)."""
        candidate = self.current()
        if candidate is None or self.writing:
            return
        service, pair, index = self.service, self._pair(candidate), self.index

        def done(_: Any) -> None:
            self.history.append(Decision(False, index, candidate))
            self.index = index + 1
            mentee, mentor = self._names(candidate)
            self._show()
            self.changed.emit(f"{mentor} ne sera plus suggéré·e pour {mentee}.")

        self._write(lambda: service.decline(*pair), "Refus non enregistré", done)

    def undo(self) -> None:
        """Ctrl+Z: the last decision is taken back and its card shows again."""
        if not self.history or self.loading or self.writing:
            return
        decision = self.history[-1]
        service, pair = self.service, self._pair(decision.candidate)
        if decision.accepted and decision.tandem_id:
            tandem_id = decision.tandem_id
            op = lambda: service.undo_accept(tandem_id)  # noqa: E731
        else:
            op = lambda: service.undo_decline(*pair)  # noqa: E731

        def done(_: Any) -> None:
            self.history.pop()
            self.index = decision.index
            if decision.accepted and self.places is not None:
                self.places += 1
            mentee, mentor = self._names(decision.candidate)
            what = "Tandem retiré" if decision.accepted else "Refus annulé"
            self._show()
            self.changed.emit(f"{what}{NBSP}: {tandem_title(mentee, mentor)}.")

        self._write(op, "Annulation impossible", done)

    def show_details(self) -> None:
        candidate = self.current()
        if candidate is None:
            return
        if self.details is not None:
            self.details.close()
        self.details = ScoreDetails(candidate, self)
        self.details.open()

    def reset_declines(self) -> None:
        """Every mentor once declined for this mentee may be suggested again (asks first)."""
        count = self.declined_count()
        if self.kind != "mentee" or not count or self.loading:
            return
        question = (f"{plural(count, 'mentor écarté', 'mentors écartés')} pour {self.subject_name()} "
                    f"{'pourra' if count == 1 else 'pourront'} de nouveau être suggéré{'s' if count > 1 else ''}. "
                    f"Continuer{NBSP}?")
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        if QMessageBox.question(self, "Réinitialiser les refus", question, buttons,
                                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            return
        service, subject = self.service, self.subject_id

        def done(_: Any) -> None:
            self.changed.emit(f"Refus réinitialisés pour {self.subject_name()}.")
            self.reload()

        self._write(lambda: service.reset_declines(subject), "Refus non réinitialisés", done)
