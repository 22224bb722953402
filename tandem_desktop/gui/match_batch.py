"""« Proposition groupée »: one mentor for many waiting mentees at once.

The run goes to the worker with progress and a stop button; nothing is written until the
counsellor accepts the ticked pairs, all in one transaction (all are created or none).
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QLocale, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.errors import ValidationError
from ..matching.assign import Cancelled
from ..matching.propose import Pair, Proposal, summary
from ..services.matching import MatchingService
from ..services.records import Changes
from ..texts import french
from .changes import ChangeBroadcaster
from .display import NBSP, number
from .match_card import plural
from .match_models import CHECK, MENTEE, MENTOR, REASONS, SCORE, PairModel, UnmatchedModel
from .operations import Operations
from .tasks import Lane, TaskRunner
from .widgets import row_table

MODES = (("best", "Meilleure adéquation"), ("most", "Le plus de mentorés possible"))
STAGES = {"constraints": "Vérification des contraintes de chaque paire…", "score": "Calcul des scores…",
          "solve": "Recherche de la meilleure répartition…",
          "explain": "Explication des paires…", "done": "Mise en forme…"}


class _Progress(QObject):
    """Lives on the GUI thread: the worker emits, Qt queues the call to the page's slot."""

    changed = Signal(str, int, int)


class MatchBatchView(QWidget):
    """Controls, progress, the pairs to tick and the mentees left unmatched."""

    data_changed = Signal(str)
    message = Signal(str)
    count_changed = Signal(str)

    def __init__(self, service: MatchingService, runner: TaskRunner, parent: QWidget | None = None,
                 ops: Operations | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.ops = ops or Operations(runner, ChangeBroadcaster(self))
        self.setObjectName("match_batch")
        self.proposal: Proposal | None = None
        self.count_text = ""
        self._cancel: threading.Event | None = None
        self._busy = ""  # "compute" / "accept" while the worker has our job
        self._stale = False
        self._generation = 0
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)

        title = QLabel("Proposition groupée", self)
        title.setObjectName("title_label")
        title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        intro = QLabel("Un mentor pour chaque mentoré·e en attente, au mieux pour tous et dans la limite des places "
                       f"de chaque mentor. Rien n’est créé avant «{NBSP}Accepter la sélection{NBSP}».", self)
        intro.setWordWrap(True)
        self.min_score = QDoubleSpinBox(self)
        self.min_score.setObjectName("min_score")
        self.min_score.setRange(0, 100)
        self.min_score.setDecimals(1)
        self.min_score.setSingleStep(5)
        self.min_score.setSuffix(f"{NBSP}/{NBSP}100")
        self.min_score.setLocale(QLocale(QLocale.Language.French, QLocale.Country.France))  # « 35,0 »
        self.mode = QComboBox(self)
        self.mode.setObjectName("mode")
        for value, label in MODES:
            self.mode.addItem(label, value)
        self.spread = QCheckBox("Répartir la charge", self)
        self.spread.setObjectName("spread")
        self.spread.setToolTip("Préférer plusieurs mentors peu chargés à un seul mentor très sollicité")
        self.compute_button = self._button("compute_button", "Calculer la proposition", self.compute)
        self.stop_button = self._button("stop_button", "Arrêter", self.stop)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("status_label")
        self.status_label.setWordWrap(True)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("summary_label")
        self.summary_label.setStyleSheet("font-size: 11pt; font-weight: 600;")

        self.pairs = PairModel(self)
        self.pairs_table = row_table(self, "pairs_table", self.pairs)
        header = self.pairs_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(REASONS, QHeaderView.ResizeMode.Stretch)
        for column, width in ((CHECK, 34), (MENTEE, 190), (MENTOR, 190), (SCORE, 70)):
            self.pairs_table.setColumnWidth(column, width)
        self.unmatched = UnmatchedModel(self)
        self.unmatched_table = row_table(self, "unmatched_table", self.unmatched)
        self.unmatched_table.setColumnWidth(0, 220)
        self.unmatched_table.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.pairs_table, "Paires proposées")
        self.tabs.addTab(self.unmatched_table, "Sans mentor")
        self._table_action("Cocher ou décocher (Espace)", Qt.Key.Key_Space,
                           lambda: self.pairs.toggle(self.pairs_table.currentIndex().row()))
        self._table_action("Tout cocher (Ctrl+A)", "Ctrl+A", lambda: self.pairs.tick_all(True))
        self._table_action("Tout décocher (Ctrl+Maj+A)", "Ctrl+Shift+A", lambda: self.pairs.tick_all(False))
        self.pairs.dataChanged.connect(self._update)
        self.pairs.modelReset.connect(self._update)
        self.accept_button = self._button("accept_button", "Accepter la sélection", self.accept_selection)
        self.accept_button.setToolTip("Créer les tandems cochés, à l’étape «\u00a0Proposé\u00a0»")
        hint = QLabel(f"Espace{NBSP}: cocher ou décocher la ligne · Ctrl+A{NBSP}: tout cocher · "
                      f"Ctrl+Maj+A{NBSP}: tout décocher", self)
        hint.setStyleSheet("color: #6b6b6b;")

        controls = QHBoxLayout()
        for widget in (QLabel(f"Score minimum{NBSP}:", self), self.min_score, QLabel(f"Mode{NBSP}:", self),
                       self.mode, self.spread):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.compute_button)
        controls.addWidget(self.stop_button)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.status_label, 2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.accept_button)
        bottom.addWidget(hint, 1)
        layout = QVBoxLayout(self)
        for item in (title, intro):
            layout.addWidget(item)
        layout.addLayout(controls)
        layout.addLayout(running)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.load_settings()
        self._status(f"Réglez le score minimum et le mode, puis «{NBSP}Calculer la proposition{NBSP}».")
        self._update()

    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _table_action(self, text: str, key: Any, slot: Any) -> None:
        action = QAction(text, self.pairs_table)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.pairs_table.addAction(action)

    def load_settings(self) -> None:
        """The saved minimum score and load spreading become the controls' starting values."""
        settings = self.service.settings()
        self.min_score.setValue(settings.min_score * 100)
        self.spread.setChecked(settings.spread)

    # -- computing ----------------------------------------------------------------------------

    def compute(self) -> None:
        """Run the proposal on the CPU lane (it reads through its own connection, never holding the
        database lane); its progress comes back through a queued signal."""
        if self._busy:
            return
        cancel = threading.Event()
        self._cancel = cancel
        self._generation += 1
        generation = self._generation
        options = {"min_score": self.min_score.value() / 100, "mode": self.mode.currentData(),
                   "spread": self.spread.isChecked()}
        service, report = self.service, self._progress.changed.emit
        self._busy = "compute"
        self.progress.setValue(0)
        self._status("Calcul en cours…")
        self._update()
        self.runner.submit(lambda: service.propose(progress=report, cancel=cancel.is_set, **options),
                           on_done=lambda proposal: self._computed(generation, proposal),
                           on_error=lambda exc: self._compute_failed(generation, exc), lane=Lane.CPU)

    def stop(self) -> None:
        if self._busy == "compute" and self._cancel is not None:
            self._cancel.set()
            self._status("Arrêt en cours…")
            self.stop_button.setEnabled(False)

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self._busy == "compute" and not (self._cancel and self._cancel.is_set()):
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self._status(STAGES.get(stage, "Calcul en cours…"))

    def _computed(self, generation: int, proposal: Proposal) -> None:
        if generation != self._generation:
            return
        if self._cancel is not None and self._cancel.is_set():  # stopped, even if it ended just in time
            self._compute_failed(generation, Cancelled())
            return
        self._busy = ""
        self.proposal, self._stale = proposal, False
        self.pairs.set_pairs(proposal.pairs)
        self.unmatched.set_rows(proposal.unmatched)
        self.progress.setValue(self.progress.maximum())
        self._update()
        self._status(proposal.notice or f"Proposition calculée. Décochez les paires à écarter, puis "
                     f"«{NBSP}Accepter la sélection{NBSP}».")
        self.pairs_table.setFocus()
        if proposal.pairs:
            self.pairs_table.setCurrentIndex(self.pairs.index(0, MENTEE))

    def _compute_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._busy = ""
        self.progress.setValue(0)
        if isinstance(exc, Cancelled):
            kept = f"{NBSP}; la proposition précédente est conservée." if self.proposal else "."
            self._status(f"Calcul arrêté{kept}")
        else:
            self._status("Calcul impossible.")
            QMessageBox.warning(self, "Calcul impossible", f"La proposition n’a pas pu être calculée{NBSP}: {exc}")
        self._update()

    def mark_stale(self) -> None:
        """Records changed elsewhere: the pairs on screen may no longer hold, so compute again first."""
        if self.proposal is not None and self._busy != "accept":
            self._stale = True
            self._status(f"Les fiches ont changé depuis ce calcul{NBSP}: relancez-le avant d’accepter.")
            self._update()

    # -- accepting ----------------------------------------------------------------------------

    def accept_selection(self) -> None:
        """The ticked pairs become tandems in one transaction, on the database lane (then broadcast)."""
        chosen = self.pairs.ticked_pairs()
        if not chosen or self._busy or self._stale:
            return
        ids = [(p.mentee_id, p.mentor_id) for p in chosen]
        service = self.service
        self._busy = "accept"
        self._status(f"Création de {plural(len(chosen), 'tandem', 'tandems')}…")
        self._update()
        self.ops.write(lambda: service.accept_pairs(ids), parent=self).success(
            lambda changes: self._accepted(chosen, changes)).failure(lambda exc: self._accept_failed(chosen, exc)).run()

    def _accepted(self, chosen: list[Pair], changes: Changes) -> None:
        created = changes.created_ids("tandem")
        self._busy = ""
        self.pairs.remove(chosen)
        text = f"{plural(len(created), 'tandem créé', 'tandems créés')}, à l’étape «{NBSP}Proposé{NBSP}»."
        self._status(text)
        self.message.emit(text)
        self.data_changed.emit("tandem")

    def _accept_failed(self, chosen: list[Pair], exc: BaseException) -> None:
        self._busy = ""
        reason = "\n".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
        for pair in chosen:  # names, not identifiers, for the counsellor
            reason = reason.replace(pair.mentor_id, pair.mentor_name).replace(pair.mentee_id, pair.mentee_name)
        self._status("Aucun tandem créé.")
        self._update()
        QMessageBox.warning(self, "Tandems non créés",
                            f"Aucun tandem n’a été créé{NBSP}: {reason}\n\nRelancez le calcul pour une proposition "
                            "à jour, puis acceptez de nouveau.")

    # -- display ------------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.status_label.setText(text)

    def summary_text(self) -> str:
        """« 83 paires proposées, score moyen 70,6 sur 100 (somme des scores 5 862,1) ; 984 mentorés sans
        mentor » for what the tables show."""
        return "" if self.proposal is None else summary(self.pairs.pairs, len(self.unmatched.rows))

    def _update(self) -> None:
        busy = bool(self._busy)
        self.compute_button.setEnabled(not busy)
        self.stop_button.setEnabled(self._busy == "compute" and not (self._cancel and self._cancel.is_set()))
        for widget in (self.min_score, self.mode, self.spread):
            widget.setEnabled(not busy)
        ticked = len(self.pairs.ticked_pairs())
        self.accept_button.setEnabled(bool(ticked) and not busy and not self._stale)
        self.accept_button.setText(f"Accepter la sélection ({french.plural(ticked, 'paire cochée', 'paires cochées')})"
                                   if ticked else "Accepter la sélection")
        self.tabs.setTabText(0, f"Paires proposées ({number(len(self.pairs.pairs))})")
        self.tabs.setTabText(1, f"Sans mentor ({number(len(self.unmatched.rows))})")
        self.summary_label.setText(self.summary_text())
        if self.summary_label.text() != self.count_text:
            self.count_text = self.summary_label.text()
            self.count_changed.emit(self.count_text)
