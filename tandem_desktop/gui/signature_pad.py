"""A pad to sign on screen with a mouse, a finger or a stylus.

Why normalised points: the drawing is stored and rendered into the charter's signature box, whatever
the pad's size on screen; so strokes are kept as (x, y) in 0..1 within a box of fixed proportions
(y downwards), and the on-screen path is rebuilt from them on every resize.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[float, float]
Strokes = list[list[Point]]

HINT = "Signez ici"
INK = QColor("#1a2a6c")  # a ballpoint blue: reads as a signature, prints dark enough
MIN_STEP = 1.0  # pixels: closer points add nothing but size


class SignaturePad(QWidget):
    """Draw with a mouse (left button), a touch screen or a stylus; `changed` after each stroke or clear."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, aspect: float = 8 / 3):
        super().__init__(parent)
        self.setObjectName("signature_pad")
        self.aspect = aspect  # width / height of the signature box the drawing is rendered into
        self._strokes: Strokes = []
        self._current: list[Point] | None = None
        self._paths: list[QPainterPath] = []
        self.setMinimumSize(480, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Signez avec la souris (bouton gauche), le doigt ou le stylet.")

    def sizeHint(self) -> QSize:
        return QSize(560, 210)

    # -- value --------------------------------------------------------------------------------

    def strokes(self) -> Strokes:
        """A copy of the finished strokes, points rounded to 1/10 000 of the box."""
        return [[(round(x, 4), round(y, 4)) for x, y in stroke] for stroke in self._strokes]

    def set_strokes(self, strokes: Sequence[Sequence[Point]]) -> None:
        self._strokes = [[(_clamp(x), _clamp(y)) for x, y in stroke] for stroke in strokes if stroke]
        self._current = None
        self._rebuild()
        self.changed.emit()

    def is_empty(self) -> bool:
        return not self._strokes

    def clear(self) -> None:
        self.set_strokes([])

    def undo_stroke(self) -> bool:
        """Remove the last stroke; False if there was none."""
        if not self._strokes:
            return False
        self._strokes.pop()
        self._rebuild()
        self.changed.emit()
        return True

    # -- geometry -----------------------------------------------------------------------------

    def box(self) -> QRectF:
        """The signature box: the largest rectangle of the pad's proportions, centred, with a margin."""
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        width = min(area.width(), area.height() * self.aspect)
        height = width / self.aspect
        return QRectF(area.center().x() - width / 2, area.center().y() - height / 2, width, height)

    def _normalise(self, pos: QPointF) -> Point:
        box = self.box()
        return (_clamp((pos.x() - box.left()) / box.width()), _clamp((pos.y() - box.top()) / box.height()))

    def _to_screen(self, point: Point) -> QPointF:
        box = self.box()
        return QPointF(box.left() + point[0] * box.width(), box.top() + point[1] * box.height())

    # -- drawing ------------------------------------------------------------------------------

    def _begin(self, pos: QPointF) -> None:
        self._current = [self._normalise(pos)]
        self._strokes.append(self._current)
        self._paths.append(self._path(self._current))
        self.update()

    def _extend(self, pos: QPointF) -> None:
        if self._current is None:
            return
        point = self._normalise(pos)
        here, last = self._to_screen(point), self._to_screen(self._current[-1])
        if abs(here.x() - last.x()) + abs(here.y() - last.y()) < MIN_STEP:
            return
        self._current.append(point)
        self._paths[-1] = self._path(self._current)
        self.update()

    def _end(self, pos: QPointF | None = None) -> None:
        if self._current is None:
            return
        if pos is not None:
            self._extend(pos)
        self._current = None
        self.changed.emit()

    def _path(self, stroke: list[Point]) -> QPainterPath:
        """A smooth path: quadratic curves through the midpoints of successive points."""
        points = [self._to_screen(p) for p in stroke]
        path = QPainterPath(points[0])
        if len(points) == 1:
            path.addEllipse(points[0], self._pen_width() / 2, self._pen_width() / 2)
            return path
        for here, after in pairwise(points[1:]):
            path.quadTo(here, (here + after) / 2)
        path.lineTo(points[-1])
        return path

    def _rebuild(self) -> None:
        self._paths = [self._path(stroke) for stroke in self._strokes]
        self.update()

    def _pen_width(self) -> float:
        return max(2.0, self.box().height() / 55)

    # -- events -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._end(event.position())
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A stylus draws like the mouse; pressure only matters as « touching or not », so a light
        pen or a driver that reports 0 never leaves gaps. Accepted: no synthesised mouse event."""
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove and self._current is not None:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._end(event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:
        """One finger draws; a second finger is ignored (a palm on the screen must not scribble)."""
        if isinstance(event, QTouchEvent):
            points = event.points()
            if points:
                pos = self.mapFromGlobal(points[0].globalPosition())  # set however the event was made
                if event.type() == QEvent.Type.TouchBegin:
                    self._begin(pos)
                elif event.type() == QEvent.Type.TouchUpdate:
                    self._extend(pos)
                else:
                    self._end(None if event.type() == QEvent.Type.TouchCancel else pos)
            event.accept()
            return True
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rebuild()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = self.box()
        painter.fillRect(self.rect(), self.palette().window())  # outside the box nothing is recorded
        painter.fillRect(box, QColor("#ffffff"))
        painter.setPen(QPen(QColor("#b8b8b8"), 1))
        painter.drawRect(box.adjusted(0.5, 0.5, -0.5, -0.5))
        baseline = box.top() + box.height() * 0.78
        painter.setPen(QPen(QColor("#9a9a9a"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(box.left() + 28, baseline), QPointF(box.right() - 12, baseline))
        painter.setPen(QColor("#8a8a8a"))
        painter.drawText(QRectF(box.left() + 8, baseline - 24, 20, 22),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, "✗")
        if not self._strokes:
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            painter.setFont(font)
            painter.setPen(QColor("#a0a0a0"))
            painter.drawText(QRectF(box.left(), box.top(), box.width(), baseline - box.top()),
                             Qt.AlignmentFlag.AlignCenter, HINT)
        pen = QPen(INK, self._pen_width(), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        for stroke, path in zip(self._strokes, self._paths, strict=True):
            if len(stroke) == 1:  # a dot: filled, not stroked
                painter.fillPath(path, INK)
            else:
                painter.drawPath(path)
        painter.end()


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
