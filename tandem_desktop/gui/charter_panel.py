"""The « Charte » group of the tandem page: preview and print, sign on screen, record an ink signature,
and the charters already signed (open, verify).

Every PDF is made, read or checked on the task runner; the dialogs open when the worker answers, and
a refusal (missing data, ended tandem) is shown before anyone starts signing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from ..services.charter_texts import hub_short_text, hub_state_text, version_of
from ..services.charters import CharterService, SigningSetup, StoredCharter
from ..store.repository import Store
from .charter_dialogs import SignOnScreenDialog, error_text
from .charter_ink import InkSignatureDialog
from .charter_verify import VerifyDialog, common_name
from .display import NBSP, french_date
from .pdf_view import PdfPreviewDialog
from .tasks import Lane, TaskRunner
from .widgets import named_button

ID_ROLE = Qt.ItemDataRole.UserRole
MODES = {"screen": "À l’écran, scellée", "ink": "À l’encre"}


class CharterPanel(QGroupBox):
    """Emits `signed` with a status-bar message once a charter is stored (the page then reloads)."""

    signed = Signal(str)
    fetched = Signal()  # a charter's files arrived from the hub: the page reloads the list

    def __init__(self, store: Store, service: CharterService, runner: TaskRunner, tandem_id: str,
                 parent: QWidget | None = None):
        super().__init__("Charte", parent)
        self.setObjectName("group_charter")
        self.store = store
        self.service = service
        self.runner = runner
        self.tandem_id = tandem_id
        self.dialog: QDialog | None = None  # the last dialog opened (tests and screenshots look at it)
        self.preview_button = named_button(self, "preview_button", "Aperçu et impression",
                                           "La charte pré-remplie, à imprimer ou à enregistrer en PDF")
        self.sign_button = named_button(self, "sign_button", "Signer à l’écran…",
                                        "Les trois parties signent sur l’écran, puis la charte est scellée")
        self.ink_button = named_button(self, "ink_button", "Signée à l’encre…",
                                       "Enregistrer une charte imprimée et signée sur papier")
        self.preview_button.clicked.connect(self.preview)
        self.sign_button.clicked.connect(self.sign)
        self.ink_button.clicked.connect(self.record_ink)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("charter_status_label")
        self.status_label.setWordWrap(True)
        self.charters = QTreeWidget(self)
        self.charters.setObjectName("charter_list")
        self.charters.setHeaderLabels(["Signée le", "N°", "Mode", "Scellée par", "Au hub"])
        self.charters.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.charters.setRootIsDecorated(False)
        self.charters.setAlternatingRowColors(True)
        self.charters.itemSelectionChanged.connect(self._update_row_buttons)
        self.charters.itemDoubleClicked.connect(lambda *_: self.open_selected())
        self.open_button = named_button(self, "open_button", "Ouvrir", "Afficher la charte signée")
        self.scan_button = named_button(self, "scan_button", "Voir le scan", "Afficher le scan joint")
        self.verify_button = named_button(self, "verify_button", "Vérifier", "Vérifier le sceau de cette charte")
        self.open_button.clicked.connect(self.open_selected)
        self.scan_button.clicked.connect(self.open_scan)
        self.verify_button.clicked.connect(self.verify_selected)

        actions = QHBoxLayout()
        for button in (self.preview_button, self.sign_button, self.ink_button):
            actions.addWidget(button)
        actions.addStretch(1)
        rows = QHBoxLayout()
        for button in (self.open_button, self.scan_button, self.verify_button):
            rows.addWidget(button)
        rows.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(actions)
        layout.addWidget(self.status_label)
        layout.addWidget(self.charters)
        layout.addLayout(rows)
        self.row_buttons = (self.open_button, self.scan_button, self.verify_button)

    # -- display ------------------------------------------------------------------------------

    def reload(self, status: str) -> None:
        """The list of signed charters (a small read: no blobs) and which actions the step allows."""
        ended = status == "ended"
        self.sign_button.setEnabled(not ended)
        self.ink_button.setEnabled(not ended)
        stored = self.service.charters_of(self.tandem_id)
        self.charters.clear()
        enrolled = bool(self.store.remote.state().get("device_id"))
        for charter in stored:
            signed = french_date(charter.signed_on)
            if len(stored) > 1:  # « 26/11/2026 · v2 »: a second seal never replaces the first
                signed += f" · v{version_of(stored, charter)}"
            item = QTreeWidgetItem([signed, charter.verification_code, self.mode_text(charter),
                                    self.sealer(charter), hub_short_text(charter, enrolled)])
            item.setData(0, ID_ROLE, charter)
            item.setToolTip(0, f"Version {version_of(stored, charter)} sur {len(stored)}")
            item.setToolTip(3, charter.sealed_by or "")
            item.setToolTip(4, hub_state_text(charter, enrolled=enrolled))
            self.charters.addTopLevelItem(item)
        for column in range(self.charters.columnCount() - 1):  # the last one takes what is left
            self.charters.resizeColumnToContents(column)
            self.charters.setColumnWidth(column, self.charters.columnWidth(column) + 16)
        rows = max(1, min(len(stored), 4))  # no tall empty list for the usual one charter
        row_height = self.charters.sizeHintForRow(0) if stored else 20
        self.charters.setFixedHeight(self.charters.header().sizeHint().height() + rows * row_height
                                     + 2 * self.charters.frameWidth() + 2)
        if stored:
            self.charters.setCurrentItem(self.charters.topLevelItem(0))
        self.status_label.setText(self.service.status_text(self.tandem_id, stored))
        self.charters.setVisible(bool(stored))
        self._update_row_buttons()

    @staticmethod
    def mode_text(charter: StoredCharter) -> str:
        return MODES.get(charter.mode, charter.mode) + (" · scan joint" if charter.has_scan else "")

    @staticmethod
    def sealer(charter: StoredCharter) -> str:
        if not charter.sealed:
            return "—"
        if charter.received and not charter.sealed_by:  # the hub names nobody: the seal in the PDF does
            return "Un autre poste" + (" (certificat local)" if charter.self_signed else "")
        name = common_name(charter.sealed_by)
        return f"{name} (certificat local)" if charter.self_signed and "non enrôlé" not in name else name

    def selected(self) -> StoredCharter | None:
        item = self.charters.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def _update_row_buttons(self) -> None:
        charter = self.selected()
        for button in self.row_buttons:
            button.setVisible(charter is not None)
        self.scan_button.setVisible(charter is not None and charter.has_scan)
        self.verify_button.setEnabled(charter is not None and charter.sealed)

    # -- actions ------------------------------------------------------------------------------

    def _run(self, button: Any, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run `work` on the worker with `button` disabled; a failure is told in a warning box."""
        button.setEnabled(False)

        def done(result: Any) -> None:
            if Shiboken.isValid(self):  # the page may have been closed meanwhile: then nothing to show
                button.setEnabled(True)
                then(result)

        def failed(exc: BaseException) -> None:
            if Shiboken.isValid(self):
                button.setEnabled(True)
                QMessageBox.warning(self, "Charte", error_text(exc))

        self.runner.submit(work, done, failed)

    def preview(self) -> None:
        service, tandem_id = self.service, self.tandem_id
        self._run(self.preview_button, lambda: service.generate(tandem_id),
                  lambda pdf: self._show_pdf(pdf, "Charte du tandem — aperçu", "charte-a-signer.pdf"))

    def _show_pdf(self, pdf: bytes, title: str, file_name: str) -> None:
        self.dialog = PdfPreviewDialog(pdf, title, file_name, self.window())
        self.dialog.open()

    def sign(self) -> None:
        service, tandem_id = self.service, self.tandem_id
        self._run(self.sign_button, lambda: service.signing_setup(tandem_id), self._open_sign_dialog)

    def _open_sign_dialog(self, setup: SigningSetup) -> None:
        dialog = SignOnScreenDialog(self.service, self.runner, self.tandem_id, setup.parties, place=setup.place,
                                    local_certificate=setup.local_certificate, parent=self.window())
        dialog.accepted.connect(lambda: self._stored(dialog.stored, "Charte signée à l’écran et scellée."))
        self.dialog = dialog
        dialog.open()

    def record_ink(self) -> None:
        service, tandem_id = self.service, self.tandem_id
        self._run(self.ink_button, lambda: service.signing_setup(tandem_id), self._open_ink_dialog)

    def _open_ink_dialog(self, setup: SigningSetup) -> None:
        dialog = InkSignatureDialog(self.service, self.runner, self.tandem_id, today=self.store.today(),
                                    place=setup.place, parent=self.window())
        dialog.accepted.connect(lambda: self._stored(dialog.stored, "Charte signée à l’encre enregistrée."))
        self.dialog = dialog
        dialog.open()

    def _stored(self, charter: StoredCharter | None, message: str) -> None:
        if charter is not None:
            self.signed.emit(message)

    def open_selected(self) -> None:
        charter = self.selected()
        if charter is None:
            return
        service = self.service
        title = f"Charte signée le {french_date(charter.signed_on)}"
        name = f"charte-{charter.signed_on}-{charter.verification_code}.pdf"
        self._when_here(charter, self.open_button, lambda: self._run(
            self.open_button, lambda: service.pdf(charter.id), lambda pdf: self._show_pdf(pdf, title, name)))

    def open_scan(self) -> None:
        charter = self.selected()
        if charter is None or not charter.has_scan:
            return
        service = self.service
        self._when_here(charter, self.scan_button, lambda: self._run(
            self.scan_button, lambda: service.scan(charter.id), self._show_scan))

    def _when_here(self, charter: StoredCharter, button: Any, then: Callable[[], None]) -> None:
        """`then` once the charter's files are on this device: a charter received from the hub whose
        file has not arrived yet is fetched first, on the network lane (the database lane stays free)."""
        fetch = getattr(self.service, "fetch_files", None)
        if charter.has_pdf or fetch is None:
            then()  # without a hub to ask, the service says in French that the file is not here yet
            return
        self.status_label.setText(f"Réception du PDF de la charte n°{NBSP}{charter.verification_code} depuis le hub…")
        button.setEnabled(False)

        def arrived(_result: Any) -> None:
            if Shiboken.isValid(self):
                button.setEnabled(True)
                self.reload_later()
                then()

        def failed(exc: BaseException) -> None:
            if Shiboken.isValid(self):
                button.setEnabled(True)
                self.reload_later()
                QMessageBox.warning(self, "Charte", error_text(exc))

        self.runner.submit(lambda: fetch(charter.id), arrived, failed, lane=Lane.NETWORK)

    def reload_later(self) -> None:
        """The list again (the file's state changed): read on the database lane."""
        self.fetched.emit()

    def _show_scan(self, scan: tuple[bytes, str | None] | None) -> None:
        if scan is None:
            return
        data, name = scan
        if data.startswith(b"%PDF"):
            self._show_pdf(data, f"Scan{NBSP}: {name or 'charte signée'}", name or "scan-charte.pdf")
            return
        self.dialog = ImageDialog(data, f"Scan{NBSP}: {name or 'charte signée'}", self.window())
        self.dialog.open()

    def verify_selected(self) -> None:
        charter = self.selected()
        if charter is None:
            return
        service = self.service
        self._when_here(charter, self.verify_button, lambda: self._run(
            self.verify_button, lambda: service.verify(service.pdf(charter.id)), self._show_report))

    def _show_report(self, report: Any) -> None:
        dialog = VerifyDialog(self.service, self.runner, self.window())
        dialog.file_label.setText("Charte enregistrée sur ce poste")
        dialog.show_report(report)
        self.dialog = dialog
        dialog.open()


class ImageDialog(QDialog):
    """A scanned image, scaled to fit, scrollable when larger than the screen."""

    def __init__(self, data: bytes, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        pixmap = QPixmap()
        label = QLabel(self)
        label.setObjectName("scan_label")
        if pixmap.loadFromData(data) and not pixmap.isNull():
            label.setPixmap(pixmap.scaledToWidth(min(pixmap.width(), 800), Qt.TransformationMode.SmoothTransformation))
        else:  # a damaged file (or one another device sent): said, never an empty window
            label.setWordWrap(True)
            label.setMargin(16)
            label.setText(f"Image illisible{NBSP}: le scan est bien enregistré, mais il ne peut pas être affiché. "
                          f"Enregistrez-le avec «{NBSP}tandem charter export … --scan{NBSP}» pour l’ouvrir avec un "
                          "autre logiciel, ou joignez de nouveau le scan d’origine.")
            label.setMinimumWidth(600)
        area = QScrollArea(self)
        area.setWidget(label)
        close = named_button(self, "close_button", "Fermer", "Fermer (Échap)")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(area, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(860, 900)
