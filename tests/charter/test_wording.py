"""Issue 10, point 6: the charter's words, read back from real PDFs by pypdf (and the QR code by zxing).

Wording that fits a woman and a man alike (the records hold no gender), one term for the mentee, the
post and employer labelled as such, date and place left blank on the copy for ink, the QR code
explained, a number read aloud printed on every page, creation and modification dates that agree.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from tandem_desktop.charter.render import PEN_BLANK, Signature
from tandem_desktop.services.charters import CharterService, charter_number
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.repository import Store

from ..conftest import FIXED_TODAY

NBSP = "\u00a0"
NUMBER = re.compile(r"Charte n° ([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})")
STROKES = [[(0.1, 0.5), (0.5, 0.2), (0.9, 0.6)]]
WOMAN = {"first_name": "Hélène", "last_name": "Durand"}
MAN = {"first_name": "Karim", "last_name": "Benali"}


def move(store: Store, tandem_id: str, status: str, **extra: str) -> None:
    """A step of the tandem, through the one door for record writes."""
    Records(store, Actor()).move_tandem(tandem_id, status, **extra)


def tandem_with(store: Store, mentor: dict[str, str]) -> str:
    """The day's case: the mentor's post is a ROME trade label, the employer a social centre."""
    structure = store.create("structure", {"name": "Centre social Belle de Mai", "type": "association",
                                           "commune": "Marseille", "email": "accueil@cs-belledemai.example"})
    counsellor = store.create("counsellor", {"first_name": "Camille", "last_name": "Martin",
                                             "email": "camille.martin@cs-belledemai.example",
                                             "structure_id": structure})
    mentor_id = store.create("mentor", {**mentor, "employer": "Centre social Belle de Mai",
                                        "job_title": "Café, bar brasserie", "capacity": 2})
    mentee = store.create("mentee", {"first_name": "Sofiane", "last_name": "Haddad", "structure_id": structure,
                                     "counsellor_id": counsellor})
    values = {"mentor_id": mentor_id, "mentee_id": mentee, "duration_months": 6,
              "objectives": "Trouver un emploi en salle", "proposed_on": "2026-11-02"}
    tandem = Records(store, Actor()).create("tandem", values).record_id
    move(store, tandem, "accepted", accepted_on="2026-11-10")
    return tandem


def pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def whole(pdf: bytes) -> str:
    return " ".join(pages(pdf))


@pytest.fixture
def service(store: Store) -> CharterService:
    return CharterService(store)


def test_the_mentor_is_named_the_same_way_whether_a_woman_or_a_man(store: Store, service: CharterService) -> None:
    texts = {}
    for who, mentor in (("woman", WOMAN), ("man", MAN)):
        stored = service.seal(tandem_with(store, mentor), [Signature(p, strokes=STROKES)
                                                           for p in ("mentee", "mentor", "counsellor")])
        texts[who] = whole(service.pdf(stored.id))
    woman, man = texts["woman"], texts["man"]
    assert ("Personne mentore : Hélène Durand — poste occupé : café, bar brasserie ; employeur : Centre social "
            "Belle de Mai. Elle s’engage à titre personnel") in woman
    assert "Personne mentore : Karim Benali — poste occupé : café, bar brasserie ; employeur" in man
    for text in (woman, man):
        assert "Le mentor" not in text and "le mentor" not in text and " chez " not in text
        assert "mentor·e" not in text and "mentore ou" not in text.lower()
    # Nothing but the names and the numbers differs: the wording does not depend on who signs.
    def neutral(text: str) -> str:
        text = re.sub(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", "N", text)
        return text.replace("Hélène Durand", "X").replace("Karim Benali", "X").replace("Hélène", "X")
    assert neutral(woman) == neutral(man).replace("Karim", "X")


def test_one_term_for_the_mentee_throughout(store: Store, service: CharterService) -> None:
    text = whole(service.generate(tandem_with(store, WOMAN)))
    assert "mentoré·e" not in text and "Le ou la" not in text and "le ou la" not in text
    assert "référent·e" not in text and "conseiller ou la conseillère" not in text
    assert text.count("Personne mentorée") == 2  # « 1. Les parties » and the signature box
    assert "La personne mentorée s’engage à" in text and "Personne mentore" in text
    assert "Personne référente : Camille Martin" in text


def test_the_copy_for_ink_leaves_date_and_place_to_the_pen(store: Store, service: CharterService) -> None:
    tandem = tandem_with(store, WOMAN)
    text = whole(service.generate(tandem))
    assert f"Fait à {PEN_BLANK}, le {PEN_BLANK}. Chaque partie reçoit" in text
    assert "26 novembre 2026" not in text and "Fait à Marseille" not in text
    with_place = whole(service.generate(tandem, place="Aubagne"))  # a place the counsellor typed is printed
    assert f"Fait à Aubagne, le {PEN_BLANK}." in with_place

    stored = service.record_ink_signature(tandem, signed_on=date(2026, 11, 20), place="La Ciotat")
    recorded = whole(service.pdf(stored.id))  # the reference kept for the paper: date and place as signed
    assert "Fait à La Ciotat, le 20 novembre 2026." in recorded and PEN_BLANK not in recorded


def test_the_qr_code_is_explained_and_the_number_is_on_every_page(store: Store, service: CharterService) -> None:
    pdf = service.generate(tandem_with(store, MAN))
    texts = pages(pdf)
    first = texts[0]
    assert ("Le code QR ci-contre contient ce numéro et l’identifiant de la charte. Un PDF de cette charte se "
            "vérifie dans Tandem Desktop (Fichier › Vérifier une charte…) ou par « tandem charter verify "
            "fichier.pdf » : toute modification y est signalée.") in first
    number = NUMBER.search(first).group(1)  # type: ignore[union-attr]
    assert len(texts) >= 2
    for page_no, text in enumerate(texts, start=1):
        assert f"Charte n° {number} · modèle charte-tandem 2026.2" in text and f"Page {page_no} sur" in text
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta["/TandemNumber"] == number
    with pdfium.PdfDocument(pdf) as document:
        image = document[0].render(scale=3).to_pil()
    [decoded] = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == f"TANDEM-CHARTE:{meta['/TandemCharter']}:{number}"
    assert charter_number(number.lower().replace("-", " ")) == number
    assert charter_number("K7Q4-9XP0") is None and charter_number("abc") is None, "0 is not in the alphabet"


def test_the_number_is_how_a_charter_is_found_and_verified(store: Store, service: CharterService) -> None:
    stored = service.seal(tandem_with(store, WOMAN), [Signature("mentee", strokes=STROKES)])
    assert service.charter(stored.verification_code.lower()) == stored
    assert service.pdf(stored.verification_code) == service.pdf(stored.id)
    report = service.verify(service.pdf(stored.id))
    assert report.ok and report.number == stored.verification_code
    assert (f"Document{NBSP}: modèle charte-tandem 2026.2, charte n°{NBSP}{stored.verification_code} "
            f"({stored.id}).") in report.messages


def test_creation_and_modification_dates_agree(store: Store, service: CharterService) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    sealed = service.seal(tandem_with(store, WOMAN), [Signature("mentor", strokes=STROKES)])
    ink = service.record_ink_signature(tandem_with(store, MAN), signed_on=FIXED_TODAY, place=None)
    after = datetime.now(UTC)
    for stored in (sealed, ink):
        pdf = service.pdf(stored.id)
        meta = PdfReader(io.BytesIO(pdf)).metadata
        created, modified = meta.creation_date, meta.modification_date
        assert created is not None and modified is not None
        # Made at one moment; pyHanko stamps the seal's revision with the clock as it writes it.
        assert before <= created <= modified <= after, stored.mode
        assert stored.sealed or modified == created
        assert datetime.fromisoformat(stored.created_at) == created, "the charter row says the same"
    report = service.verify(service.pdf(sealed.id))
    assert datetime.fromisoformat(report.signed_at or "") == datetime.fromisoformat(sealed.created_at)


def test_a_charter_signed_in_ink_keeps_the_number_printed_on_its_paper(store: Store, service: CharterService) -> None:
    from tandem_desktop.services.charters import CharterError

    tandem = tandem_with(store, WOMAN)
    paper = service.generate(tandem)
    printed = PdfReader(io.BytesIO(paper)).metadata["/TandemNumber"]
    for typed, words in (("K7Q4-9XP0", "Numéro de charte invalide"), ("12", "Numéro de charte invalide")):
        with pytest.raises(CharterError, match=words):
            service.record_ink_signature(tandem, signed_on=FIXED_TODAY, place="Marseille", number=typed)
    assert service.charters_of(tandem) == [], "a refused number records nothing"
    stored = service.record_ink_signature(tandem, signed_on=FIXED_TODAY, place="Marseille",
                                          number=printed.lower().replace("-", " "))
    assert stored.verification_code == printed
    reference = service.pdf(stored.id)
    assert all(f"Charte n° {printed}" in text for text in pages(reference))
    assert service.charter(printed) == stored
    with pytest.raises(CharterError, match=f"Le numéro {printed} est déjà celui d’une charte"):
        service.record_ink_signature(tandem, signed_on=FIXED_TODAY, place="Marseille", number=printed)
