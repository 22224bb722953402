"""Signing the charter on screen: one party after the other on the signature pad, then the seal.
Also the texts the charter dialogs share (errors in French, dates).

Sealing runs on the task runner (ReportLab, pyHanko and the database); the dialog stays responsive,
and a failure leaves everything as it was (the service writes in one transaction) with the drawings
still there, so « Sceller la charte » can simply be pressed again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..charter.render import PARTY_LABELS, SIGNATURE_ASPECT, Signature
from ..domain.errors import DomainError, ValidationError
from ..store.errors import StoreError
from .display import NBSP
from .pdf_view import file_error
from .signature_pad import SignaturePad
from .tasks import Lane, TaskRunner
from .widgets import named_button

if TYPE_CHECKING:
    from ..services.charters import CharterService

log = logging.getLogger(__name__)

ROLES = {party: label.lower() for party, label in PARTY_LABELS.items()}  # the words the charter prints
MSG_LOCAL_CERT = ("Ce poste n’est pas encore enrôlé\u00a0: la charte sera scellée avec un certificat local, "
                  "et personne ne pourra garantir qui l’a scellée.")
MSG_HUB_CERT = ("La charte sera scellée avec le certificat de ce poste, délivré par le hub Tandem au nom du "
                "conseiller et de la structure pour qui il a été enrôlé.")
MSG_PLACE = "Indiquez où la charte est signée (par exemple «\u00a0Marseille\u00a0»)."
ERROR_STYLE = "color: #b3261e;"


def error_text(exc: BaseException) -> str:
    """What the counsellor reads when a charter action fails: the domain's French, never a traceback."""
    missing = getattr(exc, "missing", None)
    if missing:
        items = "\n".join(f"• {item}" for item in missing)
        return (f"Il manque des informations pour établir la charte{NBSP}:\n{items}\n"
                "Complétez les fiches, puis recommencez.")
    if isinstance(exc, ValidationError):
        return "\n".join(exc.errors.values())
    if isinstance(exc, DomainError | StoreError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"Fichier inaccessible{NBSP}: {file_error(exc)}."
    log.error("charter action failed", exc_info=exc)
    return f"Erreur inattendue{NBSP}: {exc}"


def of_name(name: str) -> str:
    """« de Jean Martin », « d’Hélène Durand »: French elides « de » before a vowel or a mute h."""
    return f"d’{name}" if name[:1].lower() in "aeiouyhàâéèêëîïôöùûü" else f"de {name}"


def party_heading(name: str, party: str, position: int, total: int) -> str:
    """« Signature d’Hélène Durand (mentor) — 2 sur 3 »."""
    return f"Signature {of_name(name)} ({ROLES.get(party, party)}) — {position}{NBSP}sur{NBSP}{total}"


def parse_french_date(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("error_label")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class SignOnScreenDialog(QDialog):
    """Each party signs on the pad in turn (mentee, mentor, counsellor); « Sceller la charte » at the end."""

    def __init__(self, service: CharterService, runner: TaskRunner, tandem_id: str,
                 parties: Sequence[tuple[str, str]], *, place: str = "", local_certificate: bool = True,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.tandem_id = tandem_id
        self.parties = list(parties)  # (party code, full name), in signing order
        self.stored: Any = None  # the StoredCharter once sealed
        self.busy = False
        self.setObjectName("sign_dialog")
        self.setWindowTitle("Signer la charte à l’écran")
        self.heading = QLabel(self)
        self.heading.setObjectName("heading_label")
        self.heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.heading.setWordWrap(True)
        self.pads = QStackedWidget(self)
        for party, _ in self.parties:
            pad = SignaturePad(self.pads, aspect=SIGNATURE_ASPECT)  # the shape of the box in the PDF
            pad.setObjectName(f"pad_{party}")
            pad.changed.connect(self._update_buttons)
            self.pads.addWidget(pad)
        self.clear_button = named_button(self, "clear_button", "Effacer", "Effacer toute cette signature")
        self.undo_button = named_button(self, "undo_button", "Annuler le dernier trait",
                                        "Retirer le dernier trait dessiné (Ctrl+Z)")
        self.undo_button.setShortcut("Ctrl+Z")
        self.previous_button = named_button(self, "previous_button", "Précédent", "Revenir à la signature précédente")
        self.next_button = named_button(self, "next_button", "Suivant", "Passer à la signature suivante")
        self.cancel_button = named_button(self, "cancel_button", "Annuler", "Fermer sans rien enregistrer")
        for button in (self.clear_button, self.undo_button, self.previous_button, self.cancel_button):
            button.setAutoDefault(False)  # Entrée moves on; it never wipes a signature
        self.next_button.setDefault(True)
        self.clear_button.clicked.connect(lambda: self.pad().clear())
        self.undo_button.clicked.connect(lambda: self.pad().undo_stroke())
        self.previous_button.clicked.connect(lambda: self.show_party(self.index() - 1))
        self.next_button.clicked.connect(self.next_or_seal)
        self.cancel_button.clicked.connect(self.reject)
        self.place_edit = QLineEdit(place, self)
        self.place_edit.setObjectName("place_edit")
        self.place_edit.setPlaceholderText("Commune")
        self.place_edit.textChanged.connect(self._update_buttons)
        self.certificate_label = QLabel(MSG_LOCAL_CERT if local_certificate else MSG_HUB_CERT, self)
        self.certificate_label.setObjectName("certificate_label")
        self.certificate_label.setWordWrap(True)
        self.certificate_label.setStyleSheet(
            "color: #8a4b00; background: #fff4e0; padding: 6px;" if local_certificate else "color: #1b5e20;")
        self.error_label = error_label(self)
        self.progress_label = QLabel("", self)
        self.progress_label.setObjectName("progress_label")

        pad_tools = QHBoxLayout()
        pad_tools.addWidget(self.clear_button)
        pad_tools.addWidget(self.undo_button)
        pad_tools.addStretch(1)
        place_row = QFormLayout()
        place_row.addRow(f"Fait à{NBSP}:", self.place_edit)
        steps = QHBoxLayout()
        steps.addWidget(self.cancel_button)
        steps.addStretch(1)
        steps.addWidget(self.progress_label)
        steps.addWidget(self.previous_button)
        steps.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.pads, 1)
        layout.addLayout(pad_tools)
        layout.addLayout(place_row)
        layout.addWidget(self.certificate_label)
        layout.addWidget(self.error_label)
        layout.addLayout(steps)
        self.resize(720, 520)
        self.show_party(0)

    def index(self) -> int:
        return self.pads.currentIndex()

    def pad(self, index: int | None = None) -> SignaturePad:
        return self.pads.widget(self.index() if index is None else index)  # type: ignore[return-value]

    def show_party(self, index: int) -> None:
        index = max(0, min(index, len(self.parties) - 1))
        self.pads.setCurrentIndex(index)
        party, name = self.parties[index]
        self.heading.setText(party_heading(name, party, index + 1, len(self.parties)))
        last = index == len(self.parties) - 1
        self.next_button.setText("Sceller la charte" if last else "Suivant")
        self.next_button.setToolTip("Sceller et enregistrer la charte signée" if last else
                                    "Passer à la signature suivante")
        self.pad().setFocus()
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self.busy
        empty = self.pad().is_empty()
        last = self.index() == len(self.parties) - 1
        self.clear_button.setEnabled(idle and not empty)
        self.undo_button.setEnabled(idle and not empty)
        self.previous_button.setEnabled(idle and self.index() > 0)
        ready = not empty and (not last or bool(self.place_edit.text().strip()))
        self.next_button.setEnabled(idle and ready)
        self.place_edit.setEnabled(idle)
        self.cancel_button.setEnabled(idle)
        self.pads.setEnabled(idle)

    def signatures(self) -> list[Signature]:
        return [Signature(party=party, strokes=self.pad(i).strokes()) for i, (party, _) in enumerate(self.parties)]

    def next_or_seal(self) -> None:
        if self.index() < len(self.parties) - 1:
            self.show_party(self.index() + 1)
            return
        self.seal()

    def seal(self) -> None:
        """Render with the drawings, seal, store, move the tandem: all on the worker, all or nothing."""
        unsigned = [i for i in range(len(self.parties)) if self.pad(i).is_empty()]
        if unsigned:
            self.show_party(unsigned[0])
            return self._fail_text("Chaque partie doit signer avant le scellement.")
        place = self.place_edit.text().strip()
        if not place:
            return self._fail_text(MSG_PLACE)
        signatures = self.signatures()
        service, tandem_id = self.service, self.tandem_id
        self.busy = True
        self.error_label.hide()
        self.progress_label.setText("Scellement en cours…")
        self._update_buttons()
        self.runner.submit(lambda: service.seal(tandem_id, signatures, place=place), self._sealed, self._failed,
                           lane=Lane.CPU)  # rendering and sealing: seconds of CPU, the database lane stays free

    def _sealed(self, stored: Any) -> None:
        self.busy = False
        self.stored = stored
        self.progress_label.setText("")
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.progress_label.setText("")
        self._fail_text(error_text(exc))

    def _fail_text(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self._update_buttons()

    def reject(self) -> None:
        if not self.busy:  # a seal under way finishes first: closing then would hide its outcome
            super().reject()
