"""The window's side of diagnostics: the « erreur inattendue » dialog, Qt's messages into the log, « À propos ».

The Qt-free part (log file, hooks, reports without personal data) is tandem_desktop/diagnostics/.
An error nobody handled (an exception in a slot, a background job without `on_error`, a thread)
is logged there, then shown here; the window keeps running. While one dialog is open, later errors
are counted in it rather than stacking dialogs.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import PySide6
from PySide6.QtCore import QMessageLogContext, QObject, Qt, QtMsgType, Signal, qInstallMessageHandler, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..diagnostics import logs_dir, report
from .display import NBSP

TITLE = "Une erreur inattendue s’est produite"
EXPLANATION = ("L’opération en cours n’a pas abouti. Les fiches déjà enregistrées sont intactes et vous pouvez "
               "continuer à travailler. Si l’erreur revient, copiez le rapport et transmettez-le à "
               f"l’assistance{NBSP}: il ne contient aucune donnée personnelle (ni nom, ni e-mail, ni valeur "
               "saisie), seulement la version, le système et les endroits du programme concernés.")
LICENCE = "Logiciel libre publié sous licence MIT."
_MAX_REPORTS = 10
_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
qt_log = logging.getLogger("qt")


def qt_versions() -> list[tuple[str, str]]:
    return [("Qt", qVersion()), ("PySide6", PySide6.__version__)]


def _log_qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    qt_log.log(_QT_LEVELS.get(mode, logging.WARNING), "%s (%s)", message, context.category or "default")


@contextmanager
def qt_messages_logged() -> Iterator[None]:
    """Qt's own warnings (qWarning…) go to the field log while the window runs, scrubbed like the rest."""
    previous = qInstallMessageHandler(_log_qt_message)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


class ErrorDialog(QDialog):
    """« Une erreur inattendue s’est produite », with the report shown and « Copier le rapport »."""

    def __init__(self, report_text: str, log_path: Path | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("error_dialog")
        self.setWindowTitle("Erreur inattendue")
        self.setModal(True)
        self.resize(620, 440)
        self.reports = [report_text]
        layout = QVBoxLayout(self)
        heading = QLabel(TITLE, self)
        heading.setObjectName("error_title")
        heading.setStyleSheet("font-weight: bold; font-size: 12pt;")
        layout.addWidget(heading)
        text = QLabel(EXPLANATION, self)
        text.setWordWrap(True)
        layout.addWidget(text)
        if log_path is not None:
            where = QLabel(f"Journal technique{NBSP}: {log_path}", self)
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            where.setWordWrap(True)
            layout.addWidget(where)
        self.more = QLabel("", self)
        self.more.setObjectName("error_more")
        self.more.hide()
        layout.addWidget(self.more)
        self.details = QPlainTextEdit(report_text, self)
        self.details.setObjectName("error_report")
        self.details.setReadOnly(True)
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(self)
        self.copy_button = QPushButton("Copier le rapport", self)
        self.copy_button.setObjectName("copy_report")
        self.copy_button.clicked.connect(self.copy_report)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton("Fermer", QDialogButtonBox.ButtonRole.RejectRole)
        close.setObjectName("close_error")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        close.setDefault(True)

    def report_text(self) -> str:
        return "\n".join(self.reports)

    def add(self, report_text: str) -> None:
        if len(self.reports) < _MAX_REPORTS:
            self.reports.append(report_text)
            self.details.setPlainText(self.report_text())
        others = len(self.reports) - 1
        self.more.setText(f"Et {others} autre{'s' if others > 1 else ''} erreur{'s' if others > 1 else ''} "
                          "depuis (dans le rapport).")
        self.more.show()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())
        self.copy_button.setText("Rapport copié")


class ErrorReporter(QObject):
    """Shows unexpected errors, from any thread, in one dialog at a time on the GUI thread."""

    _raised = Signal(object, str)

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None,
                 window: Callable[[], QWidget | None] = QApplication.activeWindow):
        super().__init__(parent)
        self.log_path = log_path
        self._window = window
        self.dialog: ErrorDialog | None = None
        self._raised.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, error: BaseException, context: str) -> None:
        """Thread-safe: the dialog opens on the GUI thread once the event loop runs."""
        self._raised.emit(error, context)

    def _show(self, error: BaseException, context: str) -> None:
        text = report(error, context, qt_versions())
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add(text)
            return
        self.dialog = ErrorDialog(text, self.log_path, self._window())
        self.dialog.open()  # window-modal, without a nested event loop: the app keeps running


def about_text(data_dir: Path) -> str:
    return (f"<p><b>Tandem Desktop {__version__}</b></p>"
            "<p>Les fiches des mentors, mentorés et tandems de Tandem – le hub du mentorat, hors ligne.</p>"
            f"<p>Dossier des données{NBSP}: {html.escape(str(data_dir))}<br>"
            f"Dossier du journal{NBSP}: {html.escape(str(logs_dir(data_dir)))}</p>"
            f"<p>{LICENCE}</p>")


def show_about(parent: QWidget, data_dir: Path) -> QDialog:
    """« À propos de Tandem Desktop »: version, data and log folders, licence (paths selectable)."""
    dialog = QDialog(parent)
    dialog.setObjectName("about_dialog")
    dialog.setWindowTitle("À propos de Tandem Desktop")
    layout = QVBoxLayout(dialog)
    label = QLabel(about_text(data_dir), dialog)
    label.setObjectName("about_text")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
