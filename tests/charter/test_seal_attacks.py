"""The seal under attack (issue 9, point 2), over real files and a real hub on 127.0.0.1.

A real charter is sealed by a device enrolled for « Nadia Ferhat » of « Mission locale de Marseille »
(the device calls itself « vm », a host name). An attacker then whites out page 1 and writes other
text on it in an incremental update, and signs it: (a) with another structure's hub-issued device
certificate, (b) with a self-signed certificate bearing the very subject of the seal; or (c) leaves
the update unsigned; or (d) flips one byte; or (e) also drops the seal from the form and signs in a
new « Sceau » field with the other structure's key. Every case must fail verification, in our verify
and the CLI (non-zero exit, « modifié après le scellement »), and pyHanko's own validator applied to
the Tandem seal must agree. The previous release printed « Le sceau est intact » for (a), (b), (e).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from tandem_desktop.charter.seal import SEAL_FIELD, SealIdentity, seal_pdf
from tandem_desktop.charter.verdict import MSG_NOT_VOUCHED, NO_SEAL, NOT_VOUCHED, kind
from tandem_desktop.charter.verify import MSG_INTACT, MSG_LOCAL, MSG_MODIFIED, NBSP, verify_pdf
from tandem_desktop.cli import main
from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService, device_identity
from tandem_desktop.store.profile import Profile, open_profile

from ..conftest import PASSPHRASE
from ..sync.conftest import World
from .test_service import make_tandem, signatures

DATA = Path(__file__).parent / "data"
FORGED_TEXT = "ENGAGEMENTS ANNULES PAR AVENANT"
NADIA_SEALS = "Scellé par Nadia Ferhat, Mission locale de Marseille (certificat délivré par l’autorité du hub Tandem)."
ATTACKS = ("a_other_structure", "b_self_signed_same_subject", "c_unsigned_update", "d_byte_flip",
           "e_seal_dropped_from_the_form")


# -- the attacker's tools ----------------------------------------------------------------------------


def whiteout_page_one(pdf: bytes, *, drop_seal_field: bool = False) -> bytes:
    """An incremental update painting page 1 white and writing other text on it (optionally also
    removing every signature field from the form and the page, to hide the seal)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    font = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")}))
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject(
        {generic.NameObject("/FX"): font})})
    paint = f"q 1 1 1 rg 0 0 700 900 re f Q BT /FX 16 Tf 72 700 Td ({FORGED_TEXT}) Tj ET".encode()
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=paint)), resources=resources)
    if drop_seal_field:
        form_ref = writer.root.raw_get("/AcroForm")
        writer.root["/AcroForm"][generic.NameObject("/Fields")] = generic.ArrayObject([])
        if isinstance(form_ref, generic.IndirectObject):
            writer.mark_update(form_ref)
        writer.update_root()
        for index in range(len(PdfReader(io.BytesIO(pdf)).pages)):
            page_ref = writer.find_page_for_modification(index)[0]
            page_ref.get_object()[generic.NameObject("/Annots")] = generic.ArrayObject([])
            writer.mark_update(page_ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _AnyChangeSigner(signers.PdfSigner):
    """pyHanko refuses to sign over a « no changes » certification; an attacker's tool does not."""

    def _enforce_certification_constraints(self, reader: Any) -> None:
        return None


def sign_after(pdf: bytes, identity: SealIdentity, field_name: str = "Avenant") -> bytes:
    key = serialization.load_pem_private_key(identity.key_pem.encode(), password=None)
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    certs = [asn1_x509.Certificate.load(asn1_pem.unarmor(p.encode())[2]) for p in [identity.cert_pem,
                                                                                   *identity.chain_pem]]
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(signing_cert=certs[0], signing_key=key_info,
                                  cert_registry=SimpleCertificateStore.from_certs(certs))
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    return _AnyChangeSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()


def self_signed_like(cert_pem: str) -> SealIdentity:
    """A self-signed certificate with exactly the subject (and usages) of `cert_pem`."""
    original = x509.load_pem_x509_certificate(cert_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(original.subject).issuer_name(original.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=365)))
    for extension in original.extensions:
        if isinstance(extension.value, (x509.KeyUsage, x509.ExtendedKeyUsage, x509.BasicConstraints,
                                        x509.SubjectAlternativeName)):
            builder = builder.add_extension(extension.value, critical=extension.critical)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SealIdentity(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), [], True)


def flip_one_byte(pdf: bytes) -> bytes:
    start1, length1, _, _ = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].byte_range
    tampered = bytearray(pdf)
    tampered[start1 + length1 // 2] ^= 0x01
    return bytes(tampered)


# -- pyHanko as the independent judge ----------------------------------------------------------------


def tandem_seal_of(pdf: bytes) -> EmbeddedPdfSignature:
    """The seal as pyHanko sees it in the revision it was made in (even if a later one hid it)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    for revision in range(reader.xrefs.total_revisions):
        for name, _, sig_field in enumerate_sig_fields(reader.get_historical_resolver(revision), filled_status=True):
            if name == SEAL_FIELD:
                return EmbeddedPdfSignature(reader, sig_field, name)
    raise AssertionError("no seal")


def pyhanko_verdict(embedded: EmbeddedPdfSignature, ca_pem: str):  # type: ignore[no-untyped-def]
    root = asn1_x509.Certificate.load(asn1_pem.unarmor(ca_pem.encode())[2])
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))


# -- the scene: one hub, two structures, one sealed charter, every attack on it ------------------------


@dataclass
class Scene:
    ca_pem: str
    original: bytes
    nadia_settings: Any
    karim: SealIdentity
    nadia_cert_pem: str
    unsealed: bytes  # the same tandem's charter as rendered, never sealed
    files: dict[str, bytes] = field(default_factory=dict)
    karim_settings: Any = None  # a device of another structure of the same hub


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # as the autouse fixture does, for this module-wide set-up
    tmp = tmp_path_factory.mktemp("attaque")
    url = f"sqlite:///{tmp / 'hub.db'}"
    world = World(url, tmp)
    world.start_hub()
    world.engine = admin.connect(url)
    try:
        marseille, adie = world.structure("Mission locale de Marseille"), world.structure("Adie")
        nadia = world.new_profile("vm")
        sync_service.enroll(nadia, world.url, world.code(marseille, name="Nadia Ferhat"), device_name="vm")
        karim = world.new_profile("portable-adie")
        sync_service.enroll(karim, world.url, world.code(adie, name="Karim Haddad"), device_name="portable-adie")
        service = CharterService(nadia.store)
        tandem_id = make_tandem(nadia.store)
        unsealed = service.generate(tandem_id, place="Marseille")
        stored = service.seal(tandem_id, signatures(), place="Marseille")
        original = service.pdf(stored.id)
        nadia_identity, karim_identity = device_identity(nadia.store), device_identity(karim.store)
        scene = Scene(ca_pem=nadia.store.remote.state()["ca_pem"], original=original, nadia_settings=nadia.settings,
                      karim=karim_identity, nadia_cert_pem=nadia_identity.cert_pem, unsealed=unsealed,
                      karim_settings=karim.settings)
        whited = whiteout_page_one(original)
        scene.files = {
            "a_other_structure": sign_after(whited, karim_identity),
            "b_self_signed_same_subject": sign_after(whited, self_signed_like(nadia_identity.cert_pem)),
            "c_unsigned_update": whited,
            "d_byte_flip": flip_one_byte(original),
            "e_seal_dropped_from_the_form": sign_after(whiteout_page_one(original, drop_seal_field=True),
                                                       karim_identity, field_name=SEAL_FIELD),
        }
        nadia.close()
        karim.close()
        yield scene
    finally:
        world.close()
        keyring.set_keyring(previous)


@contextmanager
def nadia_service(scene: Scene) -> Iterator[CharterService]:
    profile: Profile = open_profile(scene.nadia_settings.with_passphrase(PASSPHRASE))
    try:
        yield CharterService(profile.store)
    finally:
        profile.close()


# -- the genuine charter ---------------------------------------------------------------------------------


def test_the_seal_is_a_no_changes_certification_that_pyhanko_and_pypdf_read(scene: Scene) -> None:
    embedded = tandem_seal_of(scene.original)
    assert embedded.docmdp_level == MDPPerm.NO_CHANGES
    status = pyhanko_verdict(embedded, scene.ca_pem)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.docmdp_ok
    assert status.modification_level == ModificationLevel.NONE

    reader = PdfReader(io.BytesIO(scene.original))  # what a standard reader goes by: /Perms /DocMDP
    seal_dict = reader.get_fields()[SEAL_FIELD]["/V"]
    docmdp = reader.trailer["/Root"]["/Perms"]["/DocMDP"].get_object()
    assert docmdp["/ByteRange"] == seal_dict["/ByteRange"]  # the catalog points at our seal
    [reference] = seal_dict["/Reference"]
    assert reference["/TransformMethod"] == "/DocMDP" and reference["/TransformParams"]["/P"] == 1


def test_the_genuine_charter_names_whom_the_hub_certified(scene: Scene) -> None:
    with nadia_service(scene) as service:
        report = service.verify(scene.original)
    assert report.ok and report.chains_to_hub and report.certification and report.matches_local
    assert report.messages[0] == MSG_INTACT and NADIA_SEALS in report.messages
    assert report.signer_name == "Nadia Ferhat" and report.signer_device == "vm"
    assert not any("par vm" in m for m in report.messages)
    assert [s.field_name for s in report.signatures] == [SEAL_FIELD]


# -- every attack -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_change_after_the_seal_never_verifies_and_pyhanko_agrees(scene: Scene, attack: str) -> None:
    forged = scene.files[attack]
    if attack != "d_byte_flip":  # the attack is real: page 1 now reads otherwise for any reader
        assert FORGED_TEXT in PdfReader(io.BytesIO(forged)).pages[0].extract_text()

    with nadia_service(scene) as service:
        report = service.verify(forged)
    assert report.sealed and not report.ok and report.modified_after_seal, report.messages
    assert MSG_MODIFIED in report.messages and MSG_INTACT not in report.messages
    assert verify_pdf(forged).modified_after_seal and not verify_pdf(forged).ok  # on a machine without the hub CA

    if attack == "d_byte_flip":
        assert not report.intact
        assert not pyhanko_verdict(tandem_seal_of(forged), scene.ca_pem).intact
        return
    seal = pyhanko_verdict(tandem_seal_of(forged), scene.ca_pem)  # pyHanko's own verdict on the Tandem seal
    assert seal.intact and seal.valid and seal.trusted  # the bytes it signed are still there...
    assert seal.coverage != SignatureCoverageLevel.ENTIRE_FILE  # ...but it no longer covers the file,
    assert seal.docmdp_ok is False and seal.modification_level == ModificationLevel.OTHER  # the change breaks DocMDP
    assert not seal.bottom_line
    assert report.revisions_after_seal >= 1 and report.intact  # what our report says, in French
    assert any("mise à jour ajoutée" in m or "mises à jour ajoutées" in m for m in report.messages)


@pytest.mark.parametrize("attack", ["a_other_structure", "b_self_signed_same_subject", "e_seal_dropped_from_the_form"])
def test_the_signature_after_the_seal_is_itself_fine_and_reported(scene: Scene, attack: str) -> None:
    """What fooled the previous release: the last signature alone is intact and covers the whole file."""
    forged = scene.files[attack]
    last = PdfFileReader(io.BytesIO(forged)).embedded_signatures[-1]
    status = pyhanko_verdict(last, scene.ca_pem)
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.trusted is (attack != "b_self_signed_same_subject")  # Adie's device is a real hub device

    with nadia_service(scene) as service:
        report = service.verify(forged)
    [added] = report.later_signatures
    assert added.intact and added.covers_whole_file and added.trusted is status.trusted
    [line] = [m for m in report.messages if "ajoutée après le sceau" in m]
    if attack == "b_self_signed_same_subject":
        assert "Nadia Ferhat, Mission locale de Marseille" in line and "personne ne garantit ces noms" in line
    else:
        assert "Karim Haddad, Adie (certificat délivré par l’autorité du hub Tandem)" in line
    if attack == "e_seal_dropped_from_the_form":  # hidden from the last revision, found in its own
        assert [s.field_name for s in PdfFileReader(io.BytesIO(forged)).embedded_signatures] == [SEAL_FIELD]
        assert report.signatures[0].revision < added.revision


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_cli_refuses_each_attack(scene: Scene, attack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "charte.pdf"
    path.write_bytes(scene.files[attack])
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    for data_dir in (str(scene.nadia_settings.data_dir), str(tmp_path / "aucun-profil")):
        assert main(["--data-dir", data_dir, "charter", "verify", str(path)]) == 1
        captured = capsys.readouterr()
        assert "modifié après le scellement" in captured.err and "Traceback" not in captured.err
        assert "Le document a été modifié après le scellement." in captured.out
        assert "Le sceau est intact" not in captured.out
    assert main(["--data-dir", str(scene.nadia_settings.data_dir), "charter", "verify", str(path), "--json"]) == 1
    assert '"ok": false' in capsys.readouterr().out


# -- names come from the hub, never from the device ---------------------------------------------------------------


def test_a_fresh_seal_by_another_structure_names_that_structure(scene: Scene) -> None:
    forged = seal_pdf(whiteout_page_one(scene.unsealed), scene.karim)
    with nadia_service(scene) as service:
        report = service.verify(forged)
    assert report.ok and report.chains_to_hub  # a charter Adie's device really sealed...
    assert "Scellé par Karim Haddad, Adie (certificat délivré par l’autorité du hub Tandem)." in report.messages
    assert not any("Nadia" in m for m in report.messages)  # ...and says so, not that Nadia did
    assert report.matches_local is False


def test_a_self_signed_seal_with_the_counsellors_name_says_first_that_nobody_vouches(scene: Scene) -> None:
    """On a device that knows the hub, nobody vouching is not « intact » (test_seal_register.py)."""
    impostor = self_signed_like(scene.nadia_cert_pem)
    forged = seal_pdf(whiteout_page_one(scene.unsealed), impostor)
    with nadia_service(scene) as service:
        report = service.verify(forged)
    assert report.self_signed and report.chains_to_hub is False and report.signer_name is None
    assert not report.ok and report.kind == NOT_VOUCHED
    assert report.messages[0] == MSG_NOT_VOUCHED and MSG_INTACT not in report.messages
    alone = verify_pdf(forged)  # where no hub is known: intact, and first of all, nobody vouches
    assert alone.ok and alone.messages[:2] == [MSG_LOCAL, MSG_INTACT]
    assert NADIA_SEALS not in report.messages and not any(m.startswith("Scellé par") for m in report.messages)
    assert any(f"«{NBSP}Nadia Ferhat, Mission locale de Marseille{NBSP}»" in m and "personne ne garantit" in m
               for m in report.messages)


# -- seals made by the previous release -------------------------------------------------------------------


def test_seals_of_the_previous_release_still_verify_without_calling_the_device_a_person() -> None:
    ca_pem = (DATA / "previous-release-hub-ca.pem").read_text()
    hub_sealed = (DATA / "previous-release-hub-seal.pdf").read_bytes()
    report = verify_pdf(hub_sealed, hub_ca_pem=ca_pem)
    assert report.ok and report.chains_to_hub and report.certification is False
    assert report.signer_name is None and report.signer_device == "vm"
    assert report.messages[0] == MSG_INTACT
    assert any(m.startswith("Scellé depuis un poste de Mission locale de Marseille enrôlé auprès du hub")
               and f"nomme le poste, «{NBSP}vm{NBSP}», pas le conseiller" in m for m in report.messages)
    assert not any("par vm" in m for m in report.messages)
    assert any("signature d’approbation" in m for m in report.messages)
    unknown = verify_pdf(hub_sealed)  # a machine that does not know that hub
    assert unknown.ok and unknown.chains_to_hub is None and any("ne sont pas garantis" in m for m in unknown.messages)

    local_seal = (DATA / "previous-release-local-seal.pdf").read_bytes()
    local = verify_pdf(local_seal)
    assert local.ok and local.self_signed and local.messages[:2] == [MSG_LOCAL, MSG_INTACT]
    vouched_by_nobody = verify_pdf(local_seal, hub_ca_pem=ca_pem)  # on a device of a hub, stored elsewhere
    assert not vouched_by_nobody.ok and vouched_by_nobody.kind == NOT_VOUCHED

    forged = sign_after(whiteout_page_one(hub_sealed), self_signed_like(_cert_of(hub_sealed)))
    again = verify_pdf(forged, hub_ca_pem=ca_pem)  # an approval seal is no weaker here: still refused
    assert again.modified_after_seal and not again.ok and MSG_MODIFIED in again.messages
    seal = pyhanko_verdict(tandem_seal_of(forged), ca_pem)
    assert seal.coverage != SignatureCoverageLevel.ENTIRE_FILE and seal.modification_level == ModificationLevel.OTHER


def _cert_of(pdf: bytes) -> str:
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    der = embedded.signer_cert.dump()
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def test_a_pdf_signed_by_someone_else_is_not_a_sealed_charter(scene: Scene) -> None:
    signed = sign_after(scene.unsealed, scene.karim, field_name="Signature1")  # a valid hub key, not our seal
    report = verify_pdf(signed, hub_ca_pem=scene.ca_pem)
    assert not report.sealed and not report.ok and len(report.signatures) == 1
    assert report.messages[0] == "Ce PDF porte une signature numérique, mais pas le sceau Tandem d’une charte."
    assert "Karim Haddad, Adie" in report.messages[1]
    assert kind(report) == NO_SEAL
