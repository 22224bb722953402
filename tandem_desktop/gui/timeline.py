"""Drawing of the meetings timeline: the date line in bold, the summary below, wrapped."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

PAD = 6
FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
Index = QModelIndex | QPersistentModelIndex


class TimelineDelegate(QStyledItemDelegate):
    """Items hold « head\\nbody » text; the head is drawn bold, the body in the normal font."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)

    @staticmethod
    def _parts(index: Index) -> tuple[str, str]:
        head, _, body = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        return head, body

    @staticmethod
    def _bold(font: QFont) -> QFont:
        bold = QFont(font)
        bold.setBold(True)
        return bold

    def _heights(self, option: QStyleOptionViewItem, index: Index, width: int) -> tuple[int, int]:
        head, body = self._parts(index)
        head_h = QFontMetrics(self._bold(option.font)).boundingRect(QRect(0, 0, width, 10_000), FLAGS, head).height()
        body_h = QFontMetrics(option.font).boundingRect(QRect(0, 0, width, 10_000), FLAGS, body).height() if body else 0
        return head_h, body_h

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        view = self.parent()
        width = (view.viewport().width() if isinstance(view, QWidget) and hasattr(view, "viewport")
                 else option.rect.width()) - 2 * PAD
        head_h, body_h = self._heights(option, index, max(width, 100))
        return QSize(max(width, 100), head_h + body_h + 2 * PAD + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        option.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        head, body = self._parts(index)
        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        head_h, _ = self._heights(option, index, rect.width())
        painter.save()
        painter.setFont(self._bold(option.font))
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), head_h), FLAGS, head)
        painter.setFont(option.font)
        painter.drawText(QRect(rect.left(), rect.top() + head_h + 2, rect.width(), rect.height() - head_h), FLAGS, body)
        painter.restore()
