"""Issue 14, points 2 and 3 without a network: a charter is never replaced (a second seal is version
2, version 1 kept), and the paper of an enrolled device leads to the hub's verification page (its QR
code holds the page's address, every page's footer names it). What the hub answers is judged the
same way wherever it is asked (services/charter_check.judge)."""

from __future__ import annotations

import hashlib
import io

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

from tandem_desktop.charter.render import Signature
from tandem_desktop.services.charter_check import MSG_NO_NUMBER, MSG_NOT_ENROLLED, ask_hub, judge
from tandem_desktop.services.charter_texts import version_of
from tandem_desktop.services.charters import CharterService
from tandem_desktop.store.repository import Store

from .test_wording import MAN, NBSP, STROKES, pages, tandem_with

HUB = "https://hub.tandem-marseille.example"


def test_a_second_seal_is_version_2_and_version_1_is_kept(store: Store) -> None:
    service = CharterService(store)
    tandem = tandem_with(store, MAN)
    first = service.seal(tandem, [Signature("mentee", strokes=STROKES)], place="Marseille")
    second = service.seal(tandem, [Signature("mentee", strokes=STROKES), Signature("mentor", strokes=STROKES)],
                          place="Aubagne")
    listed = service.charters_of(tandem)
    assert [c.id for c in listed] == [second.id, first.id]  # newest first, both kept
    assert [version_of(listed, c) for c in listed] == [2, 1]
    assert first.sha256 != second.sha256
    assert hashlib.sha256(service.pdf(first.id)).hexdigest() == first.sha256  # untouched by the second seal
    text = service.status_text(tandem)
    assert text.startswith("Charte signée à l’écran et scellée le ") and " à Aubagne (version 2" in text
    assert f"(version 2{NBSP}; la version précédente est conservée){NBSP}: enregistrée sur ce poste." in text
    third = service.seal(tandem, [Signature("mentee", strokes=STROKES)])
    assert "(version 3" in service.status_text(tandem) and "les 2 versions précédentes sont conservées" in \
        service.status_text(tandem)
    assert {c.id for c in service.charters_of(tandem)} == {first.id, second.id, third.id}


def test_an_enrolled_devices_paper_leads_to_the_hubs_page(store: Store) -> None:
    store.remote.set_state(device_id="0192b7a0-0000-7000-8000-000000000001", hub_url=HUB)
    service = CharterService(store)
    pdf = service.generate(tandem_with(store, MAN))
    number = PdfReader(io.BytesIO(pdf)).metadata["/TandemNumber"]
    with pdfium.PdfDocument(pdf) as document:
        image = document[0].render(scale=3).to_pil()
    [decoded] = [code.text for code in zxingcpp.read_barcodes(image)]
    assert decoded == f"{HUB}/charte/{number}"
    texts = pages(pdf)
    assert "Le code QR ci-contre mène à la page de vérification du hub Tandem" in texts[0]
    assert "saisissez le numéro sur hub.tandem-marseille.example/charte" in texts[0]
    footer = f"Charte n° {number} · modèle charte-tandem 2026.2 · à vérifier sur hub.tandem-marseille.example/charte"
    assert all(footer in text for text in texts)
    store.remote.set_state(revoked=True)  # a revoked device no longer points at a hub that refuses it
    pdf = service.generate(tandem_with(store, MAN))
    with pdfium.PdfDocument(pdf) as document:
        [decoded] = [code.text for code in zxingcpp.read_barcodes(document[0].render(scale=3).to_pil())]
    assert decoded.startswith("TANDEM-CHARTE:")


def test_what_the_hub_says_is_judged_the_same_everywhere() -> None:
    sha = "ab" * 32
    sealed = {"mode": "screen", "sealed_at": "2026-12-03T13:05:00+00:00", "signed_on": "2026-12-03",
              "structure": {"id": "s1", "name": "Mission locale de Marseille"}, "seal": "hub",
              "certificate": {"serial": "5F3A", "sha256": "cd" * 32, "issued_by_hub": True}, "sha256": sha,
              "pdf_received": True, "device_revoked": False, "revoked_at": None, "scan": None}
    same = judge({"number": "K7Q4-9XPM", "found": True, "charters": [sealed]}, "K7Q4-9XPM", sha)
    assert same.found and not same.mismatch and not same.revoked
    assert same.lines[0].startswith(f"Hub{NBSP}: charte n°{NBSP}K7Q4-9XPM scellée le 3 décembre 2026 à ")
    assert same.lines[0].endswith(f"par un appareil de la structure «{NBSP}Mission locale de Marseille{NBSP}», "
                                  f"certificat n°{NBSP}5F3A délivré par le hub.")
    assert same.lines[1] == f"Hub{NBSP}: ce fichier est identique, octet pour octet, à celui déposé au hub."
    other = judge({"found": True, "charters": [sealed]}, "K7Q4-9XPM", "ef" * 32)
    assert other.mismatch and other.lines[-1].startswith("✗ Hub")
    revoked = judge({"found": True, "charters": [{**sealed, "device_revoked": True,
                                                  "revoked_at": "2026-12-04T08:00:00"}]}, "K7Q4-9XPM", sha)
    assert revoked.revoked and "révoqué le 4 décembre 2026, après le scellement" in revoked.lines[1]
    ink = {**sealed, "mode": "ink", "seal": None, "certificate": None, "sealed_at": None,
           "scan": {"deposited_at": "2026-12-02T10:00:00Z"}}
    assert judge({"found": True, "charters": [ink]}, "K7Q4-9XPM", None).lines == [
        f"Hub{NBSP}: charte n°{NBSP}K7Q4-9XPM signée à l’encre le 3 décembre 2026 par un appareil de la structure "
        f"«{NBSP}Mission locale de Marseille{NBSP}», scan déposé le 2 décembre 2026."]
    no_scan = judge({"found": True, "charters": [{**ink, "scan": None}]}, "K7Q4-9XPM", None)
    assert no_scan.lines[0].endswith(", aucun scan déposé.")
    unknown = judge({"found": False, "charters": []}, "K7Q4-9XPM", sha)
    assert not unknown.found and not unknown.mismatch and "aucune charte n°" in unknown.lines[0]
    assert ask_hub(None, "K7Q4-9XPM").lines == [MSG_NOT_ENROLLED]
    assert ask_hub(None, None).lines == [MSG_NO_NUMBER]


def test_a_broken_or_hostile_hub_answer_is_one_line_never_a_traceback() -> None:
    from tandem_desktop.services.charter_check import MSG_UNREADABLE

    class Hostile:
        def __init__(self, answer: object) -> None:
            self.answer = answer

        def verify_charter(self, number: str) -> object:
            return self.answer

        def close(self) -> None:
            pass

    for answer in ({"found": True, "charters": [{"structure": "pas un objet", "scan": 3, "certificate": [1],
                                                 "mode": "ink", "sha256": 5}]},
                   {"found": True, "charters": "x"}, [], {"found": True, "charters": [{"sealed_at": {"a": 1}}]}):
        check = ask_hub(None, "K7Q4-9XPM", "ab" * 32, client=Hostile(answer))  # type: ignore[arg-type]
        assert isinstance(check.lines, list) and len(check.lines) >= 1
        assert all(isinstance(line, str) for line in check.lines)
        assert not check.mismatch or check.lines[-1].startswith("✗")
    assert MSG_UNREADABLE.startswith("Hub")
