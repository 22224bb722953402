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
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QPushButton, QWidget

from ..domain.errors import DomainError
from ..services.backup import automatic_backup
from ..services.check import CheckReport, check_open_profile
from ..store.profile import Profile
from ..texts import keys as keys_texts
from .display import NBSP
from .tasks import TaskRunner

TITLE = "Base endommagée"
CHOOSE = "Choisir une sauvegarde…"
BACKUP_FILTER = "Sauvegardes Tandem (*.db);;Tous les fichiers (*)"


def _reason(error: BaseException) -> str:
    return str(error) if isinstance(error, DomainError) else f"erreur inattendue ({type(error).__name__})"


def damage_text(report: CheckReport) -> str:
    """The box's explanation: what is damaged, what was not touched, and the way back."""
    lines = [f"La base de ce profil est endommagée{NBSP}:", *report.damage.lines(), "Elle n’a pas été modifiée."]
    if report.backup is not None:
        lines.append(
            f"Dernière sauvegarde saine{NBSP}: {report.backup.path.name}, du {report.backup.date_text}. "
            "La restaurer remplace la base par cette sauvegarde (la base endommagée est conservée dans "
            "le dossier backups/ du profil). Ce qui a été saisi depuis cette date est perdu, sauf ce qui a "
            "déjà été envoyé au hub, qui reviendra à la prochaine synchronisation.")
    else:
        lines.append(no_backup_text(report.database.parent / "backups"))
    return "\n\n".join(lines)


def no_backup_text(backups_dir: object) -> str:
    """No sound backup in the profile's folder: where one may be, and the button that restores it."""
    return (f"Aucune sauvegarde saine dans le dossier backups/ du profil. Si vous en avez une ailleurs, "
            f"choisissez-la ({keys_texts.GUI.restore}){NBSP}: elle est vérifiée avant de remplacer la base. "
            f"{keys_texts.where_backups_are(backups_dir)} Si ce poste est relié au hub, ses données peuvent "
            "aussi être reprises du hub.")


def choose_backup(parent: QWidget | None, backups_dir: Path) -> Path | None:
    """The file picker, opened where the app's backups are; None if cancelled."""
    start = backups_dir if backups_dir.is_dir() else backups_dir.parent
    name, _ = QFileDialog.getOpenFileName(parent, "Choisir une sauvegarde à restaurer", str(start), BACKUP_FILTER)
    return Path(name) if name else None


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
            self.restore_button = box.addButton(CHOOSE, QMessageBox.ButtonRole.AcceptRole)
            box.addButton("Plus tard", QMessageBox.ButtonRole.RejectRole)
            self.restore_button.clicked.connect(self._choose)
        self.box = box
        box.open()  # not modal to the app: the counsellor may still read and copy what is there


    def _choose(self) -> None:
        chosen = choose_backup(self.window, self.profile.settings.backups_dir)
        if chosen is not None:
            self.restore_requested.emit(chosen)  # the restore checks it before it replaces anything


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


def ask_restore_at_start(message: str, backup: Path | None, backups_dir: Path) -> Path | None:
    """The profile did not open because its database is damaged: offer the latest sound backup, or
    (none found) a backup chosen by hand; the backup to restore, or None to quit."""
    box = QMessageBox(QMessageBox.Icon.Warning, TITLE, message, QMessageBox.StandardButton.NoButton)
    box.setObjectName("damage_box")
    restore = box.addButton("Restaurer cette sauvegarde", QMessageBox.ButtonRole.AcceptRole) if backup else None
    choose = box.addButton(CHOOSE, QMessageBox.ButtonRole.ActionRole)
    box.addButton("Quitter", QMessageBox.ButtonRole.RejectRole)
    if backup is not None:
        box.setInformativeText(f"Sauvegarde proposée{NBSP}: {backup}")
    else:
        box.setInformativeText(no_backup_text(backups_dir))
    box.exec()
    if restore is not None and box.clickedButton() is restore:
        return backup
    if box.clickedButton() is choose:
        return choose_backup(None, backups_dir)
    return None
