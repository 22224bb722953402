"""Record forms (mentor, mentee, structure, tandem) built from the Designer files in ui/.

A failed save keeps the form open with everything typed, and shows the domain's French message
under each wrong field. Given the window's operations, the write runs on the database lane (the
form waits, its save button disabled) and its changes are broadcast to every view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QLabel, QLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..domain.erasure import PERSON_KINDS
from ..domain.errors import ValidationError
from ..domain.kinds import KINDS
from ..services.records import Actor, Changes, Records
from ..store.errors import StoreError
from ..store.repository import Store
from .binding import FormBinding
from .display import record_title
from .uiload import child, load_ui

if TYPE_CHECKING:
    from .operations import Operations

NEW_TITLES = {
    "mentor": "Nouveau mentor",
    "mentee": "Nouvelle fiche mentoré·e",
    "structure": "Nouvelle structure",
    "tandem": "Proposer un tandem",
}


class RecordForm(QWidget):
    """Create (record_id=None) or edit one record; emits `saved` with its id."""

    saved = Signal(str)
    save_failed = Signal()  # refused (fields in red, or the database said no): the form stays open
    cancel_requested = Signal()
    erase_requested = Signal(str)  # « Effacer les données personnelles… » of a person's record
    history_requested = Signal(str)  # « Historique… » of a saved record
    access_requested = Signal(str)  # « Données de la personne… »: the right of access (a person's record)

    def __init__(self, store: Store, kind: str, record_id: str | None = None, parent: QWidget | None = None,
                 records: Records | None = None, ops: Operations | None = None):
        super().__init__(parent)
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.ops = ops
        self.saving = False
        self.kind = kind
        self.spec = KINDS[kind]
        self.record_id = record_id
        self.setObjectName(f"{kind}_form")
        self.ui = load_ui(f"{kind}_form.ui", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ui)
        self.binding = FormBinding(self.ui, self.spec, store)
        if record_id is None:
            values: dict[str, Any] = self.spec.defaults(store.today())
            title = NEW_TITLES.get(kind, f"Nouvelle fiche {self.spec.label.lower()}")
        else:
            values = store.get(kind, record_id)
            title = f"{self.spec.label} — {record_title(store, kind, values)}"
        self.binding.populate(values)
        child(self.ui, QLabel, "title_label").setText(title)
        self.save_button = child(self.ui, QPushButton, "save_button")
        self.cancel_button = child(self.ui, QPushButton, "cancel_button")
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.erase_button: QPushButton | None = None
        self.access_button: QPushButton | None = None
        self.history_button: QPushButton | None = None
        if record_id is not None:
            self.history_button = self._add_button("history_button", "Historique…", "Qui a modifié quoi, et quand",
                                                   lambda: self.history_requested.emit(record_id))
        if record_id is not None and kind in PERSON_KINDS:
            self.access_button = self._add_button(
                "access_button", "Données de la personne…", "Droit d’accès : tout ce qui est conservé sur elle, "
                "en JSON et en PDF", lambda: self.access_requested.emit(record_id))
            self.erase_button = self._add_button(
                "erase_button", "Effacer les données personnelles…",
                "Droit à l’effacement, ou fin de la durée de conservation",
                lambda: self.erase_requested.emit(record_id))
        self._snapshot = self.binding.values()

    def _add_button(self, name: str, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        """Beside the form's own buttons, left of them (the record's history, access and erasure)."""
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        holder = self.cancel_button.parentWidget()
        target = _layout_holding(holder.layout() if holder is not None else None, self.cancel_button)
        if target is not None:
            target.insertWidget(0, button)
        return button

    def widget(self, name: str) -> QWidget:
        return self.binding.widgets[name]

    def error_text(self, name: str) -> str:
        """The message shown under a field ('' when none): what the counsellor reads."""
        label = self.binding.error_labels.get(name) if name != "form" else self.binding.form_error
        return label.text() if label is not None and not label.isHidden() else ""

    def has_errors(self) -> bool:
        """A message under a field or the form is showing (what the counsellor must correct)."""
        labels = [*self.binding.error_labels.values(), self.binding.form_error]
        return any(label is not None and not label.isHidden() and label.text() for label in labels)

    def is_dirty(self) -> bool:
        return self.binding.values() != self._snapshot

    def focus_first_field(self) -> None:
        """The first field in the form's own order (the .ui), not the domain's."""
        bound = set(self.binding.widgets.values())
        first = next((w for w in self.ui.findChildren(QWidget) if w in bound), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> bool:
        """Validate through the domain and write; on failure show the messages and keep everything.
        With operations, True means « the write is on its way »: `saved` or `save_failed` follows."""
        if self.saving:
            return True
        values = self.binding.values()
        if problems := self.binding.widget_errors():
            self._show(problems)
            self.save_failed.emit()
            return False
        write = self._write(values)
        if self.ops is None:
            try:
                changes = write()
            except (ValidationError, StoreError) as exc:
                self._refused(exc)
                return False
            self._written(values, changes)
            return True
        self.saving = True
        self.save_button.setEnabled(False)
        self.ops.write(write, parent=self).success(
            lambda changes: self._written(values, changes)).failure(self._refused).run()
        return True

    def _write(self, values: dict[str, Any]) -> Callable[[], Changes]:
        """The write itself (it runs off the GUI thread: plain values only); its Changes say what it
        wrote (a tandem proposed moves its mentee: services.records knows what that means)."""
        records, kind, record_id = self.records, self.kind, self.record_id
        if record_id is None:
            return lambda: records.create(kind, values)
        return lambda: records.update(kind, record_id, values)

    def _written(self, values: dict[str, Any], changes: Changes) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        record_id = changes.record_id or self.record_id
        assert record_id is not None
        self.record_id = record_id
        self.binding.clear_errors()
        self._snapshot = values
        self.saved.emit(record_id)

    def _refused(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self._show(exc.errors)
        elif isinstance(exc, StoreError):
            self.binding.clear_errors()
            self.binding.show_form_error(str(exc))
        else:
            self.binding.clear_errors()
            self.binding.show_form_error(f"Enregistrement impossible\u00a0: {exc or type(exc).__name__}")
        self.save_failed.emit()

    def _show(self, errors: dict[str, str]) -> None:
        self.binding.show_errors(errors)
        scroll = self.ui.findChild(QScrollArea, "scroll_area")
        first = next((self.binding.widgets[n] for n in self.spec.field_names
                      if n in errors and n in self.binding.widgets), None)
        if scroll is not None and first is not None:
            scroll.ensureWidgetVisible(first)


def _layout_holding(layout: QLayout | None, widget: QWidget) -> QBoxLayout | None:
    """The box layout, among `layout` and those nested in it, that holds `widget` (the form's buttons)."""
    if layout is None:
        return None
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is widget and isinstance(layout, QBoxLayout):
            return layout
        if item.layout() is not None and (found := _layout_holding(item.layout(), widget)) is not None:
            return found
    return None
