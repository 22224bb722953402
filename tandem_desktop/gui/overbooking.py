"""The overbooking warning on a mentor's page: shown while the hub has an open flag for that mentor
(two structures gave the mentor's last free place while offline)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from .forms import RecordForm
from .section import SectionView
from .sync_controller import SyncController
from .sync_texts import mentor_warning

WARNING_NAME = "overbooking_warning"
WARNING_STYLE = ("QLabel#overbooking_warning { background: #fff4e5; color: #8a4b00; border: 1px solid #f0b46c; "
                 "border-radius: 4px; padding: 6px 8px; font-weight: 600; }")


class OverbookingMarker(QObject):
    """Adds, updates or removes the warning line on the open mentor form."""

    def __init__(self, section: SectionView, controller: SyncController, parent: QObject | None = None):
        super().__init__(parent)
        self.section = section
        self.flags: dict[str, dict[str, Any]] = {}
        section.currentChanged.connect(lambda _index: self.mark())
        controller.flags_changed.connect(self.update_flags)
        self.update_flags(controller.flags)

    def update_flags(self, flags: list[dict[str, Any]]) -> None:
        self.flags = {str(f.get("mentor_id")): f for f in flags if f.get("mentor_id")}
        self.mark()

    def warning_label(self) -> QLabel | None:
        form = self.section.overlay
        return form.findChild(QLabel, WARNING_NAME) if isinstance(form, RecordForm) else None

    def mark(self) -> None:
        form = self.section.overlay
        if not isinstance(form, RecordForm) or form.record_id is None:
            return
        label = form.findChild(QLabel, WARNING_NAME)
        flag = self.flags.get(form.record_id)
        if flag is None:
            if label is not None:
                label.hide()
            return
        if label is None:
            label = QLabel(form)
            label.setObjectName(WARNING_NAME)
            label.setWordWrap(True)
            label.setStyleSheet(WARNING_STYLE)
            form.layout().insertWidget(0, label)
        label.setText(mentor_warning(flag))
        label.show()
