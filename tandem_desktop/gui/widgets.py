"""Small reusable widgets: a record picker that searches the store as you type."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPaintEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QPushButton, QTableView, QWidget

from ..domain.kinds import KINDS
from ..store.queries import ListQuery, list_fields
from ..store.repository import Store
from .display import display_value, record_title

ID_ROLE = Qt.ItemDataRole.UserRole
LABEL_ROLE = Qt.ItemDataRole.UserRole + 1
SUGGESTIONS = 20
# What the suggestion list shows after the name, to tell two namesakes apart.
PICK_HINTS = {"mentor": "Tapez un nom pour chercher un mentor…",
              "mentee": "Tapez un nom pour chercher un·e mentoré·e…"}
DETAILS = {"mentor": ("employer", "commune"), "mentee": ("status", "commune"), "tandem": ("status",)}


class RecordPicker(QLineEdit):
    """Choose one record by typing part of its name; the store searches (accents ignored).

    Why not a combo box: a structure may hold 25,000 mentees, so suggestions come from a search,
    never from a full list.
    """

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._store: Store | None = None
        self._kind = ""
        self._id: str | None = None
        self._label = ""
        self._suggestions = QStandardItemModel(self)
        self._completer = QCompleter(self._suggestions, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCompletionRole(LABEL_ROLE)
        self._completer.setWidget(self)
        self._completer.activated[QModelIndex].connect(self._on_activated)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.suggest)
        self.textEdited.connect(self._on_edited)
        self.editingFinished.connect(self._resolve_unique)
        self.setClearButtonEnabled(True)

    def bind(self, store: Store, kind: str) -> None:
        self._store = store
        self._kind = kind
        if not self.placeholderText():
            self.setPlaceholderText(PICK_HINTS.get(kind, "Tapez quelques lettres du nom…"))

    # -- value --------------------------------------------------------------------------------

    def record_id(self) -> str | None:
        return self._id

    def set_record(self, record_id: str | None, label: str = "") -> None:
        self._id = record_id
        self._label = label if record_id else ""
        self.setText(self._label)

    def has_unresolved_text(self) -> bool:
        """Something typed that matches no chosen record (the form says so instead of « obligatoire »)."""
        return self._id is None and bool(self.text().strip())

    def popup(self) -> QAbstractItemView:
        """The suggestion list (tests click in it, as a counsellor would)."""
        return self._completer.popup()

    # -- searching ----------------------------------------------------------------------------

    def _on_edited(self, text: str) -> None:
        if self._id is not None and text != self._label:
            self._id = None
            self._label = ""
        self._timer.start()

    def _find(self, text: str, limit: int) -> list[dict[str, Any]]:
        if self._store is None:
            return []
        # The fields a list row holds (title, details): a suggestion never decodes a whole record.
        return self._store.find(self._kind, ListQuery(search=text), 0, limit, fields=list_fields(KINDS[self._kind]))

    def suggest(self) -> None:
        """Fill the suggestion list from the store and show it."""
        self._timer.stop()
        rows = self._find(self.text(), SUGGESTIONS)
        self._suggestions.clear()
        spec = KINDS.get(self._kind)
        for row in rows:
            label = record_title(self._store, self._kind, row) if self._store and spec else ""
            details = [display_value(spec.by_name[name], row) for name in DETAILS.get(self._kind, ())] if spec else []
            shown = " · ".join(d for d in details if d)
            item = QStandardItem(f"{label} — {shown}" if shown else label)
            item.setData(row["id"], ID_ROLE)
            item.setData(label, LABEL_ROLE)
            self._suggestions.appendRow(item)
        if rows:
            self._completer.complete()
        else:
            self._completer.popup().hide()

    def _on_activated(self, index: QModelIndex) -> None:
        record_id = index.data(ID_ROLE)
        if record_id:
            self.set_record(str(record_id), str(index.data(LABEL_ROLE)))
            self.picked.emit(str(record_id))

    def _resolve_unique(self) -> None:
        """Typed a name that matches exactly one record: take it, as if picked from the list."""
        if self._completer.popup().isVisible() or not self.has_unresolved_text():
            return
        rows = self._find(self.text(), 2)
        if len(rows) == 1 and self._store is not None:
            self.set_record(rows[0]["id"], record_title(self._store, self._kind, rows[0]))
            self.picked.emit(rows[0]["id"])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not self._completer.popup().isVisible():
            self.suggest()
            return
        super().keyPressEvent(event)


class RowTable(QTableView):
    """A table over a lazy model whose Ctrl+End reaches the last row of the list, not of the page
    loaded so far (Qt's own stops there, as it only knows the rows fetched), in the same column."""

    def paintEvent(self, event: QPaintEvent) -> None:
        """Entered from Python on purpose, so the paint runs holding the interpreter lock.

        A repaint calls into the Python model about three times a cell (index's rowCount and
        columnCount, multiData): entered from C++, each call had to take the lock, and while a first
        sync keeps two workers in Python, each waited for a worker's turn to end (gui/heap.py): five
        hundred waits in one repaint. Entered here, the lock is this thread's for the whole paint and
        the model's calls find it held; a waiting worker still gets its turn at the switch interval.
        Longest stall while typing during a first sync of 100,000 mentees, runs of the same hour:
        56–84 ms (eight runs) against 64, 126 and 164 ms without it."""
        super().paintEvent(event)

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        model = self.model()
        to_end = (action == QAbstractItemView.CursorAction.MoveEnd
                  and bool(modifiers & Qt.KeyboardModifier.ControlModifier))
        fetch_all = getattr(model, "fetch_all", None)
        if to_end and fetch_all is not None and not model.complete:
            # The rest arrives from the database lane: go there then. Asked while a load is on its
            # way (canFetchMore says no then), it waits for it instead of stopping at the page loaded.
            fetch_all(then=self._go_to_last_row)
        elif to_end and model is not None:
            while model.canFetchMore(QModelIndex()):
                model.fetchMore(QModelIndex())
        target = super().moveCursor(action, modifiers)
        if action in (QAbstractItemView.CursorAction.MoveEnd, QAbstractItemView.CursorAction.MoveHome) \
                and modifiers & Qt.KeyboardModifier.ControlModifier and target.isValid():
            target = target.siblingAtColumn(self._shown_column())
        return target

    def _shown_column(self) -> int:
        """Whole rows are selected: stay in the column shown rather than scroll sideways to the last."""
        return self.currentIndex().column() if self.currentIndex().isValid() else 0

    def _go_to_last_row(self) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        target = model.index(model.rowCount() - 1, self._shown_column())
        self.selectionModel().setCurrentIndex(
            target, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.scrollTo(target)


def row_table(parent: QWidget, name: str, model: QAbstractItemModel) -> QTableView:
    """A read-only table that selects whole rows, one at a time: every list of the app looks alike."""
    table = RowTable(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    return table


def named_button(parent: QWidget, name: str, text: str, tip: str) -> QPushButton:
    """A button tests and shortcuts can find by object name, with the tooltip that says what it does."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button
