"""Binding a Designer form to a kind: widgets named after fields, one `error_<field>` label each.

Why here and not in each form: the mentor, mentee, structure and tandem forms and the meeting
quick-add all read, fill and show errors the same way; the domain stays the one validation layer.
A QLabel named after a field shows it read-only (e.g. mentors a mentee excluded, set elsewhere): it is
never read back, so a save cannot overwrite what another screen changed meanwhile.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from ..domain.fields import FieldSpec, KindSpec
from ..reference import list_options
from ..store.queries import ListQuery
from ..store.repository import Store
from .display import display_value, edit_text, record_title, ref_label
from .pickers import CommuneEdit, ListPicker
from .widgets import RecordPicker

NONE_TEXT = "—"
MSG_PICK = "Choisissez une fiche dans la liste proposée (tapez quelques lettres du nom)."
REF_CHOICES_LIMIT = 2000


class FormBinding:
    """Reads and fills the widgets of `root` that are named after the fields of `spec`."""

    def __init__(self, root: QWidget, spec: KindSpec, store: Store):
        self.root = root
        self.spec = spec
        self.store = store
        self.widgets: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        for field in spec.fields:
            widget = root.findChild(QWidget, field.name)
            if widget is None:
                continue
            self.widgets[field.name] = widget
            self._setup(field, widget)
            label = root.findChild(QLabel, f"error_{field.name}")
            if label is not None:
                self.error_labels[field.name] = label
            caption = root.findChild(QLabel, f"label_{field.name}")
            if caption is not None:  # the domain's label is the single source of the wording
                caption.setText(field.label + ("\u00a0*" if field.required else ""))
        self.form_error = root.findChild(QLabel, "error_form")
        self.clear_errors()

    # -- set-up -------------------------------------------------------------------------------

    def _setup(self, field: FieldSpec, widget: QWidget) -> None:
        if isinstance(widget, RecordPicker):
            widget.bind(self.store, field.ref or "")
        elif isinstance(widget, CommuneEdit):
            widget.bind(self.store.reference, self.root.findChild(QLineEdit, "postal_code"))
            widget.hint_changed.connect(lambda message, name=field.name: self.show_hint(name, message))
        elif isinstance(widget, ListPicker):
            # Lists with codes (meeting modes…) are checkable QListWidgets; these are open lists.
            widget.set_options(list_options(self.store.reference, field.name))
            widget.refused.connect(lambda message, name=field.name: self.show_hint(name, message))
        elif isinstance(widget, QComboBox):
            widget.clear()
            if not field.required:
                widget.addItem(NONE_TEXT, None)
            if field.ref:
                rows = self.store.find(field.ref, ListQuery(), 0, REF_CHOICES_LIMIT)
                for row in rows:
                    widget.addItem(record_title(self.store, field.ref, row), row["id"])
            else:
                for code, label in field.choices:
                    widget.addItem(label, code)
        elif isinstance(widget, QSpinBox):
            low = field.minimum if field.minimum is not None else -1_000_000
            high = field.maximum if field.maximum is not None else 1_000_000
            if not field.required:  # one step below the minimum reads « — » and means « not given »
                low -= 1
                widget.setSpecialValueText(NONE_TEXT)
            widget.setRange(low, high)
        elif isinstance(widget, QListWidget):
            widget.clear()
            for code, label in field.choices:
                item = QListWidgetItem(label, widget)
                item.setData(Qt.ItemDataRole.UserRole, code)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
        elif isinstance(widget, QCheckBox) and not widget.text():
            widget.setText(field.label)

    # -- values -------------------------------------------------------------------------------

    def populate(self, values: dict[str, Any]) -> None:
        for name, widget in self.widgets.items():
            self._put(self.spec.by_name[name], widget, values.get(name))

    def _put(self, field: FieldSpec, widget: QWidget, value: Any) -> None:
        if isinstance(widget, RecordPicker):
            widget.set_record(value, ref_label(self.store, field.ref or "", value) if value else "")
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index < 0 and value is not None:  # e.g. a reference beyond the list, or a deleted one
                label = ref_label(self.store, field.ref, value) if field.ref else field.choice_label(value)
                widget.addItem(label, value)
                index = widget.count() - 1
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QSpinBox):
            widget.setValue(widget.minimum() if value is None else int(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, ListPicker):
            widget.set_items(list(value or []))
        elif isinstance(widget, QListWidget):
            chosen = set(value or ())
            for row in range(widget.count()):
                item = widget.item(row)
                checked = item.data(Qt.ItemDataRole.UserRole) in chosen
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText("" if value is None else str(value))
        elif isinstance(widget, QLineEdit):
            widget.setText(edit_text(field, value))
        elif isinstance(widget, QLabel):
            widget.setText(self._read_only_text(field, widget, value))

    def _read_only_text(self, field: FieldSpec, label: QLabel, value: Any) -> str:
        """Names rather than ids: the label's `ref` property (set in the .ui) says which kind they are."""
        if value is None or value == []:
            return NONE_TEXT
        ref = field.ref or label.property("ref")
        items = value if isinstance(value, list) else [value]
        if ref:
            return ", ".join(ref_label(self.store, str(ref), str(item)) for item in items)
        return display_value(field, {field.name: value}) or NONE_TEXT

    def values(self) -> dict[str, Any]:
        """What the counsellor typed, as raw values for the domain to parse and check."""
        return {name: self._get(widget) for name, widget in self.widgets.items() if not isinstance(widget, QLabel)}

    @staticmethod
    def _get(widget: QWidget) -> Any:
        if isinstance(widget, RecordPicker):
            return widget.record_id()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QSpinBox):
            return None if widget.specialValueText() and widget.value() == widget.minimum() else widget.value()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, ListPicker):
            return widget.items()
        if isinstance(widget, QListWidget):
            return [widget.item(r).data(Qt.ItemDataRole.UserRole) for r in range(widget.count())
                    if widget.item(r).checkState() == Qt.CheckState.Checked]
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, QLineEdit):
            return widget.text()
        raise TypeError(type(widget).__name__)

    # -- errors -------------------------------------------------------------------------------

    def widget_errors(self) -> dict[str, str]:
        """Problems the widgets know before the domain does: a name typed but never picked."""
        return {name: MSG_PICK for name, widget in self.widgets.items()
                if isinstance(widget, RecordPicker) and widget.has_unresolved_text()}

    def clear_errors(self) -> None:
        for label in self.error_labels.values():
            label.clear()
            label.hide()
        if self.form_error is not None:
            self.form_error.clear()
            self.form_error.hide()

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the others (fields not on this form) at the bottom."""
        self.clear_errors()
        elsewhere = []
        for name, message in errors.items():
            label = self.error_labels.get(name)
            if label is not None:
                label.setText(message)
                label.show()
            else:
                field = self.spec.by_name.get(name)
                elsewhere.append(f"{field.label if field else name}\u00a0: {message}")
        if elsewhere:
            self.show_form_error("\n".join(elsewhere))
        first = next((self.widgets[f.name] for f in self.spec.fields if f.name in errors and f.name in self.widgets),
                     None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_hint(self, name: str, message: str) -> None:
        """A widget's own advice under its field as it is used (a commune not in the list…)."""
        label = self.error_labels.get(name)
        if label is None:
            return
        label.setText(message)
        label.setVisible(bool(message))

    def show_form_error(self, message: str) -> None:
        if self.form_error is None:
            raise RuntimeError(message)
        self.form_error.setText(message)
        self.form_error.show()
