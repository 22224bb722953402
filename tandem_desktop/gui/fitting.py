"""Dialogs that fit their text: a wrapped message that appears (or grows) makes the dialog taller at
once, and it shrinks back when the message goes — never a cut sentence, never two lines overlapping.

`keep_fitted(dialog)` watches the dialog's layout requests (a label's text or visibility changed
anywhere inside); `say(label, text)` fills the one message area of a form (a red refusal, a live
hint, or nothing), which the form clears when the input it speaks about changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QLayout, QWidget

ERROR_STYLE = "color: #b3261e;"


def fit_to_contents(window: QWidget) -> None:
    """Give `window` the height its layout needs at its current width (wrapped labels included)."""
    layout = window.layout()
    if layout is None:
        return
    for widget in [*window.findChildren(QWidget), window]:  # a text changed deep inside: no stale size
        if widget.layout() is not None:
            _invalidate(widget.layout())
            if widget is not window:
                widget.updateGeometry()  # its item in the parent's layout caches its height too
    layout.activate()
    width = max(window.width(), layout.totalMinimumSize().width())
    height = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
              else layout.totalSizeHint().height())
    height = max(height, layout.totalMinimumSize().height())
    if height != window.height() or width != window.width():
        window.resize(width, height)


def _invalidate(layout: QLayout) -> None:
    """The layout and the layouts nested in it (Qt keeps their height-for-width until the next event)."""
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is not None and item.layout() is not None:
            _invalidate(item.layout())
    layout.invalidate()


class _Fitter(QObject):
    def __init__(self, window: QWidget):
        super().__init__(window)
        self._busy = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show) and not self._busy
                and isinstance(watched, QWidget) and watched.isVisible()):
            self._busy = True
            try:
                fit_to_contents(watched)
            finally:
                self._busy = False
        return False


def keep_fitted(window: QWidget) -> None:
    """From now on `window` follows its contents' height (see the module's docstring)."""
    if window.findChild(_Fitter) is None:
        window.installEventFilter(_Fitter(window))


def adopt(label: QLabel) -> None:
    """Make an existing label (from a .ui file) a message area: wrapped, plain text, hidden while empty."""
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setVisible(bool(label.text()))


def say(label: QLabel, text: str, style: str = ERROR_STYLE) -> None:
    """Show `text` in `label` (in `style`), or hide it when empty; the dialog refits by itself."""
    label.setText(text)
    label.setStyleSheet(style if text else "")
    label.setVisible(bool(text))
    window = label.window()
    if window is not label and window.isVisible() and window.findChild(_Fitter) is not None:
        fit_to_contents(window)  # now, not at the next layout request: what is read is what is shown
