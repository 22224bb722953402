"""The right-of-access dossier as a readable French PDF (A4, ReportLab, the charter's embedded fonts).

A title naming the person, the date of the extract, what the dossier holds, then one heading per
section and a label/value table per item. Long texts (notes, reports) leave the table and flow as
paragraphs, so a 20,000-character note breaks across pages instead of overflowing one. Each page
ends with the source, the legal basis and « Page 1 sur 3 ».
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ...charter import fonts
from ...charter.pdfparts import ACCENT, GREY, MARGIN, NumberedCanvas
from ...texts.french import NBSP, long_datetime, plural
from .dossier import SOURCE, Dossier, Item, Row, Section

LONG_TEXT = 700  # characters: beyond, a value flows as paragraphs below its label, out of the table
LABEL_WIDTH = 5.4 * cm
KEPT_ROWS = 4  # rows of an item's table kept on the page of its heading
RULE = colors.HexColor("#c8ccd4")
SHADE = colors.HexColor("#f2f4f8")
_NARROW = 0.628  # DejaVu Sans: width of U+202F / width of U+00A0 (as charter/render.py)
ARTICLE_15 = ("Document produit à la demande de la personne concernée, au titre de l’article 15 du RGPD "
              "(droit d’accès).")
INTRO = (f"Ce document rassemble tout ce que ce poste de Tandem Desktop conserve sur cette personne{NBSP}: sa "
         "fiche, son consentement, ses tandems, leurs rencontres et comptes rendus, les chartes signées et leurs "
         "scans, les conflits de synchronisation et les imports qui la concernent, l’historique des écritures "
         "et, le cas échéant, son effacement. Les mêmes données, lisibles par un programme, sont dans le fichier "
         f"dossier.json joint{NBSP}; les chartes y sont jointes telles qu’elles sont conservées.")
ELSEWHERE = ("Le hub Tandem, où les postes se synchronisent, conserve les mêmes fiches pour la structure, et les "
             "autres postes de la structure peuvent en détenir une copie.")


def _styles() -> dict[str, ParagraphStyle]:
    f = fonts.register_fonts()
    body = ParagraphStyle("body", fontName=f, fontSize=9, leading=12.2, spaceAfter=4)
    return {
        "body": body,
        "title": ParagraphStyle("title", fontName=fonts.BOLD, fontSize=16, leading=20, textColor=ACCENT),
        "subtitle": ParagraphStyle("subtitle", fontName=f, fontSize=9, leading=12.5, textColor=GREY, spaceBefore=3,
                                   spaceAfter=8),
        "notice": ParagraphStyle("notice", parent=body, fontName=fonts.BOLD, backColor=colors.HexColor("#fdf3e1"),
                                 borderPadding=(5, 7, 6, 7), spaceBefore=6, spaceAfter=10),
        "h1": ParagraphStyle("h1", fontName=fonts.BOLD, fontSize=12, leading=15, textColor=ACCENT, spaceBefore=12,
                             spaceAfter=3, keepWithNext=1),
        "h2": ParagraphStyle("h2", fontName=fonts.BOLD, fontSize=9.5, leading=12.5, spaceBefore=6, spaceAfter=3,
                             keepWithNext=1),
        "note": ParagraphStyle("note", fontName=f, fontSize=8, leading=10.5, textColor=GREY, spaceAfter=4,
                               keepWithNext=1),
        "empty": ParagraphStyle("empty", fontName=fonts.ITALIC, fontSize=8.5, leading=11, textColor=GREY),
        "label": ParagraphStyle("label", fontName=fonts.BOLD, fontSize=8, leading=10.5, textColor=GREY),
        "value": ParagraphStyle("value", fontName=f, fontSize=8.5, leading=11),
        "long": ParagraphStyle("long", fontName=f, fontSize=8.5, leading=11.5, leftIndent=8, spaceAfter=2),
    }


def _text(text: str) -> str:
    """Paragraph markup of plain text: escaped, line breaks kept, glyphs the font lacks shown as « ? »
    (never an empty box), narrow no-break spaces kept narrow and unbreakable (see charter/render.py)."""
    missing = fonts.missing_glyphs(text)
    if missing:
        text = "".join("?" if c in missing else c for c in text)
    return escape(text).replace("\n", "<br/>")


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    markup = _text(text)
    if "\u202f" in markup:
        markup = markup.replace("\u202f", f"<font size='{style.fontSize * _NARROW:.2f}'>\u00a0</font>")
    return Paragraph(markup, style)


def _table(rows: list[Row], width: float, s: dict[str, ParagraphStyle]) -> Table:
    data = [[_para(row.label, s["label"]), _para(row.text or "—", s["value"])] for row in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, width - LABEL_WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _item(item: Item, width: float, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Short rows in tables; a long text below its label as paragraphs (they break across pages)."""
    story: list[Flowable] = [_para(item.title, s["h2"])]
    pending: list[Row] = []

    def flush() -> None:
        # The headings keep with the next flowable only: a first table of a few rows, so a long
        # record starts under its heading instead of leaving the rest of the page blank.
        first = len(story) == 1
        if first and len(pending) > KEPT_ROWS:
            story.append(_table(pending[:KEPT_ROWS], width, s))
            del pending[:KEPT_ROWS]
        if pending:
            story.append(_table(pending, width, s))
            pending.clear()

    for row in item.rows:
        if len(row.text) <= LONG_TEXT:
            pending.append(row)
            continue
        flush()
        story.append(Spacer(1, 3))
        story.append(_para(row.label, s["label"]))
        story += [_para(line, s["long"]) for line in row.text.split("\n") if line.strip()]
    flush()
    return story


def _contents(dossier: Dossier, width: float, s: dict[str, ParagraphStyle]) -> Table:
    data = [[_para(section.title, s["value"]), _para(_count(section), s["value"])] for section in dossier.sections]
    data.append([_para("Fichiers joints", s["value"]),
                 _para(plural(len(dossier.attachments) + 1, "fichier") + " (dont dossier.json)", s["value"])])
    table = Table(data, colWidths=[width * 0.6, width * 0.4], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))
    return table


def _count(section: Section) -> str:
    if not section.items:
        return section.empty.rstrip(".")
    return plural(len(section.items), "élément")


def _section(section: Section, width: float, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_para(section.title, s["h1"])]
    if section.note:
        story.append(_para(section.note, s["note"]))
    if not section.items:
        story.append(_para(section.empty, s["empty"]))
    for item in section.items:
        story += _item(item, width, s)
    return story


def _files(dossier: Dossier, width: float, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [_para("Fichiers joints", s["h1"]),
                             _para("À côté de ce document, dans le même dossier. L’empreinte SHA-256 permet de "
                                   "vérifier qu’un fichier n’a pas été modifié.", s["note"])]
    rows = [Row("json", "dossier.json", None, "Les données de ce document, lisibles par un programme (JSON, UTF-8)")]
    rows += [Row(a.name, a.name, None, f"{a.description}\nSHA-256{NBSP}: {a.sha256}") for a in dossier.attachments]
    story.append(_table(rows, width, s))
    return story


class _DossierCanvas(NumberedCanvas):
    """Each footer says « Page 1 sur 3 », the source and article 15."""

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, 1.55 * cm, width - MARGIN, 1.55 * cm)
        self.setFont(fonts.REGULAR, 7)
        self.setFillColor(GREY)
        self.drawString(MARGIN, 1.15 * cm, self._footer)
        self.drawString(MARGIN, 0.8 * cm, ARTICLE_15)
        self.drawRightString(width - MARGIN, 1.15 * cm, f"Page {number} sur {total}")
        self.restoreState()


def render_pdf(dossier: Dossier) -> bytes:
    """The dossier as A4 PDF bytes, fonts embedded (subset)."""
    s = _styles()
    extracted = long_datetime(dossier.extracted_at)
    title = f"Données personnelles détenues — {dossier.name}"
    footer = f"Source{NBSP}: {SOURCE} · extrait le {extracted}"
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=1.6 * cm, bottomMargin=2.2 * cm,
        title=title, author="Tandem Desktop", creator="Tandem Desktop",
        subject="Droit d’accès (RGPD, article 15)", lang="fr-FR", displayDocTitle=1, initialFontName=fonts.REGULAR,
    )
    width = doc.width
    story: list[Flowable] = [
        _para(title, s["title"]),
        _para(f"{dossier.kind_label} · extrait le {extracted}\nIdentifiant de la fiche{NBSP}: {dossier.record_id}",
              s["subtitle"]),
    ]
    if dossier.notice:
        story.append(_para(dossier.notice, s["notice"]))
    story += [_para(INTRO, s["body"]), _para(ELSEWHERE, s["note"]),
              _para("Contenu du dossier", s["h1"]), _contents(dossier, width, s)]
    for section in dossier.sections:
        story += _section(section, width, s)
    story += _files(dossier, width, s)

    def canvasmaker(*args: Any, **kwargs: Any) -> NumberedCanvas:
        return _DossierCanvas(*args, footer=footer, **kwargs)

    doc.build(story, canvasmaker=canvasmaker)
    return out.getvalue()
