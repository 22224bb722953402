"""Dialogs about the profile's key: the recovery code shown once (print, copy, confirm), a keyring
that is locked or whose entry is gone (retry, recovery code, start again from the hub), typing the
recovery code, and what to do after a recovery.

Every slow or possibly blocking step (scrypt, a keyring that shows its own unlock prompt) runs on the
task runner; the dialogs stay responsive and show errors inline.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..services.keys import CODE_ADVICE
from ..store import recovery
from ..store.errors import (
    KeyringUnreachable,
    KeyUnavailable,
    LockedKeyring,
    NoRecoveryCode,
    RecoveryCodeInvalid,
    StoreError,
    WrongRecoveryCode,
)
from ..store.profile import Profile
from ..texts import keys as keys_texts
from .display import NBSP
from .fitting import ERROR_STYLE, adopt, keep_fitted, say
from .tasks import TaskRunner

STILL = {LockedKeyring: "Toujours verrouillé", KeyringUnreachable: "Toujours sans réponse"}


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("error")
    label.setStyleSheet(ERROR_STYLE)
    adopt(label)
    return label


def window_text(error: BaseException, has_code: bool = True) -> str:
    """An error as the window says it: its buttons, not the commands of the command line."""
    if isinstance(error, KeyUnavailable):
        if not has_code:
            return f"{keys_texts.KEY_MISSING}\n\n{keys_texts.no_recovery_code(keys_texts.GUI)}"
        return keys_texts.key_missing(keys_texts.GUI)
    if isinstance(error, NoRecoveryCode):
        return keys_texts.no_recovery_code(keys_texts.GUI)
    return str(error)


def _button(parent: QWidget, name: str, text: str, slot: Callable[[], Any]) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.clicked.connect(slot)
    return button


def recovery_sheet_html(code: str, location: str) -> str:
    """What « Imprimer » puts on paper: the code, the profile, and how to use it."""
    return (f"<h2>Tandem Desktop — code de secours</h2><p>Profil{NBSP}: {html.escape(location)}</p>"
            f"<p style='font-size:20pt; font-family:monospace'><b>{html.escape(code)}</b></p>"
            f"<p>{html.escape(CODE_ADVICE)}</p>")


class RecoveryCodeDialog(QDialog):
    """The code, shown once: print it or write it down, then type one group back to go on.

    There is no « Annuler »: leaving without the code would leave a profile nobody can reopen if the
    key is lost. Échap does nothing; « Continuer » waits for the confirmation."""

    def __init__(self, code: str, location: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recovery_code_dialog")
        self.setWindowTitle("Code de secours du profil")
        self.code = code
        self.location = location
        self.group = secrets.randbelow(recovery.GROUPS) + 1  # which group to type back
        self.confirmed = False
        intro = QLabel(
            f"Voici le code de secours de ce profil. Il ne sera affiché qu’une fois{NBSP}: imprimez-le ou "
            "recopiez-le sur papier maintenant, et rangez-le ailleurs que dans la sacoche de l’ordinateur. "
            "Il ouvre ce profil et toutes ses sauvegardes si la clé du trousseau (ou la phrase de passe) "
            "est perdue.", self)
        intro.setWordWrap(True)
        self.code_label = QLabel(code, self)
        self.code_label.setObjectName("code")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(18)
        font.setBold(True)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.print_button = _button(self, "print_button", "Imprimer…", self.print_sheet)
        self.copy_button = _button(self, "copy_button", "Copier", self.copy)
        ordinal = "1er" if self.group == 1 else f"{self.group}e"
        ask = QLabel(f"Pour confirmer que vous l’avez noté, recopiez son {ordinal}{NBSP}groupe de "
                     f"{recovery.GROUP_LEN}{NBSP}caractères{NBSP}:", self)
        ask.setWordWrap(True)
        self.confirm = QLineEdit(self)
        self.confirm.setObjectName("confirm")
        self.confirm.setMaxLength(recovery.GROUP_LEN + 4)
        self.confirm.textChanged.connect(self._check)
        self.error = _error_label(self)
        self.continue_button = _button(self, "continue_button", "Continuer", self._done)
        self.continue_button.setEnabled(False)
        self.continue_button.setDefault(True)

        tools = QHBoxLayout()
        tools.addStretch(1)
        tools.addWidget(self.print_button)
        tools.addWidget(self.copy_button)
        tools.addStretch(1)
        end = QHBoxLayout()
        end.addStretch(1)
        end.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.code_label):
            layout.addWidget(widget)
        layout.addLayout(tools)
        layout.addWidget(ask)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addLayout(end)
        self.setMinimumWidth(520)
        keep_fitted(self)

    def expected(self) -> str:
        raw = recovery.normalize(self.code)
        start = (self.group - 1) * recovery.GROUP_LEN
        return raw[start:start + recovery.GROUP_LEN]

    def _typed(self) -> str:
        text = "".join(ch for ch in self.confirm.text().upper() if ch.isalnum())
        return "".join({"O": "0", "I": "1", "L": "1"}.get(ch, ch) for ch in text)

    def _check(self, _text: str = "") -> None:
        typed = self._typed()
        ok = typed == self.expected()
        self.continue_button.setEnabled(ok)
        wrong = len(typed) >= recovery.GROUP_LEN and not ok
        say(self.error, f"Ce n’est pas le groupe demandé{NBSP}: vérifiez ce que vous avez noté." if wrong else "")

    def _done(self) -> None:
        if self._typed() == self.expected():
            self.confirmed = True
            self.accept()

    def reject(self) -> None:  # Échap or the window's close button: the code must be confirmed first
        if self.confirmed:
            super().reject()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)

    def print_sheet(self) -> bool:
        """Through the system print dialog; False if cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName("Code de secours Tandem Desktop")
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Imprimer le code de secours")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        document = QTextDocument()
        document.setHtml(recovery_sheet_html(self.code, self.location))
        document.print_(printer)
        return True


class KeyProblemDialog(QDialog):
    """The key cannot be read: the keyring is locked or does not answer (« Réessayer » once it is
    unlocked), or its entry is gone (the recovery code, or start again from the hub). When creating a
    profile with the keyring locked: retry, or protect the profile with a passphrase instead.

    After exec(): `profile` on a successful retry; else `choice` is "recovery", "restart",
    "passphrase" or "" (quit), and `failure` an error the dialog cannot fix."""

    def __init__(self, error: StoreError, runner: TaskRunner, retry: Callable[[], Profile], *,
                 creating: bool = False, has_code: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("key_problem_dialog")
        self.runner = runner
        self.retry_attempt = retry
        self.profile: Profile | None = None
        self.failure: BaseException | None = None
        self.choice = ""
        missing = isinstance(error, KeyUnavailable)
        self.setWindowTitle("Clé du profil introuvable" if missing else "Trousseau du système inaccessible")
        self.message = QLabel(self)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.progress = QLabel("Nouvel essai…", self)  # then « Toujours verrouillé (essai à 15:26:03) »
        self.progress.setObjectName("progress")
        self.progress.hide()
        self.retry_button = _button(self, "retry_button", "Réessayer", self.retry)
        self.recovery_button = _button(self, "recovery_button", "Code de secours…", lambda: self._choose("recovery"))
        self.restart_button = _button(self, "restart_button", "Repartir du hub…", lambda: self._choose("restart"))
        self.passphrase_button = _button(self, "passphrase_button", "Choisir une phrase de passe…",
                                         lambda: self._choose("passphrase"))
        self.quit_button = _button(self, "quit_button", "Quitter", self.reject)
        self.retry_button.setVisible(not missing)
        self.recovery_button.setVisible(not creating and has_code)
        self.restart_button.setVisible(missing)
        self.passphrase_button.setVisible(creating)
        self.show_error(error, has_code)
        buttons = QHBoxLayout()
        for button in (self.recovery_button, self.restart_button, self.passphrase_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.retry_button)
        default = self.retry_button if not missing else self.recovery_button if has_code else self.restart_button
        default.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        keep_fitted(self)

    def show_error(self, error: StoreError, has_code: bool = True) -> None:
        self.message.setText(window_text(error, has_code))

    def _choose(self, choice: str) -> None:
        self.choice = choice
        super().reject()

    def retry(self) -> None:
        self.progress.setText("Nouvel essai…")
        self._busy(True)
        self.runner.submit(self.retry_attempt, on_done=self._opened, on_error=self._failed)

    def _busy(self, busy: bool) -> None:
        for button in (self.retry_button, self.recovery_button, self.restart_button, self.passphrase_button,
                       self.quit_button):
            button.setEnabled(not busy)
        if busy:
            self.progress.show()

    def _opened(self, profile: Profile) -> None:
        self._busy(False)
        self.profile = profile
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, LockedKeyring | KeyringUnreachable | KeyUnavailable):
            self.show_error(exc)  # still locked: say so again, and that the retry did happen
            still = next((text for cls, text in STILL.items() if isinstance(exc, cls)), "Toujours introuvable")
            self.progress.setText(f"{still} (essai à {datetime.now():%H:%M:%S}).")
            if isinstance(exc, KeyUnavailable):
                self.retry_button.hide()
                self.restart_button.show()
            return
        self.failure = exc if isinstance(exc, StoreError) else StoreError(f"Ouverture impossible{NBSP}: {exc}")
        super().reject()

    def reject(self) -> None:
        if self.quit_button.isEnabled():  # never close mid-attempt
            super().reject()


class RecoveryEntryDialog(QDialog):
    """Type the recovery code; the profile opens with it (on the runner: scrypt takes a moment)."""

    def __init__(self, attempt: Callable[[str], Profile], runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recovery_entry_dialog")
        self.setWindowTitle("Ouvrir avec le code de secours")
        self.attempt = attempt
        self.runner = runner
        self.profile: Profile | None = None
        self.failure: BaseException | None = None
        intro = QLabel(f"Saisissez le code de secours remis à la création du profil ({recovery.GROUPS} groupes de "
                       f"{recovery.GROUP_LEN}{NBSP}caractères{NBSP}; majuscules, espaces et tirets indifférents).",
                       self)
        intro.setWordWrap(True)
        self.code = QLineEdit(self)
        self.code.setObjectName("code")
        self.code.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.code.returnPressed.connect(self.submit)
        self.error = _error_label(self)
        self.progress = QLabel("Ouverture du profil en cours…", self)
        self.progress.hide()
        self.ok_button = _button(self, "ok_button", "Ouvrir", self.submit)
        self.ok_button.setDefault(True)
        self.cancel_button = _button(self, "cancel_button", "Annuler", self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.code, self.error, self.progress):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)
        self.code.textChanged.connect(lambda _text: self._show(""))  # a refusal goes as the code is corrected
        keep_fitted(self)

    def submit(self) -> None:
        text = self.code.text()
        try:
            recovery.normalize(text)
        except RecoveryCodeInvalid as exc:
            self._show(str(exc))
            return
        self._busy(True)
        attempt = self.attempt
        self.runner.submit(lambda: attempt(text), on_done=self._opened, on_error=self._failed)

    def _show(self, message: str) -> None:
        say(self.error, message)

    def _busy(self, busy: bool) -> None:
        for widget in (self.code, self.ok_button, self.cancel_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self._show("")

    def _opened(self, profile: Profile) -> None:
        self._busy(False)
        self.profile = profile
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, WrongRecoveryCode | RecoveryCodeInvalid | NoRecoveryCode):
            self._show(window_text(exc))
            self.code.selectAll()
            self.code.setFocus()
            return
        self.failure = exc if isinstance(exc, StoreError) else StoreError(f"Ouverture impossible{NBSP}: {exc}")
        super().reject()

    def reject(self) -> None:
        if self.cancel_button.isEnabled() or self.failure is not None:
            super().reject()


class AfterRecoveryDialog(QDialog):
    """Opened with the recovery code: make the next opening normal. `choice` after exec():
    "keyring" (put the key back), "passphrase" (choose a new one), or "" (later: the code still works)."""

    def __init__(self, keyring_available: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("after_recovery_dialog")
        self.setWindowTitle("Profil ouvert avec le code de secours")
        self.choice = ""
        text = QLabel(
            f"Le profil est ouvert avec son code de secours. Pour que la prochaine ouverture soit normale"
            f"{NBSP}: remettez sa clé dans le trousseau du système, ou protégez-le désormais par une nouvelle "
            "phrase de passe. Le code de secours reste valable dans les deux cas.", self)
        text.setWordWrap(True)
        self.keyring_button = _button(self, "keyring_button", "Remettre la clé dans le trousseau",
                                      lambda: self._choose("keyring"))
        self.keyring_button.setVisible(keyring_available)
        self.passphrase_button = _button(self, "passphrase_button", "Nouvelle phrase de passe…",
                                         lambda: self._choose("passphrase"))
        self.later_button = _button(self, "later_button", "Plus tard", self.reject)
        (self.keyring_button if keyring_available else self.passphrase_button).setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.passphrase_button)
        buttons.addWidget(self.keyring_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        keep_fitted(self)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
