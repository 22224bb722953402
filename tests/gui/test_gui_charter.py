"""The charter in the window: the signature pad, the PDF preview and printing, signing, verifying."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QLabel
from waiting import loaded

from tandem_desktop.gui.pdf_view import PdfPreviewDialog, PdfView, print_pdf
from tandem_desktop.gui.signature_pad import SignaturePad

pytestmark = pytest.mark.gui

NBSP = "\u00a0"
LEFT = Qt.MouseButton.LeftButton


def draw(qtbot, pad: SignaturePad, points: list[tuple[int, int]]) -> None:  # type: ignore[no-untyped-def]
    """One stroke with the mouse, through `points` (widget pixels)."""
    first, *rest = [QPoint(x, y) for x, y in points]
    qtbot.mousePress(pad, LEFT, pos=first)
    for point in rest:
        qtbot.mouseMove(pad, point)
    qtbot.mouseRelease(pad, LEFT, pos=rest[-1] if rest else first)


def scribble(qtbot, pad: SignaturePad) -> None:  # type: ignore[no-untyped-def]
    """A signature-like zigzag across the box, then a dot."""
    box = pad.box()
    left, top, w, h = int(box.left()), int(box.top()), int(box.width()), int(box.height())
    draw(qtbot, pad, [(left + w * i // 12, top + h // 4 + (h // 2 if i % 2 else 0)) for i in range(1, 12)])
    draw(qtbot, pad, [(left + w // 2, top + h // 8)])


def sample_pdf(pages: int = 3) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        sheet.setFont("Helvetica-Bold", 28)
        sheet.drawString(72, 760, f"Page {number}")
        sheet.rect(72, 100, 300, 120, fill=1)
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def dark_fraction(image, box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> float:  # type: ignore[no-untyped-def]
    """Share of dark pixels of a PIL image within a box given in fractions of its size."""
    width, height = image.size
    crop = image.convert("L").crop((int(box[0] * width), int(box[1] * height),
                                    int(box[2] * width), int(box[3] * height)))
    pixels = crop.tobytes()
    return sum(1 for p in pixels if p < 128) / max(1, len(pixels))


def page_count(data: bytes) -> int:
    with pdfium.PdfDocument(data) as document:
        return len(document)


# -- the pad ------------------------------------------------------------------------------------


def test_pad_records_normalised_strokes_and_undo_and_clear_work(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(600, 240)
    pad.show()
    qtbot.waitExposed(pad)
    assert pad.is_empty() and pad.strokes() == []
    box = pad.box()
    assert abs(box.width() / box.height() - pad.aspect) < 0.01
    with qtbot.waitSignal(pad.changed):
        draw(qtbot, pad, [(int(box.left()) + 10, int(box.top()) + 10), (int(box.center().x()), int(box.center().y())),
                          (int(box.right()) - 10, int(box.bottom()) - 10)])
    strokes = pad.strokes()
    assert len(strokes) == 1 and len(strokes[0]) == 3
    (x0, y0), (x1, y1), (x2, y2) = strokes[0]
    assert 0 < x0 < 0.05 and 0 < y0 < 0.1, "near the top left corner of the box"
    assert abs(x1 - 0.5) < 0.01 and abs(y1 - 0.5) < 0.02, "the middle"
    assert 0.95 < x2 < 1 and 0.9 < y2 < 1, "y grows downwards"
    draw(qtbot, pad, [(-50, -50), (2000, 2000)])  # dragged off the pad: clamped to the box
    assert pad.strokes()[1] == [(0.0, 0.0), (1.0, 1.0)]
    scribble(qtbot, pad)
    assert len(pad.strokes()) == 4 and pad.strokes()[3] == [pad.strokes()[3][0]], "a dot is a stroke of one point"
    assert all(0 <= v <= 1 for stroke in pad.strokes() for point in stroke for v in point)

    assert pad.undo_stroke() is True
    assert len(pad.strokes()) == 3 and pad.strokes()[0] == strokes[0]
    kept = pad.strokes()
    pad.resize(800, 300)  # bigger on screen, same drawing
    assert pad.strokes() == kept
    pad.clear()
    assert pad.is_empty() and pad.undo_stroke() is False
    pad.set_strokes(kept)
    assert pad.strokes() == kept


def test_pad_mouse_move_without_button_draws_nothing(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.show()
    qtbot.mouseMove(pad, QPoint(100, 100))
    qtbot.mouseMove(pad, QPoint(200, 120))
    assert pad.is_empty()


def test_pad_draws_with_a_stylus_whatever_its_pressure_and_with_one_finger(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QEventPoint, QInputDevice, QPointingDevice, QTabletEvent, QTouchEvent
    from PySide6.QtWidgets import QApplication

    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(600, 240)
    pad.show()
    qtbot.waitExposed(pad)
    box = pad.box()
    stylus = QPointingDevice("stylet", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)

    def pen(kind: QEvent.Type, x: float, pressure: float, down: bool) -> bool:
        at = QPointF(box.left() + x * box.width(), box.center().y())
        event = QTabletEvent(kind, stylus, at, pad.mapToGlobal(at), pressure, 0, 0, 0, 0, 0,
                             Qt.KeyboardModifier.NoModifier, LEFT, LEFT if down else Qt.MouseButton.NoButton)
        QApplication.sendEvent(pad, event)
        return event.isAccepted()

    assert pen(QEvent.Type.TabletMove, 0.1, 0.0, False) and pad.is_empty(), "hovering draws nothing"
    assert pen(QEvent.Type.TabletPress, 0.2, 0.0, True)  # some drivers report 0 pressure on contact
    assert pen(QEvent.Type.TabletMove, 0.4, 0.0, True)
    assert pen(QEvent.Type.TabletMove, 0.6, 1.0, True)
    assert pen(QEvent.Type.TabletRelease, 0.6, 0.0, False)
    assert [[round(x, 2) for x, _ in stroke] for stroke in pad.strokes()] == [[0.2, 0.4, 0.6]]

    screen = QPointingDevice("écran", 2, QInputDevice.DeviceType.TouchScreen, QPointingDevice.PointerType.Finger,
                             QInputDevice.Capability.Position, 10, 0)
    for kind, state, x in ((QEvent.Type.TouchBegin, QEventPoint.State.Pressed, 0.3),
                           (QEvent.Type.TouchUpdate, QEventPoint.State.Updated, 0.5),
                           (QEvent.Type.TouchEnd, QEventPoint.State.Released, 0.7)):
        at = QPointF(box.left() + x * box.width(), box.top() + box.height() / 4)
        QApplication.sendEvent(pad, QTouchEvent(kind, screen, Qt.KeyboardModifier.NoModifier,
                                                [QEventPoint(1, state, at, pad.mapToGlobal(at))]))
    finger = pad.strokes()[1]
    assert [round(x, 2) for x, _ in finger] == [0.3, 0.5, 0.7]
    assert all(abs(y - 0.25) < 0.01 for _, y in finger)


# -- preview and printing -----------------------------------------------------------------------


def test_pdf_view_shows_the_pages_and_the_page_count(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = PdfView()
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_pdf(sample_pdf(3))
    assert view.page_count() == 3 and len(view.page_labels) == 3
    assert view.page_label.text() == f"Page{NBSP}1 sur{NBSP}3"
    pixmap = view.page_labels[0].pixmap()
    assert not pixmap.isNull()
    assert pixmap.width() / pixmap.devicePixelRatio() <= view.scroll.viewport().width(), "fits the width"
    fitted = view.effective_zoom()
    view.step_zoom(1)
    assert view.effective_zoom() > fitted and view.zoom_label.text().endswith("\u202f%")
    bigger = view.page_labels[0].pixmap().width()
    assert bigger > pixmap.width()
    view.fit_width()
    assert view.page_labels[0].pixmap().width() == pixmap.width()
    view.zoom = 1.0
    view.render_pages()
    bar = view.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    assert view.page_label.text() == f"Page{NBSP}3 sur{NBSP}3"


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The print dialog is the outside world: it « chooses » a PDF printer writing to a temp file."""
    target = tmp_path / "imprime.pdf"

    def exec_(dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(target))
        printer.setResolution(150)  # keeps the test quick; the code renders at whatever the printer says
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", exec_)
    return target


def test_print_renders_every_page_onto_the_printer(qtbot, printed: Path) -> None:  # type: ignore[no-untyped-def]
    source = sample_pdf(3)
    assert print_pdf(source, None) is True
    with pdfium.PdfDocument(printed.read_bytes()) as copy:
        assert len(copy) == 3
        first = copy[0].render(scale=1).to_pil()
    assert dark_fraction(first, (0.15, 0.75, 0.6, 0.87)) > 0.95, "the black rectangle is printed where it is"
    assert dark_fraction(first, (0.6, 0.3, 0.95, 0.5)) < 0.01, "and blank paper stays blank"


def test_preview_dialog_prints_and_saves(qtbot, printed: Path, tmp_path: Path, monkeypatch, warnings) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    source = sample_pdf(2)
    dialog = PdfPreviewDialog(source, "Charte du tandem", "charte.pdf")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.view.page_label.text() == f"Page{NBSP}1 sur{NBSP}2"
    qtbot.mouseClick(dialog.print_button, LEFT)
    assert page_count(printed.read_bytes()) == 2
    chosen = tmp_path / "sortie" / "ma-charte"
    chosen.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(chosen), "")))
    qtbot.mouseClick(dialog.save_button, LEFT)
    saved = chosen.with_name("ma-charte.pdf")
    assert dialog.saved_to == saved and saved.read_bytes() == source
    assert [p.name for p in saved.parent.iterdir()] == ["ma-charte.pdf"], "no temp file left behind"
    missing = tmp_path / "absent" / "charte.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(missing), "")))
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert dialog.saved_to == saved and not missing.parent.exists()
    assert warnings == [f"Le fichier «{NBSP}{missing}{NBSP}» n’a pas pu être écrit{NBSP}: le dossier n’existe pas."]


# -- the charter of a real tandem ---------------------------------------------------------------


@pytest.fixture
def tandem(store) -> str:  # type: ignore[no-untyped-def]
    """An accepted tandem whose records hold everything the charter template needs."""
    from tandem_desktop.services.records import Actor, Records

    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale",
                                           "commune": "Marseille", "email": "contact@ml-marseille.fr"})
    counsellor = store.create("counsellor", {"first_name": "Claire", "last_name": "Moreau",
                                             "email": "claire.moreau@ml-marseille.fr", "structure_id": structure})
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM",
                                     "job_title": "Responsable comptable", "commune": "Marseille"})
    mentee = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "structure_id": structure,
                                     "counsellor_id": counsellor, "commune": "La Ciotat"})
    records = Records(store, Actor())
    tandem_id = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "duration_months": 6,
                                          "objectives": "Trouver un CDI de pâtissière",
                                          "proposed_on": "2026-11-02"}).record_id
    records.move_tandem(tandem_id, "accepted", accepted_on="2026-11-10")
    return tandem_id


def open_tandem(qtbot, window, tandem_id: str):  # type: ignore[no-untyped-def]
    """The tandem page with its « Charte » group, as the counsellor opens it from the list."""
    window.show_section("tandem")
    section = window.section("tandem")
    section.refresh()
    loaded(qtbot, section.list_page)
    section.open_record(tandem_id)
    detail = section.detail()
    assert detail is not None and detail.charter_panel is not None
    return detail.charter_panel


def wait_dialog(qtbot, panel, kind):  # type: ignore[no-untyped-def]
    """The dialog the panel opens once the worker has answered."""
    qtbot.waitUntil(lambda: isinstance(panel.dialog, kind) and panel.dialog.isVisible(), timeout=10000)
    return panel.dialog


def test_preview_shows_the_real_charter_and_prints_it(qtbot, window, store, tandem, printed) -> None:  # type: ignore[no-untyped-def]
    panel = open_tandem(qtbot, window, tandem)
    assert panel.title() == "Charte"
    assert panel.status_label.text() == "Aucune charte signée pour l’instant."
    assert not panel.charters.isVisible() and not panel.open_button.isVisible()
    qtbot.mouseClick(panel.preview_button, LEFT)
    preview = wait_dialog(qtbot, panel, PdfPreviewDialog)
    total = preview.view.page_count()
    assert total >= 2
    assert preview.view.page_label.text() == f"Page{NBSP}1 sur{NBSP}{total}"
    qtbot.mouseClick(preview.print_button, LEFT)
    assert page_count(printed.read_bytes()) == total
    with pdfium.PdfDocument(preview.data) as unsigned:
        page = unsigned[total - 1]
        boxes = signature_boxes(page)
        image = page.render(scale=1.5).to_pil()
    assert len(boxes) == 3 and all(ink_pixels(image, box) == [] for box in boxes), "blank boxes, to sign in ink"
    preview.close()
    assert store.get("tandem", tandem)["status"] == "accepted", "a preview changes nothing"


def signature_boxes(page) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    """Where each party signs on a charter page, as fractions (left, top, right, bottom) of the page:
    under its « Date et signature : » label, the width of its column, 2 cm high."""
    width, height = page.get_size()
    text = page.get_textpage()
    search = text.search("Date et signature")
    boxes = []
    while (found := search.get_next()) is not None:
        left, bottom, _, _ = text.get_charbox(found[0])
        boxes.append((left / width, (height - bottom + 2) / height, (left + 150) / width,
                      (height - bottom + 60) / height))
    return boxes


def ink_pixels(image, box: tuple[float, float, float, float]) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The pixels of `box` drawn in the signature ink (dark blue; the frames and labels are grey)."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    found = []
    for y in range(int(box[1] * height), int(box[3] * height)):
        for x in range(int(box[0] * width), int(box[2] * width)):
            r, g, b = rgb.getpixel((x, y))
            if b > r + 40 and b > g + 30 and r < 150:
                found.append((x, y))
    return found


def test_sign_on_screen_party_by_party_seals_stores_and_prints_the_drawings(
        qtbot, window, store, tandem, printed) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.charter_dialogs import MSG_LOCAL_CERT, SignOnScreenDialog

    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.sign_button, LEFT)
    dialog = wait_dialog(qtbot, panel, SignOnScreenDialog)
    assert dialog.certificate_label.text() == MSG_LOCAL_CERT, "a fresh profile is not enrolled"
    assert dialog.place_edit.text() == "Marseille", "the structure's commune by default"
    headings = []
    for position in range(3):
        headings.append(dialog.heading.text())
        pad = dialog.pad()
        assert not dialog.next_button.isEnabled(), "nobody skips their signature"
        scribble(qtbot, pad)
        assert dialog.next_button.isEnabled()
        if position == 0:  # a slip: the last stroke is taken back, then drawn again
            qtbot.mouseClick(dialog.undo_button, LEFT)
            assert len(pad.strokes()) == 1
            draw(qtbot, pad, [(int(pad.box().center().x()), int(pad.box().top()) + 20)])
        assert len(pad.strokes()) == 2
        expected = "Sceller la charte" if position == 2 else "Suivant"
        assert dialog.next_button.text() == expected
        if position < 2:
            qtbot.mouseClick(dialog.next_button, LEFT)
    assert headings == [f"Signature d’Inès Haddad (personne mentorée) — 1{NBSP}sur{NBSP}3",
                        f"Signature d’Hélène Durand (personne mentore) — 2{NBSP}sur{NBSP}3",
                        f"Signature de Claire Moreau (personne référente) — 3{NBSP}sur{NBSP}3"]
    qtbot.mouseClick(dialog.previous_button, LEFT)
    assert dialog.heading.text() == headings[1] and len(dialog.pad().strokes()) == 2, "drawings are kept"
    qtbot.mouseClick(dialog.next_button, LEFT)
    drawn = [s.strokes for s in dialog.signatures()]
    qtbot.mouseClick(dialog.next_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15000)

    stored = panel.service.charters_of(tandem)
    assert len(stored) == 1 and stored[0].mode == "screen" and stored[0].self_signed is True
    assert stored[0].signed_place == "Marseille" and stored[0].signed_on == "2026-11-26"
    assert store.get("tandem", tandem)["status"] == "charter_signed"
    assert [len(strokes) for strokes in drawn] == [2, 2, 2]
    detail = window.section("tandem").detail()
    assert detail.ui.findChild(QLabel, "status_label").text() == "Charte signée", "the page reloaded"
    assert window.status_message.text() == "Charte signée à l’écran et scellée."
    assert panel.charters.topLevelItemCount() == 1 and panel.charters.isVisible()
    row = panel.charters.topLevelItem(0)
    assert [row.text(c) for c in range(4)] == ["26/11/2026", stored[0].verification_code, "À l’écran, scellée",
                                               "Tandem Desktop — poste non enrôlé"]

    report = panel.service.verify(panel.service.pdf(stored[0].id))
    assert report.ok and report.matches_local is True

    qtbot.mouseClick(panel.open_button, LEFT)
    preview = wait_dialog(qtbot, panel, PdfPreviewDialog)
    qtbot.mouseClick(preview.print_button, LEFT)
    sealed = panel.service.pdf(stored[0].id)
    with pdfium.PdfDocument(sealed) as source, pdfium.PdfDocument(printed.read_bytes()) as copy:
        assert len(copy) == len(source)
        last = len(source) - 1
        boxes = signature_boxes(source[last])
        original = source[last].render(scale=1.5).to_pil()
        paper = copy[last].render(scale=1.5).to_pil().resize(original.size).convert("L")
    assert len(boxes) == 3, "one box per party, on the last page"
    for box in boxes:
        drawn_pixels = ink_pixels(original, box)
        assert len(drawn_pixels) > 100, "each drawing is in the sealed PDF, in its party's box"
        dark = sum(1 for xy in drawn_pixels if paper.getpixel(xy) < 170)
        assert dark / len(drawn_pixels) > 0.8, "…and printed where it was drawn"


def png_bytes() -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(300, 420, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def test_ink_signature_checks_the_date_and_place_then_records_the_scan(
        qtbot, window, store, tandem, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    from tandem_desktop.gui.charter_dialogs import MSG_PLACE
    from tandem_desktop.gui.charter_ink import MSG_DATE, MSG_FUTURE, InkSignatureDialog
    from tandem_desktop.gui.charter_panel import ImageDialog

    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.ink_button, LEFT)
    dialog = wait_dialog(qtbot, panel, InkSignatureDialog)
    assert dialog.date_edit.text() == "26/11/2026" and dialog.place_edit.text() == "Marseille"
    no_such_day = "Cette date n’existe pas\u00a0: février 2026 n’a que 28\u00a0jours."
    for date_text, place, error in (("31/02/2026", "Marseille", no_such_day), ("3 nov.", "Marseille", MSG_DATE),
                                    ("27/11/2026", "Marseille", MSG_FUTURE),
                                    ("20/11/2026", "  ", MSG_PLACE)):
        dialog.date_edit.setText(date_text)
        dialog.place_edit.setText(place)
        qtbot.mouseClick(dialog.save_button, LEFT)
        assert dialog.error_label.isVisible() and dialog.error_label.text() == error
        assert dialog.isVisible() and panel.service.charters_of(tandem) == []
    dialog.place_edit.setText("Aubagne")
    dialog.date_edit.setText("01/11/2026")
    qtbot.mouseClick(dialog.save_button, LEFT)  # the service's own check, on the worker
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error_label.text().startswith("Date de signature"))
    assert dialog.error_label.text() == ("Date de signature invalide\u00a0: elle précède la proposition du tandem "
                                         "(2 novembre 2026).")
    assert dialog.save_button.isEnabled() and panel.service.charters_of(tandem) == []
    dialog.date_edit.setText("20/11/2026")
    fake = tmp_path / "scan.pdf"
    fake.write_text("pas un PDF")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(fake), "")))
    qtbot.mouseClick(dialog.scan_button, LEFT)
    assert dialog.scan is None and dialog.scan_label.text() == "Aucun scan joint"
    assert dialog.error_label.text() == ("Scan refusé\u00a0: «\u00a0scan.pdf\u00a0» porte l’extension .pdf "
                                         "mais n’est pas un PDF.")
    scan = tmp_path / "charte-signee.png"
    scan.write_bytes(png_bytes())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(scan), "")))
    qtbot.mouseClick(dialog.scan_button, LEFT)
    assert not dialog.error_label.isVisible()
    assert dialog.scan == scan.read_bytes() and dialog.scan_label.text().startswith("charte-signee.png (")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)
    assert not dialog.error_label.isVisible(), dialog.error_label.text()
    assert not dialog.isVisible()

    [stored] = panel.service.charters_of(tandem)
    assert (stored.mode, stored.signed_on, stored.signed_place) == ("ink", "2026-11-20", "Aubagne")
    assert stored.has_scan and panel.service.scan(stored.id) == (scan.read_bytes(), "charte-signee.png")
    tandem_row = store.get("tandem", tandem)
    assert (tandem_row["status"], tandem_row["charter_signed_on"]) == ("charter_signed", "2026-11-20")
    row = panel.charters.topLevelItem(0)
    assert [row.text(c) for c in range(4)] == ["20/11/2026", stored.verification_code, "À l’encre · scan joint", "—"]
    assert panel.status_label.text() == (f"Charte signée à l’encre le 20 novembre 2026 à Aubagne{NBSP}: "
                                         "enregistrée sur ce poste.")
    assert not panel.verify_button.isEnabled(), "nothing to verify: paper carries no seal"
    assert window.status_message.text() == "Charte signée à l’encre enregistrée."
    qtbot.mouseClick(panel.scan_button, LEFT)
    shown = wait_dialog(qtbot, panel, ImageDialog)
    assert shown.windowTitle() == f"Scan{NBSP}: charte-signee.png"


def test_missing_data_is_told_before_anyone_signs(qtbot, window, store, tandem, warnings) -> None:  # type: ignore[no-untyped-def]
    mentor_id = store.get("tandem", tandem)["mentor_id"]
    store.update("mentor", mentor_id, {"job_title": None, "employer": None})
    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.sign_button, LEFT)
    qtbot.waitUntil(lambda: bool(warnings), timeout=10000)
    assert warnings == [f"Il manque des informations pour établir la charte{NBSP}:\n"
                        "• Employeur du mentor\n• Poste du mentor\nComplétez les fiches, puis recommencez."]
    assert panel.dialog is None and panel.sign_button.isEnabled()
    assert store.get("tandem", tandem)["status"] == "accepted"


def test_a_failed_seal_keeps_the_drawings_writes_nothing_and_can_be_retried(
        qtbot, window, store, tandem, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.charter_dialogs import SignOnScreenDialog
    from tandem_desktop.services.charters import CharterError

    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.sign_button, LEFT)
    dialog = wait_dialog(qtbot, panel, SignOnScreenDialog)
    for position in range(3):
        scribble(qtbot, dialog.pad())
        if position < 2:
            qtbot.mouseClick(dialog.next_button, LEFT)
    dialog.place_edit.clear()
    assert not dialog.next_button.isEnabled(), "no place, no seal"
    dialog.place_edit.setText("Aix-en-Provence")

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise CharterError("Impossible de sceller ce PDF\u00a0: clé illisible.")

    with monkeypatch.context() as patch:
        patch.setattr(panel.service, "seal", refuse)
        qtbot.mouseClick(dialog.next_button, LEFT)
        qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == "Impossible de sceller ce PDF\u00a0: clé illisible."
    assert dialog.isVisible() and all(not dialog.pad(i).is_empty() for i in range(3)), "nothing to draw again"
    assert panel.service.charters_of(tandem) == [] and store.get("tandem", tandem)["status"] == "accepted"

    qtbot.mouseClick(dialog.next_button, LEFT)  # the same drawings, sealed for real this time
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15000)
    [stored] = panel.service.charters_of(tandem)
    assert stored.signed_place == "Aix-en-Provence" and store.get("tandem", tandem)["status"] == "charter_signed"


def test_cancelling_the_signature_writes_nothing(qtbot, window, store, tandem) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.charter_dialogs import SignOnScreenDialog

    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.sign_button, LEFT)
    dialog = wait_dialog(qtbot, panel, SignOnScreenDialog)
    scribble(qtbot, dialog.pad())
    qtbot.mouseClick(dialog.cancel_button, LEFT)
    assert not dialog.isVisible()
    assert panel.service.charters_of(tandem) == [] and store.get("tandem", tandem)["status"] == "accepted"


def test_verify_from_the_file_menu_and_from_the_tandem_page(
        qtbot, window, store, tandem, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    from tandem_desktop.charter.render import PARTIES, Signature
    from tandem_desktop.gui.charter_verify import VerifyDialog

    service = window.section("tandem").charters
    drawing = [[(0.1, 0.5), (0.5, 0.2), (0.9, 0.6)]]
    stored = service.seal(tandem, [Signature(party=p, strokes=drawing) for p in PARTIES], place="Marseille")
    sealed = service.pdf(stored.id)
    files = {"intact": tmp_path / "charte.pdf", "tampered": tmp_path / "charte-modifiee.pdf",
             "unsealed": tmp_path / "apercu.pdf", "text": tmp_path / "notes.pdf"}
    files["intact"].write_bytes(sealed)
    tampered = bytearray(sealed)
    tampered[len(sealed) // 3] ^= 0x01  # one bit, inside the sealed bytes
    files["tampered"].write_bytes(bytes(tampered))
    files["unsealed"].write_bytes(service.generate(tandem))
    files["text"].write_text("pas un PDF")

    # a local seal, byte-identical to the charter this device stored: green, saying it is local
    expected = {"intact": ("✓ Sceau local intact\u00a0: charte enregistrée sur ce poste", "#1b7f3b"),
                "tampered": ("✗ Document modifié après le scellement", "#b3261e"),
                "unsealed": ("Aucun sceau", "#8a4b00"), "text": ("✗ Fichier illisible", "#b3261e")}
    action = next(a for a in window.file_menu.actions() if a.objectName() == "action_verify_charter")
    assert action.text() == "&Vérifier une charte…"
    for name, (headline, color) in expected.items():
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, n=name, **k: (str(files[n]), "")))
        action.trigger()
        dialog = window.verify_dialog
        assert isinstance(dialog, VerifyDialog) and dialog.isVisible()
        qtbot.mouseClick(dialog.choose_button, LEFT)
        qtbot.waitUntil(lambda d=dialog: d.headline.isVisible(), timeout=10000)
        assert dialog.headline.text() == headline, name
        assert f"color: {color}" in dialog.headline.styleSheet()
        dialog.close()
    assert dialog.report is not None and not dialog.report.sealed  # the text file

    action.trigger()
    dialog = window.verify_dialog
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(files["tampered"]), "")))
    qtbot.mouseClick(dialog.choose_button, LEFT)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    assert dialog.report.modified_after_seal and dialog.details.isVisible()
    texts = {key: label.text() for key, label in dialog.detail_labels.items()}
    assert texts["signer"].endswith("(nom non garanti, le sceau est altéré)")  # one bit flipped in it
    assert texts["hub"].startswith(f"Aucune{NBSP}: certificat auto-signé")
    assert texts["template"] == "charte-tandem 2026.2" and texts["charter"] == stored.id
    assert texts["number"] == stored.verification_code
    assert texts["local"] == "Différente de la charte enregistrée sur ce poste sous ce numéro"
    assert "Le document a été modifié après le scellement." in dialog.messages_label.text()
    dialog.close()

    panel = open_tandem(qtbot, window, tandem)
    assert panel.verify_button.isEnabled()
    qtbot.mouseClick(panel.verify_button, LEFT)
    shown = wait_dialog(qtbot, panel, VerifyDialog)
    assert shown.headline.text() == "✓ Sceau local intact\u00a0: charte enregistrée sur ce poste"
    assert shown.detail_labels["local"].text() == "Identique à la charte enregistrée sur ce poste"


def test_a_scan_that_cannot_be_shown_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A damaged scan (or one another device sent through the hub) used to open an empty window."""
    from PySide6.QtWidgets import QLabel

    from tandem_desktop.gui.charter_panel import ImageDialog

    dialog = ImageDialog(b"\x89PNG\r\n\x1a\n" + bytes(300), "Scan")
    qtbot.addWidget(dialog)
    label = dialog.findChild(QLabel, "scan_label")
    assert label is not None and label.pixmap().isNull()
    assert label.text().startswith("Image illisible\u00a0: le scan est bien enregistré")
