"""« Connexion au hub… »: enroll this device with the hub's address and a one-time code.

The enrollment talks to the network, so it runs on the task runner; the dialog stays responsive,
shows a clear French message when the hub cannot be reached or the code is refused, and then shows
the device as enrolled.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..services.sync import Enrollment, demo_refusal
from .display import NBSP
from .fitting import adopt, keep_fitted, say
from .sync_controller import SyncController
from .sync_service import Failure, classify, failure_message
from .uiload import child, load_ui

MSG_URL = f"Adresse du hub invalide{NBSP}: elle commence par https:// (ou http://) suivi du nom du serveur."
MSG_CODE = "Saisissez le code d’enrôlement remis par l’administrateur du hub."
MSG_INSECURE = (f"Cette adresse en http:// n’est pas chiffrée{NBSP}: cochez «{NBSP}Autoriser une connexion non "
                f"chiffrée{NBSP}» seulement sur un réseau de confiance, ou demandez l’adresse https:// du hub.")


def unreachable_message(url: str) -> str:
    return (f"Hub injoignable à l’adresse «{NBSP}{url}{NBSP}»{NBSP}: vérifiez l’adresse et la connexion "
            "du poste, puis réessayez.")


def valid_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


DEVICE_NAME_HINT = "Par défaut : votre nom et celui de votre structure"


class EnrollDialog(QDialog):
    """Modal; `result_info` holds the enrollment answer once the device is enrolled."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.result_info: Enrollment | None = None
        self.setObjectName("enroll_dialog")
        self.setWindowTitle("Connexion au hub")
        self.ui = load_ui("enroll_dialog.ui", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.ui)
        self.hub_url = child(self.ui, QLineEdit, "hub_url")
        self.code = child(self.ui, QLineEdit, "code")
        self.device_name = child(self.ui, QLineEdit, "device_name")
        self.error = child(self.ui, QLabel, "error_label")
        self.progress = child(self.ui, QLabel, "progress_label")
        self.current = child(self.ui, QLabel, "current_label")
        self.enroll_button = child(self.ui, QPushButton, "enroll_button")
        self.close_button = child(self.ui, QPushButton, "close_button")
        self.insecure_http = child(self.ui, QCheckBox, "insecure_http")
        self.insecure_label = child(self.ui, QLabel, "insecure_label")
        self.device_name.setPlaceholderText(DEVICE_NAME_HINT)  # the hub names it « counsellor – structure »
        self.hub_url.textChanged.connect(self._show_insecure_choice)
        self.hub_url.setText(controller.hub_url)
        self._show_insecure_choice()
        self.enroll_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.reject)
        for field in (self.hub_url, self.code, self.device_name):
            field.returnPressed.connect(self.submit)
        self.progress.hide()
        adopt(self.error)
        self.show_error("")
        # A refusal speaks of what was typed (or ticked): it goes as soon as that changes.
        for field in (self.hub_url, self.code, self.device_name):
            field.textEdited.connect(lambda _text: self.show_error(""))
        self.insecure_http.toggled.connect(lambda _checked: self.show_error(""))
        self._show_current()
        self.setMinimumWidth(520)
        keep_fitted(self)
        (self.code if self.hub_url.text() else self.hub_url).setFocus()
        profile = getattr(controller, "profile", None)
        if profile is not None and (refusal := demo_refusal(profile)):  # fake records would all be pushed
            for widget in (self.hub_url, self.code, self.device_name, self.insecure_http, self.enroll_button):
                widget.setEnabled(False)
            self.show_error(refusal)
            self.close_button.setFocus()

    def _show_current(self, info: Enrollment | None = None) -> None:
        status = self.controller.status
        device = info.device_id if info is not None else (status.device_id if status is not None else None)
        url = self.controller.hub_url if info is None else (info.hub_url or self.hub_url.text().strip().rstrip("/"))
        if info is None and not self.controller.is_enrolled:
            self.current.hide()
            return
        text = f"Ce poste est connecté au hub «{NBSP}{url}{NBSP}»."
        if device:
            text += f"\nIdentifiant de l’appareil{NBSP}: {device}"
        if info is None:
            text += ("\nUn nouveau code d’enrôlement le reconnecte (cela crée un nouvel appareil au hub\u00a0: "
                     "faites révoquer l’ancien par l’administrateur).")
        elif info.previous_device_id:
            text += (f"\nL'ancien appareil {info.previous_device_id} reste actif au hub{NBSP}: demandez à "
                     "l’administrateur de le révoquer.")
        self.current.setText(text)
        self.current.show()

    def _needs_insecure_http(self, url: str) -> bool:
        check = getattr(self.controller.service, "needs_insecure_http", None)
        return bool(check and valid_url(url) and check(url))

    def _show_insecure_choice(self) -> None:
        """The choice to allow plain http, and what it risks, only for an http:// address of another machine."""
        needed = self._needs_insecure_http(self.hub_url.text().strip())
        if not needed:
            self.insecure_http.setChecked(False)
        self.insecure_http.setVisible(needed)
        self.insecure_label.setVisible(needed)

    def show_error(self, message: str) -> None:
        say(self.error, message)

    def submit(self) -> None:
        url = self.hub_url.text().strip().rstrip("/")
        code = self.code.text().strip()
        if not valid_url(url):
            self.show_error(MSG_URL)
            self.hub_url.setFocus()
            return
        if not code:
            self.show_error(MSG_CODE)
            self.code.setFocus()
            return
        insecure = self._needs_insecure_http(url)
        if insecure and not self.insecure_http.isChecked():
            self.show_error(MSG_INSECURE)
            self.insecure_http.setFocus()
            return
        self._busy(True)
        name = self.device_name.text().strip() or None
        self.controller.enroll(url, code, name, on_done=self._enrolled, on_error=lambda exc: self._failed(url, exc),
                               insecure_http=insecure)

    def _busy(self, busy: bool) -> None:
        for widget in (self.hub_url, self.code, self.device_name, self.insecure_http, self.enroll_button,
                       self.close_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.show_error("")

    def _enrolled(self, info: Enrollment) -> None:
        self.result_info = info
        self._busy(False)
        self.code.clear()
        self._show_current(self.result_info)
        self.enroll_button.setDefault(False)
        self.close_button.setDefault(True)
        self.close_button.setFocus()

    def _failed(self, url: str, exc: BaseException) -> None:
        self._busy(False)
        if classify(exc) is Failure.UNREACHABLE:
            self.show_error(unreachable_message(url))
            self.hub_url.setFocus()
            return
        self.show_error(failure_message(exc, "Connexion impossible"))
        self.code.selectAll()
        self.code.setFocus()

    def reject(self) -> None:
        if self.close_button.isEnabled():  # never close while the enrollment is running
            super().reject()
