"""« Vérifier une charte »: choose a PDF, check its seal on the worker, say plainly what it means.

The headline answers the one question asked (can this paper be trusted?); below it, the same
messages as `tandem charter verify` (charter/verdict.py writes both); the details say who sealed it,
under which authority, what else signed the file, when, from which template, and whether this device
holds the same charter.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from ..charter import verdict as texts
from ..charter.names import subject_names
from .charter_dialogs import error_text
from .display import NBSP
from .tasks import Lane, TaskRunner
from .widgets import named_button

if TYPE_CHECKING:
    from ..charter.verify import VerifyReport
    from ..services.charters import CharterService

INTACT, UNVOUCHED, MODIFIED, NO_SEAL, UNREADABLE = (texts.INTACT, texts.UNVOUCHED, texts.MODIFIED, texts.NO_SEAL,
                                                    texts.UNREADABLE)
GREEN, AMBER, RED = "#1b7f3b", "#8a4b00", "#b3261e"
# Green: exit 0 with someone to vouch (the hub, or this device's register); amber: nobody vouches
# (exit 0 where no hub is known, 3 where one is); red: changed, another file under a stored id, unreadable.
COLORS = {INTACT: GREEN, texts.LOCAL: GREEN, UNVOUCHED: AMBER, texts.NOT_VOUCHED: AMBER, texts.MISMATCH: RED,
          MODIFIED: RED, NO_SEAL: AMBER, UNREADABLE: RED}
HEADLINES = {key: (texts.HEADLINES[key], color) for key, color in COLORS.items()}
DETAILS = ("number", "signer", "device", "hub", "kind", "signatures", "date", "template", "charter", "local",
           "at_hub")
DETAIL_LABELS = {"number": "N° de charte", "signer": "Scellé par", "device": "Poste", "hub": "Autorité",
                 "kind": "Type de sceau",
                 "signatures": "Signatures", "date": "Date du sceau", "template": "Modèle", "charter": "Identifiant",
                 "local": "Base de ce poste", "at_hub": "Au hub"}


def verdict(report: VerifyReport) -> str:
    """Which headline: the same verdict as the CLI's (charter/verdict.py)."""
    return texts.kind(report)


def common_name(rfc4514: str | None) -> str:
    """« O=Tandem Desktop,CN=Tandem Desktop — poste non enrôlé » → « Tandem Desktop — poste non enrôlé »."""
    names = subject_names(rfc4514)
    return names.common_name if names else (rfc4514 or "—")


def detail_texts(report: VerifyReport) -> dict[str, str]:
    """The value shown for each detail row (« — » when the file does not say)."""
    local = {True: "Identique à la charte enregistrée sur ce poste",
             False: "Aucune charte identique enregistrée sur ce poste",
             None: "—"}[report.matches_local]
    if report.differs_from_local:
        local = "Différente de la charte enregistrée sur ce poste sous ce numéro"
    device = f"{texts.quoted(report.signer_device)} (nom donné par le poste)" if report.signer_device else "—"
    return {"number": report.number or "—", "signer": texts.signer_text(report), "device": device,
            "hub": texts.authority_text(report),
            "kind": texts.seal_kind_text(report), "signatures": texts.signatures_text(report),
            "date": _french_moment(report.signed_at), "template": report.template or "—",
            "charter": report.charter_id or "—", "local": local, "at_hub": "—"}


def _french_moment(iso: str | None) -> str:
    from datetime import datetime

    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return f"{moment:%d/%m/%Y} à {moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"


class VerifyDialog(QDialog):
    """Modal; `report` holds the last verdict."""

    def __init__(self, service: CharterService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.report: VerifyReport | None = None
        self.hub: Any = None  # the hub's word on the last file (services/charter_check.HubCheck)
        self.path: Path | None = None
        self.busy = False
        self.setObjectName("verify_dialog")
        self.setWindowTitle("Vérifier une charte")
        self.file_label = QLabel("Choisissez le PDF d’une charte scellée, reçu par courriel ou imprimé depuis "
                                 "un autre poste.", self)
        self.file_label.setObjectName("file_label")
        self.file_label.setWordWrap(True)
        self.choose_button = named_button(self, "choose_button", "Choisir un fichier…", "Choisir le PDF à vérifier")
        self.choose_button.clicked.connect(self.choose)
        self.headline = QLabel("", self)
        self.headline.setObjectName("headline_label")
        self.headline.hide()
        self.messages_label = QLabel("", self)
        self.messages_label.setObjectName("messages_label")
        self.messages_label.setWordWrap(True)
        self.messages_label.setTextFormat(Qt.TextFormat.RichText)
        self.messages_label.setStyleSheet("QLabel#messages_label { background: palette(base); padding: 8px; "
                                          "border: 1px solid palette(mid); }")
        self.detail_labels: dict[str, QLabel] = {}
        self.details = QWidget(self)
        form = QFormLayout(self.details)
        form.setContentsMargins(0, 8, 0, 0)
        for key in DETAILS:
            value = QLabel("—", self.details)
            value.setObjectName(f"detail_{key}")
            value.setWordWrap(True)
            form.addRow(f"{DETAIL_LABELS[key]}{NBSP}:", value)
            self.detail_labels[key] = value
        self.details.hide()
        self.close_button = named_button(self, "close_button", "Fermer", "Fermer (Échap)")
        self.close_button.clicked.connect(self.accept)

        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.choose_button)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addWidget(self.messages_label)
        layout.addWidget(self.details)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self.resize(680, 460)

    def choose(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Vérifier une charte", str(Path.home()),
                                                "Documents PDF (*.pdf);;Tous les fichiers (*)")
        if chosen:
            self.verify_file(Path(chosen))

    def verify_file(self, path: Path) -> None:
        """Read the file, then check it on the worker (pyHanko and the local charters table)."""
        if self.busy:
            return
        self.path = path
        self.file_label.setText(f"Fichier{NBSP}: {path.name}")
        self.file_label.setToolTip(str(path))
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._failed(exc)
            return
        self.busy = True
        self.choose_button.setEnabled(False)
        self.headline.hide()
        self.details.hide()
        self.messages_label.setText("Vérification en cours…")
        service = self.service
        self.runner.submit(lambda: service.verify(data), self.show_report, self._failed)

    def show_report(self, report: Any) -> None:
        self.busy = False
        self.choose_button.setEnabled(True)
        self.report = report
        text, color = HEADLINES[verdict(report)]
        self.headline.setText(text)
        self.headline.setStyleSheet(f"font-size: 15pt; font-weight: 700; color: {color};")
        self.headline.show()
        items = "".join(f"<li>{html.escape(message)}</li>" for message in report.messages)
        self.messages_label.setText(f'<ul style="margin: 0; -qt-list-indent: 1;">{items}</ul>')
        for key, value in detail_texts(report).items():
            self.detail_labels[key].setText(value)
        self.details.setVisible(report.sealed)
        self._ask_hub(report)

    def _ask_hub(self, report: VerifyReport) -> None:
        """The hub's word on the file's number, on the network lane: the same answer on every device."""
        ask = getattr(self.service, "hub_check", None)
        if ask is None or not report.number:
            return
        self.detail_labels["at_hub"].setText("Vérification auprès du hub…")
        self.details.show()
        number, sha256 = report.number, report.sha256

        def told(check: Any) -> None:
            if not Shiboken.isValid(self) or self.report is not report:
                return
            self.hub = check
            self.detail_labels["at_hub"].setText("\n".join(check.lines) or "—")
            self.resize(self.width(), max(self.height(), self.sizeHint().height()))  # the hub's lines fit
            if check.mismatch and verdict(report) in (INTACT, texts.LOCAL, UNVOUCHED):
                text, color = HEADLINES[texts.MISMATCH]
                self.headline.setText(text)
                self.headline.setStyleSheet(f"font-size: 15pt; font-weight: 700; color: {color};")

        def failed(exc: BaseException) -> None:
            if Shiboken.isValid(self) and self.report is report:
                self.detail_labels["at_hub"].setText(error_text(exc))

        self.runner.submit(lambda: ask(number, sha256), told, failed, lane=Lane.NETWORK)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.choose_button.setEnabled(True)
        text, color = HEADLINES[UNREADABLE]
        self.headline.setText(text)
        self.headline.setStyleSheet(f"font-size: 15pt; font-weight: 700; color: {color};")
        self.headline.show()
        self.details.hide()
        self.messages_label.setText(html.escape(error_text(exc)).replace("\n", "<br>"))

    def headline_text(self) -> str:
        return self.headline.text() if self.headline.isVisible() else ""
