"""The seal and its verification, on plain PDFs: pyHanko's own validator and pypdf are the judges."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas

from tandem_desktop.charter import seal as seal_module
from tandem_desktop.charter.seal import SealIdentity, seal_pdf
from tandem_desktop.charter.verify import MSG_INTACT, MSG_LOCAL, MSG_MODIFIED, MSG_NO_SEAL, MSG_NOT_PDF, verify_pdf
from tandem_desktop.services import charters as charter_service
from tandem_desktop.services.charters import device_identity, local_identity

from ..sync.conftest import World


def plain_pdf(text: str = "Charte du tandem — Hélène et Sofiane", **info: str) -> bytes:
    """A small reportlab PDF, with custom /Info keys added by pypdf (as the charter renderer does)."""
    from pypdf import PdfReader, PdfWriter

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    if not info:
        return buffer.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_metadata({f"/{key}": value for key, value in info.items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pyhanko_status(pdf: bytes, roots: list[str]):  # type: ignore[no-untyped-def]
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    trust = [asn1_x509.Certificate.load(pem.unarmor(r.encode())[2]) for r in roots]
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=trust, allow_fetching=False))


@pytest.fixture
def identity(store) -> SealIdentity:  # type: ignore[no-untyped-def]
    return local_identity(store, store.device_id)


@pytest.fixture
def sealed(identity: SealIdentity) -> bytes:
    pdf = plain_pdf(TandemTemplate="charte-tandem 2026.1", TandemCharter="0190-test")
    return seal_pdf(pdf, identity, location="Marseille")


def test_pyhanko_validates_the_seal_intact_valid_and_covering_the_whole_file(
        sealed: bytes, identity: SealIdentity) -> None:
    status = pyhanko_status(sealed, [identity.cert_pem])
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    embedded = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    assert embedded.field_name == "Sceau"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Location"] == "Marseille"


def test_our_report_on_an_intact_self_signed_seal(sealed: bytes) -> None:
    report = verify_pdf(sealed)
    assert report.ok and report.sealed and report.intact and not report.modified_after_seal
    assert report.self_signed is True and report.chains_to_hub is None
    assert "Tandem Desktop — poste non enrôlé" in (report.signer_subject or "")
    assert report.template == "charte-tandem 2026.1" and report.charter_id == "0190-test"
    assert report.signed_at and report.signed_at.startswith(str(datetime.now(UTC).year))
    assert report.messages[:2] == [MSG_LOCAL, MSG_INTACT]  # who vouches for it comes first: nobody
    assert any("certificat local d’un poste non enrôlé" in m and "personne ne garantit" in m for m in report.messages)


def test_an_independent_reader_sees_the_signature_field(sealed: bytes) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(sealed))
    fields = reader.get_fields() or {}
    assert fields["Sceau"]["/FT"] == "/Sig"
    assert fields["Sceau"]["/V"]["/Filter"] == "/Adobe.PPKLite"
    assert reader.metadata["/TandemCharter"] == "0190-test"
    assert "Hélène" in reader.pages[0].extract_text()


@pytest.mark.parametrize("where", ["start", "content", "after_signature"])
def test_one_changed_byte_in_the_signed_range_is_detected_by_both(
        sealed: bytes, identity: SealIdentity, where: str) -> None:
    embedded = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    start1, length1, start2, length2 = embedded.byte_range
    assert start1 == 0 and start2 + length2 == len(sealed)
    offset = {"start": 20, "content": sealed.index(b"stream") + 12, "after_signature": start2 + 3}[where]
    assert offset < length1 or start2 <= offset
    tampered = bytearray(sealed)
    tampered[offset] = ord("X") if tampered[offset] != ord("X") else ord("Y")
    report = verify_pdf(bytes(tampered))
    assert not report.ok and report.modified_after_seal and not report.intact
    assert any("modifié" in m for m in report.messages)
    try:
        status = pyhanko_status(bytes(tampered), [identity.cert_pem])
    except Exception:  # pyHanko may refuse to even parse it: that is a failure too
        return
    assert not (status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)


def test_bytes_added_after_the_seal_are_reported(sealed: bytes, identity: SealIdentity) -> None:
    grown = sealed + b"\n% ajout\n"
    assert pyhanko_status(grown, [identity.cert_pem]).coverage != SignatureCoverageLevel.ENTIRE_FILE
    report = verify_pdf(grown)
    assert report.intact and report.modified_after_seal and not report.ok
    assert report.messages[:2] == [MSG_LOCAL, MSG_MODIFIED]
    assert "des données ont été ajoutées après lui" in report.messages[2]


def test_every_flipped_byte_of_the_signed_range_is_caught(sealed: bytes) -> None:
    embedded = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    start1, length1, start2, length2 = embedded.byte_range
    signed = [*range(start1, start1 + length1), *range(start2, start2 + length2)]
    for offset in random.Random(5).sample(signed, 60):
        tampered = bytearray(sealed)
        tampered[offset] ^= 0x01
        report = verify_pdf(bytes(tampered))
        assert not report.ok, offset
        assert report.messages


def test_malformed_input_never_raises(sealed: bytes) -> None:
    assert verify_pdf(b"").messages == [MSG_NOT_PDF]
    assert verify_pdf("Bonjour, ceci est une lettre.".encode("latin-1")).messages == [MSG_NOT_PDF]
    assert verify_pdf(b"\x89PNG\r\n\x1a\n" + bytes(100)).messages == [MSG_NOT_PDF]
    unsealed = verify_pdf(plain_pdf())
    assert not unsealed.sealed and not unsealed.ok and unsealed.messages == [MSG_NO_SEAL]
    rng = random.Random(7)
    for cut in sorted(rng.sample(range(10, len(sealed)), 40)):
        report = verify_pdf(sealed[:cut])
        assert not report.ok and report.messages
    for _ in range(20):
        junk = b"%PDF-1.7\n" + rng.randbytes(rng.randint(0, 3000))
        assert verify_pdf(junk).messages


def test_verification_prints_no_traceback(sealed: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    verify_pdf(sealed)  # untrusted chain: pyHanko would log a traceback at WARNING
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_local_identity_is_made_once_and_kept_in_the_encrypted_meta(store, profile) -> None:  # type: ignore[no-untyped-def]
    first = local_identity(store, store.device_id)
    again = local_identity(store, store.device_id)
    assert first == again and first.self_signed and first.chain_pem == []
    assert store.meta_value(charter_service.META_LOCAL_CERT) == first.cert_pem
    cert = x509.load_pem_x509_certificate(first.cert_pem.encode())
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == "O=Tandem Desktop,CN=Tandem Desktop — poste non enrôlé"
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
    assert 365 * 10 - 1 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 365 * 10 + 1
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert f"urn:uuid:{store.device_id}" in san.get_values_for_type(x509.UniformResourceIdentifier)
    assert device_identity(store) == first  # not enrolled: the local one
    for path in Path(profile.settings.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"PRIVATE KEY" not in data and b"BEGIN CERTIFICATE" not in data, path


def test_a_given_signing_time_is_the_one_reported(identity: SealIdentity) -> None:
    moment = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
    report = verify_pdf(seal_pdf(plain_pdf(), identity, signing_time=moment))
    assert report.ok and report.signed_at == moment.isoformat()
    assert any("26 novembre 2026" in m for m in report.messages)


def test_sealing_garbage_is_refused_in_french(identity: SealIdentity) -> None:
    with pytest.raises(seal_module.SealError, match="Impossible de sceller"):
        seal_pdf(b"%PDF-1.4 pas vraiment", identity)
    with pytest.raises(seal_module.SealError, match="illisible"):
        seal_pdf(plain_pdf(), SealIdentity("clé", "cert", [], True))


# -- with a real hub ------------------------------------------------------------------------------



def test_once_enrolled_the_seal_chains_to_the_hub_ca(hub_world: World) -> None:
    structure = hub_world.structure("Mission locale de Marseille")
    device = hub_world.device(structure, "Portable de Camille", first_sync=False)
    state = device.store.remote.state()
    identity = device_identity(device.store)
    assert not identity.self_signed and identity.chain_pem == [state["ca_pem"]]
    assert identity.cert_pem == state["certificate_pem"]
    sealed = seal_pdf(plain_pdf(), identity, location="Marseille")

    status = pyhanko_status(sealed, [state["ca_pem"]])
    assert status.intact and status.valid and status.trusted and status.bottom_line
    report = verify_pdf(sealed, hub_ca_pem=state["ca_pem"])
    assert report.ok and report.chains_to_hub is True and report.self_signed is False
    assert "CN=Conseillère" in (report.signer_subject or "") and "OU=Portable de Camille" in report.signer_subject
    assert (report.signer_issuer or "").startswith("O=Tandem - le hub du mentorat,CN=Tandem hub CA")
    assert report.signer_name == "Conseillère" and report.signer_organization == "Mission locale de Marseille"
    assert report.signer_device == "Portable de Camille"
    assert ("Scellé par Conseillère, Mission locale de Marseille (certificat délivré par l’autorité du hub "
            "Tandem).") in report.messages

    unknown = verify_pdf(sealed)  # on a machine that does not know the hub: intact, origin unchecked
    assert unknown.ok and unknown.chains_to_hub is None
    assert any("n’a pas pu être vérifiée" in m for m in unknown.messages)

    other = hub_world.new_profile("autre-poste")
    stranger = verify_pdf(sealed, hub_ca_pem=local_identity(other.store).cert_pem)
    assert stranger.intact and stranger.chains_to_hub is False
    assert any("qui n’est pas l’autorité du hub" in m for m in stranger.messages)

    local_sealed = seal_pdf(plain_pdf(), local_identity(device.store))
    assert verify_pdf(local_sealed, hub_ca_pem=state["ca_pem"]).chains_to_hub is False
