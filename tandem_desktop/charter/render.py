"""Render a charter to A4 PDF bytes with ReportLab: text from the template, one signature box per party.

The output is deterministic (fixed dates, invariant mode) so identical inputs give identical bytes: tests
compare them and the seal signs exactly what the counsellor previewed.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..domain.errors import DomainError
from . import fonts
from .context import CharterContext, french_date
from .pdfparts import (
    ACCENT,
    GREY,
    INK,
    MARGIN,
    SIGNATURE_ASPECT,
    CharterCanvas,
    Point,
    QrFlowable,
    SignatureArea,
    Strokes,
    pdf_date,
)
from .template import (
    BULLET,
    HEADING,
    PAGE_BREAK,
    PARAGRAPH,
    QUOTE,
    SIGNATURES,
    SUBHEADING,
    Block,
    Template,
    french_typography,
)

__all__ = ["PARTIES", "PARTY_LABELS", "SIGNATURE_ASPECT", "Point", "Signature", "SignatureError", "Strokes",
           "render_charter", "verification_code"]

PARTIES = ("mentee", "mentor", "counsellor")
# Neutral wording: the records hold no gender, and « personne … » fits a woman and a man alike. The
# mentee is « personne mentorée » everywhere on the page (template 2026.2 and later say so too).
PARTY_LABELS = {"mentee": "Personne mentorée", "mentor": "Personne mentore", "counsellor": "Personne référente"}
_PARTY_NAMES = {"mentee": "mentee.full_name", "mentor": "mentor.full_name", "counsellor": "counsellor.full_name"}
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed without doubt
QR_PREFIX = "TANDEM-CHARTE"
# Left for the pen on the copy printed for ink signing: « Fait à ………………, le ……………… ».
PEN_BLANK = "\u2026" * 18
QR_NOTE = ("Le code QR ci-contre contient ce numéro et l’identifiant de la charte. Un PDF de cette charte se "
           "vérifie dans Tandem Desktop (Fichier › Vérifier une charte…) ou par "
           "«\u00a0tandem charter verify fichier.pdf\u00a0»\u00a0: toute modification y est signalée.")

_FIELD = re.compile(r"\{\{([a-z_]+\.[a-z_]+)\}\}")
_NARROW = 0.628  # DejaVu Sans: width of U+202F / width of U+00A0 (199.7 / 317.9 units)


class SignatureError(DomainError):
    """A signature that cannot be placed on the charter (unknown party, unreadable image…)."""


@dataclass(frozen=True)
class Signature:
    party: str  # "mentor" | "mentee" | "counsellor"
    strokes: Strokes | None = None  # vector drawing from the signature pad, or
    image: bytes | None = None  # PNG/JPEG bytes (CLI --signature mentor=IMG)


def verification_code(charter_id: str, secret: bytes | None = None) -> str:
    """The charter's number: eight characters from an HMAC-SHA-256 of the id, « K7Q4-9XPM », in two groups
    of an alphabet without 0/O or 1/I/L, so it is read aloud over the phone and typed without doubt."""
    digest = hmac.new(secret or b"tandem-desktop/charte", charter_id.encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return f"{''.join(chars[:4])}-{''.join(chars[4:])}"


QR_NOTE_HUB = ("Le code QR ci-contre mène à la page de vérification du hub Tandem\u00a0: elle dit, sans nommer "
               "personne, si une charte de ce numéro a été scellée, quand et par quelle structure. Sans code QR, "
               "saisissez le numéro sur {page}. Un PDF de cette charte se vérifie aussi dans Tandem Desktop "
               "(Fichier › Vérifier une charte…)\u00a0: toute modification y est signalée.")


def qr_text(charter_id: str, code: str, verify_url: str | None = None) -> str:
    """What the QR code holds: the hub's verification page of this number when the sealing device knows
    its hub (any phone opens it), else the charter's id and number for Tandem Desktop to read."""
    if verify_url:
        return f"{verify_url.rstrip('/')}/{code}"
    return f"{QR_PREFIX}:{charter_id}:{code}"


def render_charter(template: Template, context: CharterContext, *, charter_id: str, verification_code: str,
                   signatures: Sequence[Signature] = (), signed_on: date | None = None,
                   signed_place: str | None = None, created_at: datetime | None = None,
                   verify_url: str | None = None) -> bytes:
    """The charter as A4 PDF bytes; the same arguments always give the same bytes.

    `verify_url` is the hub's verification page (« https://hub…/charte »): the QR code then leads to it
    and every page's footer names it beside the number, so whoever holds the paper can check it.

    Without `signed_on` this is the copy printed for ink signing: the date, and the place unless
    `signed_place` is given, are left blank for the pen. `created_at` is the PDF's creation and
    modification date (the seal, made at that same moment, then sets the modification date again).
    """
    fonts.register_fonts()
    by_party = _check_signatures(signatures)
    context = context.with_signing(signed_on, signed_place)
    values = context.values
    if signed_on is None:  # printed for ink: the pen writes when and where
        place = " ".join((signed_place or "").split())
        values = {**values, "charter.date": PEN_BLANK, "charter.place": french_typography(place) or PEN_BLANK}
    if created_at is None:
        day = signed_on or context.issued_on or date(2026, 1, 1)
        created_at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    stamp = pdf_date(created_at)
    footer = f"Charte n°\u00a0{verification_code} · modèle {template.id} {template.version}"
    if verify_url:
        footer += f" · à vérifier sur {_shown_url(verify_url)}"
    names = " et ".join(n for n in (values.get("mentee.full_name"), values.get("mentor.full_name")) if n)
    extra = {"TandemTemplate": template.label, "TandemCharter": charter_id, "TandemNumber": verification_code}

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        return CharterCanvas(*args, footer=footer, extra_info=extra, stamp=stamp, **kwargs)

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=1.6 * cm, bottomMargin=2 * cm,
        title=template.title, author="Tandem Desktop", creator="Tandem Desktop",
        subject=f"Charte du tandem {names}".strip(), keywords=f"Tandem; charte; {template.label}",
        invariant=1, lang="fr-FR", displayDocTitle=1, initialFontName=fonts.REGULAR,
    )
    story = _header(template, charter_id, verification_code, doc.width, verify_url)
    story += _body(template, values, by_party, signed_on, signed_place, doc.width)
    doc.build(story, canvasmaker=canvasmaker)
    return out.getvalue()


# -- the story ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    """Built once per process, after the fonts are registered."""
    f = fonts.register_fonts()
    body = ParagraphStyle("body", fontName=f, fontSize=9.3, leading=12.6, alignment=TA_JUSTIFY, spaceAfter=5)
    return {
        "body": body,
        "title": ParagraphStyle("title", fontName=fonts.BOLD, fontSize=17, leading=21, textColor=ACCENT),
        "subtitle": ParagraphStyle("subtitle", fontName=f, fontSize=9.5, leading=13, textColor=GREY, spaceBefore=3),
        "ref": ParagraphStyle("ref", fontName=f, fontSize=8, leading=11, textColor=GREY, spaceBefore=6),
        "note": ParagraphStyle("note", fontName=f, fontSize=7.2, leading=9.4, textColor=GREY, spaceBefore=3),
        "code": ParagraphStyle("code", fontName=f, fontSize=7.5, leading=10, textColor=GREY, alignment=TA_CENTER),
        HEADING: ParagraphStyle("h1", fontName=fonts.BOLD, fontSize=11.5, leading=15, textColor=ACCENT,
                                spaceBefore=9, spaceAfter=4, keepWithNext=1),
        SUBHEADING: ParagraphStyle("h2", fontName=fonts.BOLD, fontSize=9.5, leading=13, spaceBefore=4,
                                   spaceAfter=2, keepWithNext=1),
        BULLET: ParagraphStyle("li", parent=body, leftIndent=13, bulletIndent=3, spaceAfter=3,
                               bulletFontName=f),
        QUOTE: ParagraphStyle("quote", parent=body, fontName=fonts.ITALIC, alignment=0, leftIndent=14,
                              rightIndent=14, backColor=colors.HexColor("#eef2f8"), borderPadding=(5, 7, 6, 7),
                              spaceBefore=4, spaceAfter=10),
        "party": ParagraphStyle("party", fontName=fonts.BOLD, fontSize=8.5, leading=11),
        "name": ParagraphStyle("name", fontName=f, fontSize=9, leading=12, spaceBefore=1),
        "small": ParagraphStyle("small", fontName=f, fontSize=7.5, leading=10, textColor=GREY, spaceBefore=4),
        "signed": ParagraphStyle("signed", fontName=f, fontSize=7.5, leading=10, textColor=INK),
    }


def _shown_url(url: str) -> str:
    """The page's address as printed: without « https:// », which nobody types."""
    return url.split("://", 1)[-1].rstrip("/")


def _header(template: Template, charter_id: str, code: str, width: float,
            verify_url: str | None = None) -> list[Flowable]:
    """Title on the left with the number and what the QR code is for; on the right the QR code."""
    s = _styles()
    left = [_para(escape(template.title), s["title"])]
    if template.subtitle:
        left.append(_para(escape(template.subtitle), s["subtitle"]))
    left.append(_para(f"Charte n°\u00a0<font name='{fonts.BOLD}' color='#1f3a68'>{escape(code)}</font>"
                      f" · modèle {escape(template.label)}", s["ref"]))
    note = QR_NOTE_HUB.format(page=_shown_url(verify_url)) if verify_url else QR_NOTE
    left.append(_para(escape(note), s["note"]))
    right = [QrFlowable(qr_text(charter_id, code, verify_url), 2.4 * cm),
             _para(f"N°\u00a0<font name='{fonts.BOLD}' color='#1f3a68'>{escape(code)}</font>", s["code"])]
    table = Table([[left, right]], colWidths=[width - 3.4 * cm, 3.4 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0),
                               ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                               ("RIGHTPADDING", (-1, 0), (-1, 0), 0), ("ALIGN", (-1, 0), (-1, 0), "CENTER")]))
    return [table, Spacer(1, 4), HRFlowable(width="100%", thickness=0.6, color=ACCENT, spaceAfter=8)]


def _body(template: Template, values: dict[str, str], by_party: dict[str, Signature], signed_on: date | None,
          signed_place: str | None, width: float) -> list[Flowable]:
    s = _styles()
    story: list[Flowable] = []
    for block in template.blocks:
        if block.kind == PAGE_BREAK:
            story.append(PageBreak())
        elif block.kind == SIGNATURES:
            boxes = _signature_table(values, by_party, signed_on, signed_place, width)
            # « Fait à …, le … » never stays alone at the bottom of a page, away from the boxes.
            lead = [story.pop()] if story and isinstance(story[-1], Paragraph) else []
            story.append(KeepTogether([Spacer(1, 6), *lead, Spacer(1, 4), boxes]))
        elif block.kind == BULLET:
            story.append(_para(_markup(block, values), s[BULLET], bulletText="•"))
        else:
            story.append(_para(_markup(block, values), s[block.kind if block.kind != PARAGRAPH else "body"]))
    return story


def _para(markup: str, style: ParagraphStyle, **kwargs: Any) -> Paragraph:
    """A Paragraph whose narrow no-break spaces (before ; ! ?) stay narrow and unbreakable.

    ReportLab treats U+202F as an ordinary breaking space, so « réseau ! » could lose its « ! » to the
    next line; a no-break space (U+00A0, which it honours) set small enough to have U+202F's width
    takes its place.
    """
    if "\u202f" in markup:
        markup = markup.replace("\u202f", f"<font size='{style.fontSize * _NARROW:.2f}'>\u00a0</font>")
    return Paragraph(markup, style, **kwargs)


def _markup(block: Block, values: dict[str, str]) -> str:
    """Paragraph XML: template text and values escaped, `**…**` as bold, line breaks kept in values."""
    out: list[str] = []
    bold = False
    for index, piece in enumerate(_FIELD.split(block.text)):
        if index % 2:
            out.append(escape(values.get(piece, "")).replace("\n", "<br/>"))
            continue
        for position, chunk in enumerate(escape(piece).split("**")):
            if position:
                out.append("</b>" if bold else "<b>")
                bold = not bold
            out.append(chunk)
    return "".join(out)


# -- signatures -----------------------------------------------------------------------------


def _check_signatures(signatures: Sequence[Signature]) -> dict[str, Signature]:
    by_party: dict[str, Signature] = {}
    for signature in signatures:
        if signature.party not in PARTIES:
            raise SignatureError(f"Partie inconnue pour une signature\u00a0: «\u00a0{signature.party}\u00a0» "
                                 f"(possibles\u00a0: {', '.join(PARTIES)}).")
        if signature.party in by_party:
            raise SignatureError(f"Deux signatures pour {_party(signature.party)}.")
        if signature.image is not None:
            _check_image(signature)
        for stroke in signature.strokes or []:
            for point in stroke:
                if len(point) != 2 or not all(isinstance(c, int | float) and math.isfinite(c) for c in point):
                    raise SignatureError(f"Tracé illisible pour {_party(signature.party)}.")
        by_party[signature.party] = signature
    return by_party


def _party(party: str) -> str:
    """« la personne mentore », inside a sentence."""
    return f"la {PARTY_LABELS[party].lower()}"


def _check_image(signature: Signature) -> None:
    try:
        with Image.open(io.BytesIO(signature.image or b"")) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in ("PNG", "JPEG"):
        raise SignatureError(f"La signature de {_party(signature.party)} n’est pas une image "
                             "PNG ou JPEG lisible.")


def _drawing(signature: Signature | None) -> tuple[Strokes | None, bytes | None]:
    return (signature.strokes, signature.image) if signature else (None, None)


def _signature_table(values: dict[str, str], by_party: dict[str, Signature], signed_on: date | None,
                     signed_place: str | None, width: float) -> Table:
    """One framed column per party; rows line up across columns so the three signing areas align."""
    s = _styles()
    gap = 0.35 * cm
    column = (width - 2 * gap) / 3
    when = ""
    if signed_on:
        when = f"Le {french_date(signed_on)}" + (f", à {' '.join(signed_place.split())}" if signed_place else "")
    rows: list[list[Any]] = [[], [], [], []]
    for party in PARTIES:
        rows[0].append(_para(escape(PARTY_LABELS[party]), s["party"]))
        rows[1].append(_para(escape(values.get(_PARTY_NAMES[party], "")), s["name"]))
        rows[2].append(_para("Date et signature\u00a0:", s["small"]))
        rows[3].append(SignatureArea(column - 12, 2.1 * cm, *_drawing(by_party.get(party))))
    if when:
        rows.append([_para(escape(when), s["signed"]) if party in by_party else "" for party in PARTIES])
    data = [[row[0], "", row[1], "", row[2]] for row in rows]
    last = len(data) - 1
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
             ("LEFTPADDING", (0, 0), (-1, -1), 6),
             ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 1),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, 0), 6),
             ("BOTTOMPADDING", (0, last), (-1, last), 6)]
    style += [("BOX", (col, 0), (col, last), 0.6, GREY) for col in (0, 2, 4)]
    table = Table(data, colWidths=[column, gap, column, gap, column])
    table.setStyle(TableStyle(style))
    return table


# -- page furniture and metadata -------------------------------------------------------------
