"""« Charte signée à l’encre »: the charter was printed and signed on paper; record when and where,
with the scan of the signed copy if there is one.

The service checks again (dates of the tandem's steps, the scan's format) on the task runner; its
French message is shown in the dialog, which stays open with what was typed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..domain.validation import nonexistent_date
from ..services.charters import MAX_SCAN_BYTES, CharterError, CharterService, charter_number, scan_kind
from .charter_dialogs import MSG_PLACE, error_label, error_text, parse_french_date
from .display import NBSP, NNBSP, french_date
from .tasks import TaskRunner
from .widgets import named_button

MSG_DATE = "Date invalide\u00a0: écrivez-la sous la forme JJ/MM/AAAA, par exemple 26/11/2026."
MSG_FUTURE = "La date de signature ne peut pas être dans le futur."
MSG_NUMBER = ("Numéro de charte invalide\u00a0: recopiez les huit caractères imprimés en tête de la charte, "
              "par exemple K7Q4-9XPM (ou laissez la case vide).")


class InkSignatureDialog(QDialog):
    """« Charte signée à l’encre »: the date and place of the paper signature, and its scan if any."""

    def __init__(self, service: CharterService, runner: TaskRunner, tandem_id: str, *, today: date,
                 place: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.tandem_id = tandem_id
        self.today = today
        self.scan: bytes | None = None
        self.scan_name: str | None = None
        self.stored: Any = None
        self.busy = False
        self.setObjectName("ink_dialog")
        self.setWindowTitle("Charte signée à l’encre")
        intro = QLabel("La charte a été imprimée et signée sur papier par les trois parties. Indiquez quand et "
                       "où, recopiez le numéro imprimé en tête de la charte, et joignez si possible le scan de "
                       "l’exemplaire signé.", self)
        intro.setWordWrap(True)
        self.date_edit = QLineEdit(french_date(today.isoformat()), self)
        self.date_edit.setObjectName("date_edit")
        self.date_edit.setPlaceholderText("JJ/MM/AAAA")
        self.place_edit = QLineEdit(place, self)
        self.place_edit.setObjectName("place_edit")
        self.place_edit.setPlaceholderText("Commune")
        self.number_edit = QLineEdit("", self)
        self.number_edit.setObjectName("number_edit")
        self.number_edit.setPlaceholderText("K7Q4-9XPM")
        self.number_edit.setToolTip("Le numéro imprimé en tête et en pied de page de l’exemplaire signé, pour que "
                                    "la charte enregistrée porte le même")
        self.scan_label = QLabel("Aucun scan joint", self)
        self.scan_label.setObjectName("scan_label")
        self.scan_label.setWordWrap(True)
        self.scan_button = named_button(self, "scan_button", "Joindre un scan…", "Un PDF ou une image (JPEG, PNG)")
        self.remove_scan_button = named_button(self, "remove_scan_button", "Retirer", "Ne pas joindre de scan")
        self.scan_button.clicked.connect(self.choose_scan)
        self.remove_scan_button.clicked.connect(lambda: self.set_scan(None, None))
        self.remove_scan_button.hide()
        self.error_label = error_label(self)
        self.save_button = named_button(self, "save_button", "Enregistrer", "Enregistrer la charte signée à l’encre")
        self.save_button.setDefault(True)
        for button in (self.scan_button, self.remove_scan_button):
            button.setAutoDefault(False)
        self.cancel_button = named_button(self, "cancel_button", "Annuler", "Fermer sans rien enregistrer")
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_label, 1)
        scan_row.addWidget(self.scan_button)
        scan_row.addWidget(self.remove_scan_button)
        form = QFormLayout()
        form.addRow(f"Signée le{NBSP}:", self.date_edit)
        form.addRow(f"À{NBSP}:", self.place_edit)
        form.addRow(f"N° imprimé{NBSP}:", self.number_edit)
        form.addRow(f"Scan{NBSP}:", scan_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(560, 260)

    def choose_scan(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Joindre le scan de la charte signée", str(Path.home()),
                                                "PDF ou images (*.pdf *.png *.jpg *.jpeg);;Tous les fichiers (*)")
        if chosen:
            self.load_scan(Path(chosen))

    def load_scan(self, path: Path) -> bool:
        """Read the chosen file and refuse at once what the service would refuse (size, format)."""
        try:
            if path.stat().st_size > MAX_SCAN_BYTES:  # never read a huge file into memory to refuse it
                raise CharterError(f"Scan refusé{NBSP}: «{NBSP}{path.name}{NBSP}» dépasse "
                                   f"{MAX_SCAN_BYTES // (1024 * 1024)}{NBSP}Mo{NNBSP}; numérisez-le en 200 ou "
                                   f"300{NBSP}dpi.")
            data = path.read_bytes()
            scan_kind(data, path.name)
        except (OSError, CharterError) as exc:
            self._show_error(error_text(exc))
            return False
        self.error_label.hide()
        self.set_scan(data, path.name)
        return True

    def set_scan(self, data: bytes | None, name: str | None) -> None:
        self.scan, self.scan_name = data, name
        size = f"{len(data) / 1024:.0f}{NBSP}Ko" if data is not None else ""
        self.scan_label.setText(f"{name} ({size})" if data is not None else "Aucun scan joint")
        self.remove_scan_button.setVisible(data is not None)

    def values(self) -> tuple[date, str, str | None] | None:
        """The date, place and printed number (if typed), or None after showing what is wrong."""
        signed_on = parse_french_date(self.date_edit.text())
        if signed_on is None:
            self._show_error(nonexistent_date(self.date_edit.text().strip()) or MSG_DATE)
            return None
        if signed_on > self.today:
            self._show_error(MSG_FUTURE)
            return None
        place = self.place_edit.text().strip()
        if not place:
            self._show_error(MSG_PLACE)
            return None
        typed = self.number_edit.text().strip()
        number = charter_number(typed) if typed else None
        if typed and number is None:
            self._show_error(MSG_NUMBER)
            return None
        return signed_on, place, number

    def save(self) -> None:
        values = self.values()
        if values is None or self.busy:
            return
        signed_on, place, number = values
        service, tandem_id, scan, scan_name = self.service, self.tandem_id, self.scan, self.scan_name
        self._set_busy(True)
        self.runner.submit(
            lambda: service.record_ink_signature(tandem_id, signed_on=signed_on, place=place, scan=scan,
                                                 scan_name=scan_name, number=number),
            self._saved, self._failed)

    def _saved(self, stored: Any) -> None:
        self._set_busy(False)
        self.stored = stored
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._show_error(error_text(exc))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.save_button, self.cancel_button, self.scan_button, self.date_edit, self.place_edit,
                       self.number_edit):
            widget.setEnabled(not busy)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def reject(self) -> None:
        if not self.busy:
            super().reject()
