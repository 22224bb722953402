"""Drawings platypus lacks, for the charter: the QR code, signature areas, footers and metadata.

Kept apart from render.py, which assembles the document, so each stays short and readable.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import lru_cache
from itertools import groupby, pairwise
from typing import Any

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from . import fonts

Point = tuple[float, float]  # normalised 0..1 within the signature box, y downwards
Strokes = list[list[Point]]

SIGNATURE_ASPECT = 8 / 3  # width / height of the area a drawing is fitted into (the signature pad's shape)
INK = colors.HexColor("#1b2a6b")
ACCENT = colors.HexColor("#1f3a68")
GREY = colors.HexColor("#5f6673")
MARGIN = 2 * cm


@lru_cache(maxsize=64)
def _qr_modules(text: str) -> tuple[tuple[bool, ...], ...]:
    """The QR matrix (error correction M): encoding tries eight masks, so a re-render reuses it."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    return tuple(tuple(bool(cell) for cell in row) for row in code.modules)


class QrFlowable(Flowable):
    """A QR code drawn as one filled path of horizontal runs: compact and fast, with its quiet zone."""

    def __init__(self, text: str, size: float, border: int = 4):
        super().__init__()
        self.text, self.width, self.height, self.border = text, size, size, border

    def draw(self) -> None:
        modules = _qr_modules(self.text)
        module = self.width / (len(modules) + 2 * self.border)
        path = self.canv.beginPath()
        for r, row in enumerate(modules):
            y = self.height - (r + self.border + 1) * module
            c = 0
            for dark, run in groupby(row):
                count = len(list(run))
                if dark:
                    path.rect((c + self.border) * module, y, count * module, module)
                c += count
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)
        self.canv.restoreState()


class SignatureArea(Flowable):
    """The space a party signs in: left blank for ink, or holding the drawing or image given."""

    def __init__(self, width: float, height: float, strokes: Strokes | None = None, image: bytes | None = None):
        super().__init__()
        self.width, self.height, self.strokes, self.image = width, height, strokes, image

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if self.strokes:
            # The largest box of the pad's shape, centred: the drawing keeps its proportions.
            w = min(self.width, self.height * SIGNATURE_ASPECT)
            h = w / SIGNATURE_ASPECT
            draw_strokes(self.canv, self.strokes, (self.width - w) / 2, (self.height - h) / 2, w, h)
        elif self.image:
            reader = ImageReader(io.BytesIO(self.image))
            iw, ih = reader.getSize()
            scale = min(self.width / iw, self.height / ih)
            w, h = iw * scale, ih * scale
            self.canv.drawImage(reader, (self.width - w) / 2, (self.height - h) / 2, w, h, mask="auto")


def draw_strokes(canv: Canvas, strokes: Strokes, x: float, y: float, w: float, h: float) -> None:
    """Vector strokes, smoothed with quadratic curves through the midpoints (as a pen would glide)."""
    canv.saveState()
    canv.setStrokeColor(INK)
    canv.setLineWidth(1.2)
    canv.setLineCap(1)
    canv.setLineJoin(1)
    path = canv.beginPath()
    for stroke in strokes:
        pts = [(x + min(max(px, 0.0), 1.0) * w, y + (1 - min(max(py, 0.0), 1.0)) * h) for px, py in stroke]
        if not pts:
            continue
        path.moveTo(*pts[0])
        if len(pts) == 1:  # a dot: a tiny segment that the round caps turn into a point
            path.lineTo(pts[0][0] + 0.01, pts[0][1])
            continue
        if len(pts) == 2:
            path.lineTo(*pts[1])
            continue
        current = _mid(pts[0], pts[1])
        path.lineTo(*current)
        for control, following in pairwise(pts[1:]):
            end = _mid(control, following)
            c1 = (current[0] + 2 / 3 * (control[0] - current[0]), current[1] + 2 / 3 * (control[1] - current[1]))
            c2 = (end[0] + 2 / 3 * (control[0] - end[0]), end[1] + 2 / 3 * (control[1] - end[1]))
            path.curveTo(*c1, *c2, *end)
            current = end
        path.lineTo(*pts[-1])
    canv.drawPath(path, stroke=1, fill=0)
    canv.restoreState()


def _mid(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def pdf_date(moment: datetime) -> str:
    """A PDF date in UTC, to the second (a naive moment is taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"D:{moment:%Y%m%d%H%M%S}+00'00'"


class TandemInfo(PDFInfo):
    """The document information dictionary, plus our own keys (/TandemTemplate, /TandemCharter)."""

    def __init__(self, extra: dict[str, str]):
        super().__init__()
        self.extra = extra

    def format(self, document: Any) -> bytes:
        entries: dict[str, Any] = {
            "Title": PDFString(self.title), "Author": PDFString(self.author), "Subject": PDFString(self.subject),
            "Keywords": PDFString(self.keywords), "Creator": PDFString(self.creator),
            "Producer": PDFString(self.producer), "Trapped": PDFName(self.trapped),
        }
        entries["CreationDate"] = entries["ModDate"] = PDFDate(ts=document._timeStamp,
                                                               dateFormatter=self._dateFormatter)
        entries.update({key: PDFString(value) for key, value in self.extra.items()})
        return PDFDictionary(entries).format(document)


class NumberedCanvas(Canvas):
    """Holds pages back until the end so a footer can say « Page 1 sur 3 » in a single pass
    (subclasses draw it: the charter's here, the access dossier's in services/privacy/access_pdf.py)."""

    def __init__(self, *args: Any, footer: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        raise NotImplementedError


class CharterCanvas(NumberedCanvas):
    def __init__(self, *args: Any, footer: str, extra_info: dict[str, str], stamp: str, **kwargs: Any):
        super().__init__(*args, footer=footer, **kwargs)
        self._doc.info = TandemInfo(extra_info)
        self.setDateFormatter(lambda *_: stamp)

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeColor(colors.HexColor("#c8ccd4"))
        self.setLineWidth(0.5)
        self.line(MARGIN, 1.45 * cm, width - MARGIN, 1.45 * cm)
        self.setFont(fonts.REGULAR, 7.5)
        self.setFillColor(GREY)
        self.drawString(MARGIN, 1.05 * cm, self._footer)
        self.drawRightString(width - MARGIN, 1.05 * cm, f"Page {number} sur {total}")
        self.restoreState()
