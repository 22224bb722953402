"""Record forms (mentor, mentee, structure, tandem) built from the Designer files in ui/.

A failed save keeps the form open with everything typed, and shows the domain's French message
under each wrong field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..domain.errors import ValidationError
from ..domain.kinds import KINDS
from ..services.records import Actor, Records
from ..store.errors import StoreError
from ..store.repository import Store
from .binding import FormBinding
from .display import record_title
from .uiload import child, load_ui

NEW_TITLES = {
    "mentor": "Nouveau mentor",
    "mentee": "Nouvelle fiche mentoré·e",
    "structure": "Nouvelle structure",
    "tandem": "Proposer un tandem",
}


class RecordForm(QWidget):
    """Create (record_id=None) or edit one record; emits `saved` with its id."""

    saved = Signal(str)
    cancel_requested = Signal()

    def __init__(self, store: Store, kind: str, record_id: str | None = None, parent: QWidget | None = None,
                 records: Records | None = None):
        super().__init__(parent)
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
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
        self._snapshot = self.binding.values()

    def widget(self, name: str) -> QWidget:
        return self.binding.widgets[name]

    def error_text(self, name: str) -> str:
        """The message shown under a field ('' when none): what the counsellor reads."""
        label = self.binding.error_labels.get(name) if name != "form" else self.binding.form_error
        return label.text() if label is not None and not label.isHidden() else ""

    def is_dirty(self) -> bool:
        return self.binding.values() != self._snapshot

    def focus_first_field(self) -> None:
        """The first field in the form's own order (the .ui), not the domain's."""
        bound = set(self.binding.widgets.values())
        first = next((w for w in self.ui.findChildren(QWidget) if w in bound), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> bool:
        """Validate through the domain and write; on failure show the messages and keep everything."""
        values = self.binding.values()
        if problems := self.binding.widget_errors():
            self._show(problems)
            return False
        try:
            if self.record_id is None:  # a tandem is proposed: services.records knows what that means
                self.record_id = self.records.create(self.kind, values).record_id
            else:
                self.records.update(self.kind, self.record_id, values)
        except ValidationError as exc:
            self._show(exc.errors)
            return False
        except StoreError as exc:
            self.binding.clear_errors()
            self.binding.show_form_error(str(exc))
            return False
        self.binding.clear_errors()
        self._snapshot = values
        self.saved.emit(self.record_id)
        return True

    def _show(self, errors: dict[str, str]) -> None:
        self.binding.show_errors(errors)
        scroll = self.ui.findChild(QScrollArea, "scroll_area")
        first = next((self.binding.widgets[n] for n in self.spec.field_names
                      if n in errors and n in self.binding.widgets), None)
        if scroll is not None and first is not None:
            scroll.ensureWidgetVisible(first)
