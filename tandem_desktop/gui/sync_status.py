"""The sync part of the status bar: online or not, progress, changes waiting, conflicts, last sync,
and the warnings the hub raised (an overbooked mentor, a count that differs after a sync)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from .display import NBSP
from .sync_controller import SyncController
from .sync_service import Failure
from .sync_texts import (
    check_warning,
    conflicts_text,
    flags_detail,
    flags_text,
    last_sync_text,
    pending_text,
    phase_text,
)


def set_warning(label: QLabel, text: str, detail: str) -> None:
    """Show `text` (cut with « … » past the width budget, never clipped), the details as tooltip."""
    shown = label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, WARNING_WIDTH)
    label.setText(shown)
    label.setToolTip(detail)
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance(shown) + 4 if text else 0)
    label.setVisible(bool(text))

WARNING_STYLE = "color: #8a4b00;"
ERROR_STYLE = "color: #b3261e; font-weight: 600;"
DOTS = {"online": "#1e7d32", "offline": "#616161", "syncing": "#1565c0", "problem": "#b3261e"}
WARNING_WIDTH = 360  # px: a longer warning is cut with « … »; the tooltip gives the details


def _separator(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class SyncStatusWidget(QWidget):
    """Redraws itself from the controller whenever it says something changed."""

    conflicts_requested = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("sync_status")
        self.state_label = self._label("sync_state")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("sync_progress")
        self.progress_bar.setFixedWidth(90)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.pending_label = self._label("sync_pending")
        self.conflicts_button = QToolButton(self)
        self.conflicts_button.setObjectName("sync_conflicts")
        self.conflicts_button.setAutoRaise(True)
        self.conflicts_button.setStyleSheet(f"QToolButton {{ {ERROR_STYLE} padding: 0 2px; }}")
        self.conflicts_button.setToolTip("Voir les conflits (Ctrl+5)")
        self.conflicts_button.clicked.connect(self.conflicts_requested)
        self.last_label = self._label("sync_last")
        self.flags_label = self._label("sync_flags", WARNING_STYLE)
        self.mismatch_label = self._label("sync_mismatch", WARNING_STYLE)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for widget in (self.flags_label, self.mismatch_label):
            layout.addWidget(widget)
        layout.addWidget(_separator(self))
        layout.addWidget(self.state_label)
        layout.addWidget(self.progress_bar)
        for widget in (self.pending_label, self.conflicts_button, self.last_label):
            layout.addWidget(_separator(self))
            layout.addWidget(widget)
        layout.addWidget(_separator(self))  # before the window's record count
        controller.changed.connect(self.render)
        self.render()

    def _label(self, name: str, style: str = "") -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        if style:
            label.setStyleSheet(style)
            font = label.font()
            font.setBold(True)  # a font, not a style sheet, so fontMetrics() measures what is drawn
            label.setFont(font)
        return label

    # -- texts (also what the tests read) ------------------------------------------------------

    def state_text(self) -> str:
        c = self.controller
        if c.fatal is Failure.REVOKED:
            return "Appareil révoqué"
        if c.fatal is Failure.UPDATE:
            return "Mise à jour nécessaire"
        if c.status is None:
            return "Synchronisation…" if c.syncing else ""
        if not c.is_enrolled:
            return "Non connecté au hub"
        if c.syncing:
            return phase_text(*c.phase) if c.phase else "Synchronisation…"
        if c.failing and c.online is not False:
            return c.failing  # the hub may answer, but this device's syncs fail: say so, in red
        if c.online is None:
            return "Recherche du hub…"
        return "En ligne" if c.online else "Hors ligne"

    def _dot(self) -> str:
        c = self.controller
        if c.fatal is not None:
            return DOTS["problem"]
        if c.syncing:
            return DOTS["syncing"]
        if c.failing and c.online is not False:
            return DOTS["problem"]
        return DOTS["online"] if c.online else DOTS["offline"]

    def render(self) -> None:
        c = self.controller
        status = c.status
        enrolled = c.is_enrolled
        self.state_label.setText(("● " if enrolled else "") + self.state_text())
        self.state_label.setStyleSheet(f"color: {self._dot()};" if enrolled else "")
        self.state_label.setToolTip(self._state_tip())
        self._render_progress()
        pending = status.pending_changes if status is not None else 0
        conflicts = status.conflicts_open if status is not None else 0
        self.pending_label.setText(pending_text(pending))
        self.pending_label.setVisible(status is not None)
        self.conflicts_button.setText(conflicts_text(conflicts))
        self.conflicts_button.setVisible(conflicts > 0)
        self.last_label.setText(last_sync_text(status.last_sync_at if status is not None else None))
        self.last_label.setVisible(enrolled)
        set_warning(self.flags_label, flags_text(c.flags), flags_detail(c.flags))
        set_warning(self.mismatch_label, *check_warning(c.last_report))

    def _render_progress(self) -> None:
        c = self.controller
        self.progress_bar.setVisible(c.syncing)
        if not c.syncing:
            return
        _, done, total = c.phase or ("", 0, None)
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        else:
            self.progress_bar.setRange(0, 0)  # busy indicator

    def _state_tip(self) -> str:
        c = self.controller
        lines = []
        if c.hub_url:
            lines.append(f"Hub{NBSP}: {c.hub_url}")
        if c.last_error:
            lines.append(c.last_error)
        if c.next_retry_ms and not c.syncing and c.fatal is None:
            seconds = max(1, round(c.next_retry_ms / 1000))
            lines.append(f"Nouvel essai dans {seconds}{NBSP}s")
        return "\n".join(lines)
