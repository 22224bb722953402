"""Show, print and save PDF bytes (a charter) without QtPdf: pages are rendered by pdfium.

Why render on the GUI thread: a charter is 2–3 pages and pdfium draws two of them in about 11 ms at
100 % on a 96 dpi screen (35 ms on a 2× HiDPI screen, 67 ms at 300 % there); pdfium is not
thread-safe, and the one worker thread is the database's, so a render queued behind a sync would make
the preview wait for nothing. Printing takes longer (about 2 s for 2 pages at 600 dpi) and shows
the wait cursor; QPrinter is painted on the GUI thread anyway.

Why print images: the printed page must be exactly what the PDF holds (the drawn signatures, the QR
code), whatever the printer driver makes of PDF; each page is rendered at the printer's resolution
(capped, see PRINT_MAX_DPI) and painted over the whole sheet.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import QRectF, QSizeF, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QImage, QPageSize, QPainter, QPixmap, QResizeEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .display import NBSP, NNBSP
from .widgets import named_button

ZOOMS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
PRINT_MAX_DPI = 600  # an A4 page at 600 dpi is 100 MB of pixels; at the 1200 dpi of HighResolution, 400 MB
PAGE_GAP = 12


def render_page(page: pdfium.PdfPage, scale: float) -> QImage:
    """One page as an RGB image, `scale` pixels per PDF point (white background, forms drawn)."""
    bitmap = page.render(scale=scale, rev_byteorder=True)
    try:
        data = bytes(bitmap.buffer)
        image = QImage(data, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888)
        return image.copy()  # own the pixels: `data` goes away with this frame
    finally:
        bitmap.close()


def page_count_text(current: int, total: int) -> str:
    return f"Page{NBSP}{current} sur{NBSP}{total}"


class PdfView(QWidget):
    """The pages one under the other in a scroll area; zoom −/+ and « Ajuster à la largeur »."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pdf_view")
        self._data: bytes | None = None  # pdfium opens it per render: nothing left open between renders
        self._sizes: list[tuple[float, float]] = []
        self.zoom: float | None = None  # None: fit the width of the view
        self.page_labels: list[QLabel] = []

        self.zoom_out_button = named_button(self, "zoom_out_button", "−", "Réduire (Ctrl+−)")
        self.zoom_in_button = named_button(self, "zoom_in_button", "+", "Agrandir (Ctrl++)")
        self.fit_button = named_button(self, "fit_button", "Ajuster à la largeur", "La page occupe toute la largeur")
        self.zoom_out_button.setShortcut("Ctrl+-")
        self.zoom_in_button.setShortcut("Ctrl++")
        for button in (self.zoom_out_button, self.zoom_in_button):
            button.setFixedWidth(36)
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            button.setAutoDefault(False)  # in a dialog, Entrée must not zoom
        self.zoom_out_button.clicked.connect(lambda: self.step_zoom(-1))
        self.zoom_in_button.clicked.connect(lambda: self.step_zoom(1))
        self.fit_button.clicked.connect(self.fit_width)
        self.zoom_label = QLabel(self)
        self.zoom_label.setObjectName("zoom_label")
        self.zoom_label.setMinimumWidth(56)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_label = QLabel(self)
        self.page_label.setObjectName("page_label")

        self.pages = QWidget()
        self.pages.setObjectName("pdf_pages")
        self.pages.setStyleSheet("QWidget#pdf_pages { background: #8a8d91; }")
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setSpacing(PAGE_GAP)
        self.pages_layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("pdf_scroll")
        self.scroll.setWidget(self.pages)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll.verticalScrollBar().valueChanged.connect(self._update_page_label)

        tools = QHBoxLayout()
        tools.addWidget(self.zoom_out_button)
        tools.addWidget(self.zoom_label)
        tools.addWidget(self.zoom_in_button)
        tools.addWidget(self.fit_button)
        tools.addStretch(1)
        tools.addWidget(self.page_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.scroll, 1)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(80)
        self._refit.timeout.connect(self.render_pages)

    # -- document -----------------------------------------------------------------------------

    def set_pdf(self, data: bytes) -> None:
        """Show `data`; raises pdfium's error if it is not a PDF."""
        with pdfium.PdfDocument(data) as document:
            self._sizes = [document.get_page_size(i) for i in range(len(document))]
        self._data = data
        for label in self.page_labels:
            label.deleteLater()
        self.page_labels = []
        for number in range(len(self._sizes)):
            label = QLabel(self.pages)
            label.setObjectName(f"pdf_page_{number + 1}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.pages_layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
            self.page_labels.append(label)
        self.render_pages()
        self.scroll.verticalScrollBar().setValue(0)

    def page_count(self) -> int:
        return len(self._sizes)

    # -- zoom ---------------------------------------------------------------------------------

    def effective_zoom(self) -> float:
        """The zoom in use: 1.0 shows the page at its printed size."""
        if self.zoom is not None or not self._sizes:
            return self.zoom or 1.0
        width_pt = max(w for w, _ in self._sizes)
        bar = self.scroll.verticalScrollBar()  # counted even before it shows: pages always scroll
        frame = self.scroll.frameWidth() * 2
        available = self.scroll.width() - frame - bar.sizeHint().width() - 2 * PAGE_GAP - 2
        return max(0.2, available / (width_pt * self.logicalDpiX() / 72))

    def step_zoom(self, direction: int) -> None:
        current = self.effective_zoom()
        if direction > 0:
            self.zoom = next((z for z in ZOOMS if z > current + 0.01), ZOOMS[-1])
        else:
            self.zoom = next((z for z in reversed(ZOOMS) if z < current - 0.01), ZOOMS[0])
        self.render_pages()

    def fit_width(self) -> None:
        self.zoom = None
        self.render_pages()

    def render_pages(self) -> None:
        """(Re)draw every page at the current zoom and the screen's pixel density."""
        zoom = self.effective_zoom()
        self.zoom_label.setText(f"{round(zoom * 100)}{NNBSP}%")
        if self._data is None:
            self._update_page_label()
            return
        ratio = self.devicePixelRatioF()
        scale = zoom * self.logicalDpiX() / 72
        with pdfium.PdfDocument(self._data) as document:
            for number, label in enumerate(self.page_labels):
                image = render_page(document[number], scale * ratio)
                image.setDevicePixelRatio(ratio)
                label.setPixmap(QPixmap.fromImage(image))
        self._update_page_label()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.zoom is None:
            self._refit.start()

    def _update_page_label(self) -> None:
        """« Page 2 sur 3 »: the page under the middle of the view."""
        total = len(self.page_labels)
        if not total:
            self.page_label.setText("")
            return
        middle = self.scroll.verticalScrollBar().value() + self.scroll.viewport().height() / 2
        current, top = 1, PAGE_GAP  # from the pixmaps' heights: the labels may not be laid out yet
        for number, label in enumerate(self.page_labels, start=1):
            if top <= middle:
                current = number
            pixmap = label.pixmap()
            top += (pixmap.height() / pixmap.devicePixelRatio() if not pixmap.isNull() else 0) + PAGE_GAP
        self.page_label.setText(page_count_text(current, total))



# -- printing and saving ------------------------------------------------------------------------


def print_pdf(data: bytes, parent: QWidget | None = None, title: str = "Charte") -> bool:
    """Ask for a printer, then print every page (or the chosen range); False if cancelled."""
    with pdfium.PdfDocument(data) as document:
        total = len(document)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        width_pt, height_pt = document.get_page_size(0)  # the paper the PDF was made for (A4) unless changed
        printer.setPageSize(QPageSize(QSizeF(width_pt, height_pt), QPageSize.Unit.Point))
        printer.setFromTo(1, total)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle("Imprimer la charte")
        dialog.setMinMax(1, total)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        first, last = printer.fromPage() or 1, printer.toPage() or total
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return paint_pages(printer, document, range(first - 1, min(last, total)))
        finally:
            QApplication.restoreOverrideCursor()


def paint_pages(printer: QPrinter, document: pdfium.PdfDocument, numbers: range) -> bool:
    """Each page fills its sheet (aspect kept, centred), rendered at the printer's resolution."""
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        dpi = min(printer.resolution(), PRINT_MAX_DPI)
        for position, number in enumerate(numbers):
            if position and not printer.newPage():
                return False
            paper = printer.paperRect(QPrinter.Unit.DevicePixel)
            width_pt, height_pt = document.get_page_size(number)
            fit = min(paper.width() / width_pt, paper.height() / height_pt)
            target = QSizeF(width_pt * fit, height_pt * fit)
            origin = ((paper.width() - target.width()) / 2, (paper.height() - target.height()) / 2)
            image = render_page(document[number], min(fit, dpi / 72))
            painter.drawImage(QRectF(origin[0], origin[1], target.width(), target.height()), image)
    finally:
        painter.end()
    return True


FILE_ERRORS = {errno.ENOENT: "le dossier n’existe pas", errno.EACCES: "accès refusé", errno.EPERM: "accès refusé",
               errno.ENOSPC: "le disque est plein", errno.EROFS: "le support est en lecture seule",
               errno.EISDIR: "c’est un dossier"}


def file_error(exc: OSError) -> str:
    """The reason a file could not be read or written, in French (the system says it in its own language)."""
    return FILE_ERRORS.get(exc.errno or 0, exc.strerror or str(exc))


def save_pdf_as(data: bytes, parent: QWidget | None, suggested: str) -> Path | None:
    """« Enregistrer sous… »: the path written, or None if cancelled or refused (told in French)."""
    start = str(Path.home() / suggested)
    chosen, _ = QFileDialog.getSaveFileName(parent, "Enregistrer la charte", start, "Documents PDF (*.pdf)")
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() != ".pdf":
        path = path.with_name(path.name + ".pdf")
    try:
        from ..services.charters import write_atomically  # temp file + os.replace: never half a PDF

        write_atomically(path, data)
    except OSError as exc:
        QMessageBox.warning(parent, "Enregistrement impossible",
                            f"Le fichier «{NBSP}{path}{NBSP}» n’a pas pu être écrit{NBSP}: {file_error(exc)}.")
        return None
    return path


class PdfPreviewDialog(QDialog):
    """A PDF in a window, with « Imprimer… » and « Enregistrer sous… »."""

    def __init__(self, data: bytes, title: str, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pdf_preview")
        self.setWindowTitle(title)
        self.data = data
        self.file_name = file_name
        self.saved_to: Path | None = None
        self.view = PdfView(self)
        self.print_button = named_button(self, "print_button", "Imprimer…", "Imprimer la charte (Ctrl+P)")
        self.print_button.setShortcut("Ctrl+P")
        self.save_button = named_button(self, "save_button", "Enregistrer sous…", "Enregistrer le PDF dans un fichier")
        self.close_button = named_button(self, "close_button", "Fermer", "Fermer l’aperçu (Échap)")
        self.print_button.clicked.connect(lambda: print_pdf(self.data, self, title))
        self.save_button.clicked.connect(self.save_as)
        self.close_button.clicked.connect(self.accept)
        self.close_button.setDefault(True)
        for button in (self.print_button, self.save_button):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        height = min(1000, available.height() - 60) if available is not None else 900
        self.resize(860, max(500, height))
        self.view.set_pdf(data)

    def save_as(self) -> Path | None:
        self.saved_to = save_pdf_as(self.data, self, self.file_name) or self.saved_to
        return self.saved_to
