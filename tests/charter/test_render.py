"""The charter PDF read back by independent tools: pypdf for text, fonts and metadata, pdfium to
rasterise the pages and zxing to decode the QR code."""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from datetime import date
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tandem_desktop.charter import fonts
from tandem_desktop.charter.context import CharterContext, build_context
from tandem_desktop.charter.render import (
    PARTIES,
    Signature,
    SignatureError,
    render_charter,
    verification_code,
)
from tandem_desktop.charter.template import Template, load_template
from tandem_desktop.services.charters import load_records

from .test_template import TODAY, make_records

CHARTER_ID = "0193f1c2-7a4b-7c3d-8e9f-0123456789ab"
CODE = verification_code(CHARTER_ID)


@pytest.fixture
def charter(store: Any) -> tuple[Template, CharterContext]:
    ids = make_records(store)
    template = load_template()
    return template, build_context(load_records(store, ids["tandem"]), TODAY, template)


def render(charter: tuple[Template, CharterContext], **kwargs: Any) -> bytes:
    template, context = charter
    kwargs.setdefault("charter_id", CHARTER_ID)
    kwargs.setdefault("verification_code", verification_code(kwargs["charter_id"]))
    return render_charter(template, context, **kwargs)


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text with every run of spaces as one space: PDF text layers write no-break spaces as plain ones."""
    return " ".join(text.split())


def wave(x0: float, x1: float, y: float, n: int = 30) -> list[tuple[float, float]]:
    return [(x0 + (x1 - x0) * i / (n - 1), y + 0.3 * math.sin(i * 0.6)) for i in range(n)]


def operators(pdf: bytes, page: int = -1) -> Counter[bytes]:
    reader = PdfReader(io.BytesIO(pdf))
    return Counter(op for _, op in ContentStream(reader.pages[page].get_contents(), reader).operations)


def last_page_image(pdf: bytes) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    return document[len(document) - 1].render(scale=1).to_pil().convert("RGB")


def png_signature() -> bytes:
    image = Image.new("RGBA", (400, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 100), (80, 30), (140, 110), (200, 40), (380, 60)], fill=(10, 20, 120, 255),
                               width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a4_pages_with_names_accents_and_a_footer_on_every_page(charter: tuple[Template, CharterContext]) -> None:
    pdf = render(charter)
    reader = PdfReader(io.BytesIO(pdf))
    pages = texts(pdf)
    assert 2 <= len(pages) <= 3
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (595.3, 841.9)
    whole = flat("\n".join(pages))
    for words in ("Charte d’engagement du tandem", "Hélène Dürand-Œuvray", "Jean-Baptiste Martin",
                  "Sophie Lambert", "Mission locale de Marseille", "CMA CGM", "6\u00a0mois", "œuvre",
                  "la personne référente", "au moins une fois par mois", "Date et signature",
                  "Préparer les entretiens\u00a0: élargir le réseau\u202f!", f"N°\u00a0{CODE}"):
        assert flat(words) in whole, words
    for number, text in enumerate(pages, start=1):
        assert flat(f"Charte n°\u00a0{CODE} · modèle charte-tandem 2026.2") in flat(text)
        assert f"Page {number} sur {len(pages)}" in text


def test_punctuation_never_starts_a_line(store: Any) -> None:
    """No-break spaces hold « ; », « ! », « ? », « : » and « » » to the word before, and « « » to the next."""
    words = " ".join(f"mot{n} ; mot{n} ! mot{n} ? « mot{n} » mot{n} :" for n in range(30))
    ids = make_records(store, tandem={"objectives": words})
    template = load_template()
    for text in texts(render((template, build_context(load_records(store, ids["tandem"]), TODAY, template)))):
        for line in (line.strip() for line in text.splitlines()):
            assert not line or (line[0] not in ";:!?»" and not line.endswith("«")), line


def test_fonts_are_embedded_and_cover_french(charter: tuple[Template, CharterContext]) -> None:
    reader = PdfReader(io.BytesIO(render(charter)))
    seen = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            seen.add(str(font["/BaseFont"]).split("+")[-1])
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= seen
    for face in (fonts.REGULAR, fonts.BOLD, fonts.ITALIC, fonts.BOLD_ITALIC):
        assert fonts.missing_glyphs(fonts.FRENCH_CHARACTERS, face) == set()
    assert (fonts.fonts_dir() / "LICENSE-DejaVu.txt").read_text().count("Bitstream") > 3


def test_metadata_names_the_template_and_the_charter(charter: tuple[Template, CharterContext]) -> None:
    meta = PdfReader(io.BytesIO(render(charter, signed_on=date(2026, 11, 27)))).metadata
    assert meta["/Title"] == "Charte d’engagement du tandem"
    assert meta["/Author"] == "Tandem Desktop"
    assert meta["/Subject"] == "Charte du tandem Hélène Dürand-Œuvray et Jean-Baptiste Martin"
    assert meta["/TandemTemplate"] == "charte-tandem 2026.2"
    assert meta["/TandemCharter"] == CHARTER_ID
    assert meta["/TandemNumber"] == CODE
    assert meta["/CreationDate"].startswith("D:20261127")
    assert meta["/ModDate"] == meta["/CreationDate"]


def test_qr_code_decodes_to_the_charter_and_its_code(charter: tuple[Template, CharterContext]) -> None:
    document = pdfium.PdfDocument(render(charter))
    image = document[0].render(scale=3).to_pil()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert decoded == [f"TANDEM-CHARTE:{CHARTER_ID}:{CODE}"]


def test_verification_code_is_short_unambiguous_and_keyed() -> None:
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", CODE)
    assert verification_code(CHARTER_ID) == CODE
    assert verification_code(CHARTER_ID + "x") != CODE
    assert verification_code(CHARTER_ID, b"secret du hub") != CODE


def test_drawn_signatures_are_vector_paths_in_the_boxes(charter: tuple[Template, CharterContext]) -> None:
    unsigned = render(charter)
    strokes = [wave(0.05, 0.95, 0.5), [(0.9, 0.2)]]
    signed = render(charter, signatures=[Signature("mentor", strokes=strokes)])
    before, after = operators(unsigned), operators(signed)
    assert after[b"c"] - before[b"c"] >= len(strokes[0]) - 3  # one curve per inner point
    assert after[b"m"] - before[b"m"] == 2  # one move per stroke, the dot included
    assert "/XObject" not in PdfReader(io.BytesIO(signed)).pages[-1]["/Resources"]
    # The ink is visible, and only in the lower part of the last page where the boxes are.
    page, blank = (last_page_image(pdf) for pdf in (signed, unsigned))
    difference = ImageChops.difference(page, blank).convert("L")
    assert sum(difference.point(lambda v: 255 if v else 0).histogram()[255:]) > 50
    left, top, right, _bottom = difference.getbbox() or (0, 0, 0, 0)
    third = page.width / 3
    assert third <= left < right <= 2 * third  # the mentor's box is the middle one
    assert top > page.height / 3


def test_an_image_signature_is_embedded_as_an_image(charter: tuple[Template, CharterContext]) -> None:
    signed = render(charter, signatures=[Signature("counsellor", image=png_signature())])
    reader = PdfReader(io.BytesIO(signed))
    images = [x.get_object() for x in reader.pages[-1]["/Resources"]["/XObject"].values()]
    assert any(image["/Subtype"] == "/Image" for image in images)
    unsigned = PdfReader(io.BytesIO(render(charter)))
    assert "/XObject" not in unsigned.pages[-1]["/Resources"]


def test_signed_date_and_place_are_shown(charter: tuple[Template, CharterContext]) -> None:
    signatures = [Signature(party, strokes=[wave(0.1, 0.9, 0.5)]) for party in PARTIES]
    text = flat("\n".join(texts(render(charter, signatures=signatures, signed_on=date(2026, 12, 1),
                                       signed_place="Aubagne"))))
    assert "Fait à Aubagne, le 1er décembre 2026" in text
    assert text.count("Le 1er décembre 2026, à Aubagne") == 3


@pytest.mark.parametrize(("signatures", "words"), [
    ([Signature("witness", strokes=[[(0.1, 0.1)]])], "Partie inconnue"),
    ([Signature("mentor", strokes=[]), Signature("mentor", strokes=[])], "Deux signatures pour la personne mentore"),
    ([Signature("mentee", image=b"not an image")], "n’est pas une image PNG ou JPEG lisible"),
    ([Signature("mentee", strokes=[[(0.1, float("nan"))]])], "Tracé illisible"),
])
def test_bad_signatures_are_refused_in_french(charter: tuple[Template, CharterContext], signatures: list[Signature],
                                              words: str) -> None:
    with pytest.raises(SignatureError, match=words):
        render(charter, signatures=signatures)


def test_values_are_escaped_not_interpreted(store: Any) -> None:
    ids = make_records(store, tandem={"objectives": "Salaire < 2 000 € & <b>gras</b> **pas gras**\nLigne 2"})
    template = load_template()
    pdf = render((template, build_context(load_records(store, ids["tandem"]), TODAY, template)))
    text = flat("\n".join(texts(pdf)))
    assert "Salaire < 2 000 € & <b>gras</b> **pas gras**" in text
    assert "Ligne 2" in text


def test_same_inputs_give_the_same_bytes(charter: tuple[Template, CharterContext]) -> None:
    signatures = [Signature("mentee", strokes=[wave(0.1, 0.9, 0.4)]), Signature("mentor", image=png_signature())]
    first = render(charter, signatures=signatures, signed_on=date(2026, 11, 27), signed_place="Marseille")
    again = render(charter, signatures=signatures, signed_on=date(2026, 11, 27), signed_place="Marseille")
    assert first == again
    assert render(charter) == render(charter)
    assert render(charter, charter_id="0193f1c2-0000-7000-8000-000000000000") != render(charter)


def test_long_objectives_flow_onto_more_pages_with_consistent_numbering(store: Any) -> None:
    long_text = "\n".join(f"Objectif {n}\u00a0: une étape détaillée du parcours, avec ses échéances."
                          for n in range(40))
    ids = make_records(store, tandem={"objectives": long_text})
    template = load_template()
    pages = texts(render((template, build_context(load_records(store, ids["tandem"]), TODAY, template))))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} sur {len(pages)}" in text
