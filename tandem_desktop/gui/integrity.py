"""The app's check of its database: in the background once the window is up, and what to do on damage.

Opening already verified every page's HMAC (store/check.py); once the window is up, the full check
(pages again, then SQLite's integrity_check) runs on the task runner. A sound database then gets
the app's daily backup in backups/ (checked again first, like every backup; the three newest are
kept), so a recent sound copy is there to offer. On damage, a message box says what is wrong and
offers the latest sound backup: restoring closes the window, swaps the backup in (the damaged
database is kept in backups/) and the app opens the profile again (see app.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton, QWidget

from ..domain.errors import DomainError
from ..services.backup import automatic_backup
from ..services.check import CheckReport, check_open_profile
from ..store.profile import Profile
from .display import NBSP
from .tasks import TaskRunner

TITLE = "Base endommagée"


def _reason(error: BaseException) -> str:
    return str(error) if isinstance(error, DomainError) else f"erreur inattendue ({type(error).__name__})"


def damage_text(report: CheckReport) -> str:
    """The box's explanation: what is damaged, what was not touched, and the way back."""
    lines = [f"La base de ce profil est endommagée{NBSP}:", *report.damage.lines(), "Elle n'a pas été modifiée."]
    if report.backup is not None:
        lines.append(
            f"Dernière sauvegarde saine{NBSP}: {report.backup.path.name}, du {report.backup.date_text}. "
            "La restaurer remplace la base par cette sauvegarde (la base endommagée est conservée dans "
            "le dossier backups/ du profil). Ce qui a été saisi depuis cette date est perdu, sauf ce qui a "
            "déjà été envoyé au hub, qui reviendra à la prochaine synchronisation.")
    else:
        lines.append(
            "Aucune sauvegarde saine dans le dossier backups/ du profil. Si vous en avez une ailleurs, "
            f"restaurez-la (tandem restore FICHIER){NBSP}; si ce poste est relié au hub, ses données "
            "peuvent être reprises du hub.")
    return "\n\n".join(lines)


class IntegrityWatch(QObject):
    """Runs the full check of the open profile once, then the daily backup or the damage box."""

    restore_requested = Signal(object)  # Path of the backup to restore
    checked = Signal(object)  # the CheckReport

    def __init__(self, profile: Profile, runner: TaskRunner, window: Any):
        super().__init__(window)
        self.profile = profile
        self.runner = runner
        self.window = window  # MainWindow: show_message() for the status bar
        self.report: CheckReport | None = None
        self.box: QMessageBox | None = None
        self.restore_button: QPushButton | None = None

    def start(self) -> None:
        profile = self.profile
        self.runner.submit(lambda: check_open_profile(profile), on_done=self._checked,
                           on_error=lambda exc: self.window.show_message(
                               f"Contrôle de la base impossible{NBSP}: {_reason(exc)}"))

    def _checked(self, report: CheckReport) -> None:
        self.report = report
        self.checked.emit(report)
        if not report.ok:
            self.window.show_message(f"{TITLE}{NBSP}: {report.damage.lines()[0]}")
            self._offer(report)
            return
        profile = self.profile
        self.runner.submit(lambda: automatic_backup(profile), on_done=self._backed_up,
                           on_error=lambda exc: self.window.show_message(
                               f"Sauvegarde automatique impossible{NBSP}: {_reason(exc)}"))

    def _backed_up(self, path: Path | None) -> None:
        if path is not None:
            self.window.show_message(f"Sauvegarde automatique écrite dans backups/{NBSP}: {path.name}.")

    def _offer(self, report: CheckReport) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, TITLE, damage_text(report), QMessageBox.StandardButton.NoButton,
                          self.window)
        box.setObjectName("damage_box")
        if report.backup is not None:
            self.restore_button = box.addButton("Restaurer cette sauvegarde", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Plus tard", QMessageBox.ButtonRole.RejectRole)
            backup = report.backup.path
            self.restore_button.clicked.connect(lambda: self.restore_requested.emit(backup))
        else:
            box.addButton(QMessageBox.StandardButton.Ok)
        self.box = box
        box.open()  # not modal to the app: the counsellor may still read and copy what is there


def run_with_progress(work: Callable[[], Any], label: str, parent: QWidget | None = None) -> Any:
    """Run `work` on a task runner of its own while a busy dialog shows; its result, or its exception raised."""
    runner = TaskRunner()
    loop = QEventLoop()
    outcome: dict[str, Any] = {}
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.show()
    runner.submit(work, on_done=lambda result: (outcome.setdefault("result", result), loop.quit()),
                  on_error=lambda exc: (outcome.setdefault("error", exc), loop.quit()))
    try:
        loop.exec()
    finally:
        dialog.close()
        runner.shutdown()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def ask_restore_at_start(message: str, backup: Path) -> bool:
    """The profile did not open because its database is damaged: offer the latest sound backup."""
    box = QMessageBox(QMessageBox.Icon.Warning, TITLE, message, QMessageBox.StandardButton.NoButton)
    box.setObjectName("damage_box")
    restore = box.addButton("Restaurer cette sauvegarde", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quitter", QMessageBox.ButtonRole.RejectRole)
    box.setInformativeText(f"Sauvegarde proposée{NBSP}: {backup}")
    box.exec()
    return box.clickedButton() is restore
