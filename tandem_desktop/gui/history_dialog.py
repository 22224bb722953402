"""« Historique des modifications » of a record: who changed which field, from what to what, when.

The hub is asked on the network lane (GET /v1/history), then its rows are kept and read on the
database lane (services/history.py); offline, or before enrollment, the dialog shows what this
device knows and says so above the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ..domain.errors import DomainError
from ..services.history import History, HistoryLine, record_history
from ..store.repository import Store
from .display import NBSP
from .rows_model import RowsModel
from .tasks import Lane, TaskRunner

COLUMNS = ("Date", "Par", "Action", "Champ", "Avant", "Après")
Fetch = Callable[[str, str], Any]


def _cells(line: HistoryLine) -> tuple[str, ...]:
    when = line.when + (f"{NBSP}(en attente d’envoi)" if line.pending else "")
    return (when, line.who, line.action, line.field, line.before, line.after)


class HistoryDialog(QDialog):
    """Opened from a record's form; loads in the background, never blocks the window."""

    def __init__(self, store: Store, runner: TaskRunner, kind: str, record_id: str, title: str,
                 fetch: Fetch | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("history_dialog")
        self.setWindowTitle(f"Historique — {title}")
        self.store, self.runner, self.kind, self.record_id, self.fetch = store, runner, kind, record_id, fetch
        layout = QVBoxLayout(self)
        self.note = QLabel("Chargement de l’historique…", self)
        self.note.setObjectName("history_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.model: RowsModel[HistoryLine] = RowsModel(COLUMNS, _cells, self)
        self.table = QTableView(self)
        self.table.setObjectName("history_table")
        self.table.setModel(self.model)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 420)
        self.history: History | None = None

    def load(self) -> None:
        """Ask the hub (network lane), then keep and read (database lane)."""
        if self.fetch is None or not self.store.remote.state().get("device_id"):
            self._read(None)
            return
        fetch, kind, record_id = self.fetch, self.kind, self.record_id

        def ask() -> Any:
            try:
                return fetch(kind, record_id)
            except DomainError as exc:
                return exc

        self.runner.submit(ask, self._read, self._failed, lane=Lane.NETWORK)

    def _read(self, answer: Any) -> None:
        store, kind, record_id = self.store, self.kind, self.record_id

        def fetched(_kind: str, _record_id: str) -> Any:
            if isinstance(answer, BaseException):
                raise answer
            return answer

        use = None if answer is None else fetched
        self.runner.submit(lambda: record_history(store, kind, record_id, use), self._show, self._failed)

    def _show(self, history: History) -> None:
        self.history = history
        self.note.setText(history.note if history.lines else f"{history.note} Aucune modification connue.")
        self.model.set_rows(history.lines)
        if len(history.lines) <= 300:  # measuring every row of a long history would hold the window
            self.table.resizeRowsToContents()

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(f"Historique illisible{NBSP}: {exc}")
