"""The status bar's message: cut with « … » when the bar is too narrow (its texts put the outcome
first, so what is cut is the detail), the whole text in the tooltip, and a click or « Détails » shows
it in full."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QSizePolicy, QToolButton, QWidget

ELLIPSIS = "…"


class _Elided(QLabel):
    """Draws as much of the text as fits; a click asks for the whole of it."""

    def __init__(self, owner: StatusMessage):
        super().__init__(owner)
        self.owner = owner
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.owner.relayout()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.owner.text():
            self.owner.show_details()
        super().mousePressEvent(event)


class StatusMessage(QWidget):
    """`show_text(text, detail)`: `text` on one line (cut with « … » if need be), `detail` (or the
    text) in the tooltip and in the « Détails » box. `text()` is the whole text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("status_message")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._text = ""
        self._detail = ""
        self.label = _Elided(self)
        self.label.setObjectName("status_message_text")
        self.details_button = QToolButton(self)
        self.details_button.setObjectName("status_message_details")
        self.details_button.setText("Détails")
        self.details_button.setAutoRaise(True)
        self.details_button.setToolTip("Lire le message en entier")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.box: QMessageBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button)

    def text(self) -> str:
        return self._text

    def detail(self) -> str:
        return self._detail or self._text

    def shown_text(self) -> str:
        """What the bar draws now (ends with « … » when cut)."""
        return self.label.text()

    def is_cut(self) -> bool:
        return self.label.text() != self._text

    def show_text(self, text: str, detail: str = "") -> None:
        self._text, self._detail = text, detail
        self.setToolTip(self.detail())
        self.label.setToolTip(self.detail())
        self.relayout()

    setText = show_text  # the QLabel it replaces

    def clear_if(self, text: str) -> None:
        """Clear the message if it still says `text` (a newer message stays)."""
        if text and self._text == text:
            self.show_text("")

    def relayout(self) -> None:
        metrics = self.label.fontMetrics()
        whole = metrics.horizontalAdvance(self._text) <= self.width()
        button = bool(self._text) and (not whole or self._detail not in ("", self._text))
        self.details_button.setVisible(button)
        room = self.width() - (self.details_button.sizeHint().width() + 4 if button else 0)
        self.label.setText(metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, max(room, 0)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def show_details(self) -> None:
        """The whole message, in a box that does not block the window."""
        if not self._text:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "Message", self.detail(), QMessageBox.StandardButton.Ok,
                          self.window())
        box.setObjectName("status_message_box")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.box = box
        box.open()
