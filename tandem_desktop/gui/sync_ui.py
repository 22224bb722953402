"""Sync in the main window: the status bar part, the Fichier menu entries, the « Conflits » page, the
overbooking warning on mentors, and what happens when the hub revokes this device."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidget, QMenu, QStackedWidget, QStatusBar, QWidget

from ..services.records import Changes
from ..services.sync import SyncReport
from ..store.repository import Store
from .changes import LOCAL, Changed
from .conflicts_view import ConflictsPage
from .display import NBSP
from .enroll_dialog import EnrollDialog
from .overbooking import OverbookingMarker
from .revoked import ReadOnlyGuard, RevokedDialog, confirm_wipe, warn_update
from .section import SectionView
from .status_message import StatusMessage
from .sync_controller import USER_REASONS, SyncController
from .sync_status import SyncStatusWidget
from .sync_texts import failure_summary, report_text


class SyncHost(Protocol):
    """What the sync parts need of the main window (which builds them): this module never imports
    the window, so the two do not import each other."""

    store: Store
    stack: QStackedWidget
    navigation: QListWidget
    file_menu: QMenu
    quit_action: QAction
    new_action: QAction
    save_action: QAction
    sections: dict[str, SectionView]
    pages: list[QWidget]
    status_message: StatusMessage

    def statusBar(self) -> QStatusBar: ...
    def addAction(self, action: QAction) -> None: ...
    def close(self) -> bool: ...
    def show_message(self, text: str, detail: str = "") -> None: ...
    def update_count(self, text: str) -> None: ...
    def add_page(self, name: str, label: str, page: QWidget, shortcut: str) -> QAction: ...
    def show_page(self, page: QWidget) -> None: ...

SYNC_SHORTCUT = "Ctrl+Shift+S"  # « Ctrl+Maj+S » in the French menus


class SyncUi(QObject):
    """Built by the window when it has a sync controller; keeps the pieces together."""

    def __init__(self, window: SyncHost, controller: SyncController):
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.read_only: ReadOnlyGuard | None = None
        self.enroll_dialog: EnrollDialog | None = None
        self.failure_shown = ""  # the failure the status bar tells, until a sync succeeds

        self.status = SyncStatusWidget(controller, window)
        window.statusBar().insertPermanentWidget(1, self.status)  # after the message, before the count
        self.status.conflicts_requested.connect(self.show_conflicts)

        self.enroll_action = self._action("action_enroll", "&Connexion au hub…", "", self.open_enroll_dialog)
        self.sync_action = self._action("action_sync_now", "&Synchroniser maintenant", SYNC_SHORTCUT, self.sync_now)
        self.sync_action.setStatusTip("Envoyer et recevoir les modifications maintenant (Ctrl+Maj+S)")
        menu = window.file_menu
        menu.insertAction(window.quit_action, self.enroll_action)
        menu.insertAction(window.quit_action, self.sync_action)
        menu.insertSeparator(window.quit_action)

        self.conflicts = ConflictsPage(window.store, controller, window.stack)
        self.conflicts.message.connect(window.show_message)
        self.conflicts.count_changed.connect(window.update_count)
        self.conflicts.reversed.connect(self._reversed)
        self.conflicts_action = window.add_page("conflicts", "Conflits", self.conflicts, "Ctrl+5")
        window.navigation.currentRowChanged.connect(self._navigated)

        self.overbooking = OverbookingMarker(window.sections["mentor"], controller, self)
        window.changes.changed.connect(self._changed)  # every local write: the pending count follows
        controller.synced.connect(self._synced)
        controller.failed.connect(self._failed)
        controller.revoked.connect(self.on_revoked, Qt.ConnectionType.QueuedConnection)  # after the state is set
        controller.update_required.connect(lambda message: warn_update(window, message))
        controller.changed.connect(self._update_actions)
        self._update_actions()

    def _action(self, name: str, text: str, shortcut: str, slot: Any) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def _update_actions(self) -> None:
        c = self.controller
        self.sync_action.setEnabled(c.can_sync and not c.syncing)
        self.enroll_action.setEnabled(c.fatal is None)

    # -- actions ------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.controller.sync_now(reason="manual"):
            self.window.show_message("Synchronisation en cours…")

    def open_enroll_dialog(self) -> EnrollDialog:
        """Window-modal, not blocking: the enrollment runs on the worker while the window repaints."""
        if self.enroll_dialog is not None and self.enroll_dialog.isVisible():
            self.enroll_dialog.raise_()
            return self.enroll_dialog
        dialog = EnrollDialog(self.controller, self.window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.enroll_dialog = dialog
        return dialog

    def show_conflicts(self) -> None:
        self.window.show_page(self.conflicts)

    def _navigated(self, row: int) -> None:
        if 0 <= row < len(self.window.pages) and self.window.pages[row] is self.conflicts:
            self.conflicts.refresh()

    # -- what the controller reports ----------------------------------------------------------

    def _changed(self, change: Changed) -> None:
        if change.source == LOCAL:
            self.controller.local_changed()

    def _reversed(self, changes: Changes) -> None:
        """A conflict reversed or sent again: what it wrote is broadcast like any write."""
        self.window.changes.tell(changes, origin=self.conflicts)

    def _synced(self, report: SyncReport) -> None:
        """A sync that worked, asked for or automatic, ends the failure the bar still told."""
        told = self.controller.reason in USER_REASONS
        if told or report.conflicts_new or report.refused:
            self.window.show_message(report_text(report))
        else:
            self.window.status_message.clear_if(self.failure_shown)
        self.failure_shown = ""

    def _failed(self, message: str) -> None:
        if message and (self.controller.reason in USER_REASONS or not self.controller.is_enrolled):
            text, detail = failure_summary(self.controller.failing, message)
            self.window.show_message(text, detail)
            self.failure_shown = text

    def on_revoked(self) -> None:
        """Tell the counsellor; wipe (asked twice) and close, or keep a read-only copy for now."""
        status = self.controller.status
        pending = status.pending_changes if status is not None else 0
        dialog = RevokedDialog(pending, self.window)
        dialog.exec()
        if dialog.choice == "wipe" and confirm_wipe(self.window, pending):
            self.window.show_message("Effacement de la copie locale…")
            self.controller.wipe(on_done=lambda _r: self._wiped(), on_error=self._wipe_failed)
            return
        self.make_read_only()

    def make_read_only(self) -> None:
        if self.read_only is None:
            w = self.window
            self.read_only = ReadOnlyGuard(w.sections, [w.new_action, w.save_action], w.show_message, self)

    def _wiped(self) -> None:
        for section in self.window.sections.values():
            section.close_overlay(ask=False)
        self.window.close()

    def _wipe_failed(self, exc: BaseException) -> None:
        self.window.show_message(f"Effacement impossible{NBSP}: {exc}")
        self.make_read_only()
