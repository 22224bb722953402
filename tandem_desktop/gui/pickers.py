"""Pickers for values that come from the reference lists: a commune with typo-forgiving completion,
and list fields (skills, needs, languages, availability) as chips with completion.

Why not free text: « Marseile » typed once was saved and then drove distances, and a list typed as
« a, b, c » opened scrolled to its end. The domain still has the last word (reference.check_place).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..reference import Reference, check_place, close_communes, commune_names, communes_named, place_key

NAME_ROLE = Qt.ItemDataRole.UserRole
SUGGESTIONS = 12
NBSP = "\u00a0"


def _codes_label(codes: list[str]) -> str:
    return codes[0] if len(codes) == 1 else f"{codes[0]} à {codes[-1]}" if len(codes) > 3 else ", ".join(codes)


class CommuneEdit(QLineEdit):
    """A commune chosen among the reference communes as you type; a typo still finds it (« Marseile »
    suggests Marseille), picking one fills the postal code when the commune has only one."""

    hint_changed = Signal(str)  # a French hint for the field's message label ('' clears it)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._ref: Reference | None = None
        self._postal: QLineEdit | None = None
        self._names: list[str] = []
        self._model = QStandardItemModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCompletionRole(NAME_ROLE)
        self._completer.setWidget(self)
        self._completer.activated[QModelIndex].connect(self._on_activated)
        self.textEdited.connect(self.suggest)
        self.editingFinished.connect(self.check)
        if not self.placeholderText():
            self.setPlaceholderText("Tapez le début du nom de la commune…")

    def bind(self, ref: Reference, postal: QLineEdit | None) -> None:
        self._ref = ref
        self._postal = postal
        self._names = commune_names(ref)

    def popup(self) -> QAbstractItemView:
        return self._completer.popup()

    def matches(self, text: str) -> list[str]:
        """Names starting with what was typed, then containing it, then close to it (a typo)."""
        key = place_key(text)
        if self._ref is None or not key:
            return []
        keys = [(place_key(name), name) for name in self._names]
        starting = [name for k, name in keys if k.startswith(key)]
        containing = [name for k, name in keys if key in k and not k.startswith(key)]
        close = close_communes(self._ref, text, 3)
        return list(dict.fromkeys([*starting, *containing, *close]))[:SUGGESTIONS]

    def suggest(self, text: str | None = None) -> None:
        self.hint_changed.emit("")
        names = self.matches(self.text() if text is None else text)
        self._model.clear()
        for name in names:
            codes = sorted({c.postal_code for c in communes_named(self._ref, name)}) if self._ref else []
            item = QStandardItem(f"{name} — {_codes_label(codes)}" if codes else name)
            item.setData(name, NAME_ROLE)
            self._model.appendRow(item)
        if names:
            self._completer.complete()
        else:
            self._completer.popup().hide()

    def _on_activated(self, index: QModelIndex) -> None:
        name = index.data(NAME_ROLE)
        if name:
            self.choose(str(name))

    def choose(self, name: str) -> None:
        """Take a reference commune: its spelling, and its postal code if it has only one."""
        self.setText(name)
        self.hint_changed.emit("")
        if self._ref is None or self._postal is None:
            return
        codes = sorted({c.postal_code for c in communes_named(self._ref, name)})
        if len(codes) == 1 and self._postal.text().strip() != codes[0]:
            self._postal.setText(codes[0])
        elif self._postal.text().strip() not in codes:
            self._postal.setPlaceholderText(_codes_label(codes))

    def check(self) -> None:
        """Left the field: a known commune takes its reference spelling, an unknown one gets the hint
        the domain would give on save (« Vouliez-vous dire « Marseille » ? »)."""
        if self._ref is None or self.popup().isVisible():
            return
        text = self.text().strip()
        if not text:
            self.hint_changed.emit("")
            return
        fixed, errors = check_place(self._ref, text, None)
        if "commune" in errors:
            self.hint_changed.emit(errors["commune"])
        elif fixed.get("commune", text) != self.text() or not self._postal or not self._postal.text().strip():
            self.choose(fixed.get("commune", text))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not self.popup().isVisible():
            self.suggest()
            return
        super().keyPressEvent(event)


class FlowLayout(QLayout):
    """Children left to right, wrapping to the next line (chips of a list field)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self.spacing(), 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self.spacing()
            line = max(line, hint.height())
        return y + line - rect.y()


CHIP_STYLE = ("QToolButton#chip { border: 1px solid #8aa4c8; border-radius: 9px; background: #e8f0fb;"
              " padding: 1px 6px; } QToolButton#chip:hover { background: #d3e2f7; }")


def split_items(text: str) -> list[str]:
    """« a, b ; c » as typed or pasted (a spreadsheet column, an old comma-separated value)."""
    return [" ".join(part.split()) for part in re.split(r"[;,\n]", text) if part.strip()]


class ListPicker(QWidget):
    """The items of a list field as chips (click one to remove it), and a line to add more, with
    completion from the reference list; free entry unless the list is closed."""

    changed = Signal()
    refused = Signal(str)  # a French message when a closed list refuses a typed value

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: list[str] = []
        self._options: list[str] = []
        self._closed = False
        self.chips = QWidget(self)
        self.chips.setObjectName("chips")
        self.chips.setStyleSheet(CHIP_STYLE)
        self._flow = FlowLayout(self.chips)
        self.entry = QLineEdit(self)
        self.entry.setObjectName("entry")
        self.entry.setClearButtonEnabled(True)
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._completer.setMaxVisibleItems(12)
        self.entry.setCompleter(self._completer)
        self._completer.activated[str].connect(self._take_completion)
        self.entry.returnPressed.connect(self.add_typed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.chips)
        layout.addWidget(self.entry)
        self.chips.hide()
        # Never taller than its content: a grid row with spare height must not open gaps inside.
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        policy.setHeightForWidth(True)
        self.chips.setSizePolicy(policy)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # -- set-up -------------------------------------------------------------------------------

    def set_options(self, options: tuple[str, ...] | list[str], closed: bool = False) -> None:
        self._options = list(options)
        self._closed = closed
        self._model.setStringList(self._options)
        hint = "Choisissez dans la liste" if closed else "Tapez pour choisir dans la liste ou ajouter"
        self.entry.setPlaceholderText(f"{hint} (Entrée ajoute)…" if options else "Tapez une valeur puis Entrée…")

    def options(self) -> list[str]:
        return list(self._options)

    # -- value --------------------------------------------------------------------------------

    def items(self) -> list[str]:
        """The chosen items, and what is typed but not yet added (nothing typed is lost on save)."""
        return list(dict.fromkeys([*self._items, *split_items(self.entry.text())]))

    def set_items(self, items: list[str] | None) -> None:
        self._items = list(dict.fromkeys(items or []))
        self.entry.clear()
        self._rebuild()

    def add(self, text: str) -> bool:
        """Add what was typed or picked; a pasted « a, b ; c » gives three items."""
        values = split_items(text)
        if len(values) > 1:
            return all([self.add(value) for value in values])
        if not values:
            return False
        value = values[0]
        known = {option.casefold(): option for option in self._options}
        value = known.get(value.casefold(), value)  # the list's own spelling
        if self._closed and value not in self._options:
            self.refused.emit(f"«{NBSP}{value}{NBSP}» n’est pas dans la liste proposée.")
            return False
        self.entry.clear()
        if value not in self._items:
            self._items.append(value)
            self._rebuild()
            self.changed.emit()
        return True

    def remove(self, value: str) -> None:
        if value in self._items:
            self._items.remove(value)
            self._rebuild()
            self.changed.emit()

    def add_typed(self) -> None:
        """Entrée: the suggestion highlighted in the list if any (the completer adds it), else what is typed."""
        popup = self._completer.popup()
        if popup.isVisible() and popup.currentIndex().isValid():
            return
        popup.hide()
        self.add(self.entry.text())

    def _take_completion(self, text: str) -> None:
        self.add(text)
        # The completer writes the chosen text into the line after this signal: clear it after that.
        QTimer.singleShot(0, self.entry.clear)

    def chip_buttons(self) -> list[QToolButton]:
        return [b for b in self.chips.findChildren(QToolButton, "chip") if not b.isHidden()]

    def _rebuild(self) -> None:
        while (item := self._flow.takeAt(0)) is not None:
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        for value in self._items:
            chip = QToolButton(self.chips)
            chip.setObjectName("chip")
            chip.setText(f"{value}  ✕")
            chip.setToolTip(f"Retirer «{NBSP}{value}{NBSP}»")
            chip.setProperty("value", value)
            chip.clicked.connect(lambda _=False, v=value: self.remove(v))
            self._flow.addWidget(chip)
            chip.show()
        self.chips.setVisible(bool(self._items))
        self.chips.updateGeometry()
        self.updateGeometry()
