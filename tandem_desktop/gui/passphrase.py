"""The passphrase dialogs: unlock an existing profile, or choose one for a new profile.

The key derivation is deliberately slow (memory-hard), so the attempt runs on the task runner and
the dialog stays responsive; a wrong passphrase shows an inline message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..store.errors import StoreError, WeakPassphrase, WrongKey
from ..store.keys import MIN_PASSPHRASE, check_new_passphrase
from ..store.profile import Profile
from ..store.strength import estimate
from .display import NBSP
from .fitting import ERROR_STYLE as WEAK_STYLE
from .fitting import adopt, keep_fitted, say
from .tasks import TaskRunner
from .uiload import child, load_ui

Attempt = Callable[[str], Profile]
MSG_MISMATCH = "Les deux saisies ne correspondent pas."
MSG_TOO_SHORT = f"Phrase de passe trop courte{NBSP}: {MIN_PASSPHRASE}{NBSP}caractères au moins."
STRENGTH_STYLES = {"bonne": "color: #1e7d32;", "moyenne": "color: #8a4b00;"}


def strength_text(passphrase: str, context: tuple[str, ...] = ()) -> tuple[str, str]:
    """The live hint under a new passphrase: (text, style). Empty while nothing is typed."""
    if not passphrase:
        return "", ""
    if len(passphrase) < MIN_PASSPHRASE:
        return f"Solidité{NBSP}: trop courte ({MIN_PASSPHRASE}{NBSP}caractères au moins).", WEAK_STYLE
    strength = estimate(passphrase, context)
    if strength.acceptable:
        return f"Solidité{NBSP}: bonne.", STRENGTH_STYLES["bonne"]
    return (f"Solidité{NBSP}: {strength.level}. {strength.hint()}",
            STRENGTH_STYLES.get(strength.level, WEAK_STYLE))


class PassphraseDialog(QDialog):
    """Asks for the passphrase and opens (or creates) the profile with it.

    After exec(): `profile` is set on success; `failure` holds an error the dialog cannot fix
    (profile locked, damaged file…) for the start-up code to report; `wants_recovery` is True when
    the counsellor chose « Code de secours… » instead (passphrase forgotten).
    """

    def __init__(self, attempt: Attempt, runner: TaskRunner, *, create: bool, location: str = "",
                 parent: QWidget | None = None, intro: str = "", offer_recovery: bool = False):
        super().__init__(parent)
        self.attempt = attempt
        self.runner = runner
        self.create = create
        self.context = (Path(location).name,) if location else ()
        self.profile: Profile | None = None
        self.failure: BaseException | None = None
        self.wants_recovery = False
        self.setObjectName("passphrase_dialog")
        self.ui = load_ui("passphrase_dialog.ui", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.ui)
        self.passphrase = child(self.ui, QLineEdit, "passphrase")
        self.confirm = child(self.ui, QLineEdit, "confirm")
        self.message = child(self.ui, QLabel, "message_label")  # the one message: a refusal or the live hint
        self.progress = child(self.ui, QLabel, "progress_label")
        self.ok_button = child(self.ui, QPushButton, "ok_button")
        self.cancel_button = child(self.ui, QPushButton, "cancel_button")
        self.recovery_button = child(self.ui, QPushButton, "recovery_button")
        self.recovery_button.setText(f"Phrase oubliée{NBSP}? Code de secours…")
        self.recovery_button.setVisible(offer_recovery and not create)
        self.recovery_button.clicked.connect(self._choose_recovery)
        intro_label = child(self.ui, QLabel, "intro_label")
        where = f" ({location})" if location else ""
        if create:
            self.setWindowTitle("Créer le profil chiffré")
            intro_label.setText(intro or (
                f"Bienvenue{NBSP}! Les fiches de ce poste{where} seront chiffrées. Aucun trousseau sécurisé "
                f"n’est disponible sur cet ordinateur{NBSP}: choisissez une phrase de passe de plusieurs mots, "
                "difficile à deviner. Elle sera demandée à chaque ouverture, et c’est elle qui protège les "
                "fiches si l’ordinateur est volé. Un code de secours vous sera remis ensuite, au cas où vous "
                "l’oublieriez."
            ))
            self.ok_button.setText("Créer le profil")
            self.progress.setText("Création du profil chiffré en cours…")
        else:
            self.setWindowTitle("Déverrouiller Tandem Desktop")
            intro_label.setText(f"Ce profil{where} est chiffré. Saisissez sa phrase de passe pour l’ouvrir.")
            self.confirm.hide()
            child(self.ui, QLabel, "label_confirm").hide()
        self.progress.hide()
        adopt(self.message)
        self.passphrase.textChanged.connect(self._input_changed)
        self.confirm.textChanged.connect(self._input_changed)
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        self.passphrase.returnPressed.connect(self.submit)
        self.confirm.returnPressed.connect(self.submit)
        self.setMinimumWidth(460)
        keep_fitted(self)  # the hint and the refusals wrap over several lines

    def show_error(self, message: str) -> None:
        """A refusal, in place of the live hint until the input changes."""
        say(self.message, message, WEAK_STYLE)

    def _input_changed(self, _text: str = "") -> None:
        """Typing clears a refusal; a new passphrase shows its live strength instead."""
        hint, style = strength_text(self.passphrase.text(), self.context) if self.create else ("", "")
        say(self.message, hint, style)

    def _choose_recovery(self) -> None:
        self.wants_recovery = True
        self.reject()

    def submit(self) -> None:
        text = self.passphrase.text()
        if self.create and len(text) < MIN_PASSPHRASE:
            self.show_error(MSG_TOO_SHORT)
            return
        if self.create:
            try:
                check_new_passphrase(text, self.context)
            except WeakPassphrase as exc:
                self.show_error(str(exc))
                return
        if self.create and text != self.confirm.text():
            self.show_error(MSG_MISMATCH)
            return
        if not text:
            return
        self._busy(True)
        attempt = self.attempt
        self.runner.submit(lambda: attempt(text), on_done=self._opened, on_error=self._failed)

    def _busy(self, busy: bool) -> None:
        for widget in (self.passphrase, self.confirm, self.ok_button, self.cancel_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.show_error("")

    def _opened(self, profile: Profile) -> None:
        self.profile = profile
        self._busy(False)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, WrongKey | WeakPassphrase):
            self.show_error(str(exc))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        self.failure = exc if isinstance(exc, StoreError) else StoreError(f"Ouverture impossible{NBSP}: {exc}")
        self.reject()

    def reject(self) -> None:
        if self.ok_button.isEnabled() or self.failure is not None:  # never close mid-attempt
            super().reject()
