"""The charter's digital seal: a PAdES (ETSI.CAdES.detached) certification signature made with pyHanko.

A certification signature with the DocMDP permission « no changes »: the seal is the document's
author signature and forbids any later change, so a standard PDF reader flags an edit made after it
(verify.py refuses any, DocMDP or not).

The key is the device's own: the EC P-256 key whose certificate the hub issued at enrollment, so a
seal traces back to the hub's CA; before enrollment, a self-signed certificate made once on this
device. Both keys live in the encrypted database (`meta`), never in a file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..domain.errors import DomainError
from .names import LOCAL_SUBJECT, CertificateNames, certificate_names_of_pem

SEAL_FIELD = "Sceau"
LOCAL_ORGANIZATION = "Tandem Desktop"
LOCAL_YEARS = 10
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # RFC 9336, as in the hub's certificates


class SealError(DomainError):
    """The PDF could not be sealed (unreadable PDF, unusable key); the message is in French."""


@dataclass(frozen=True)
class SealIdentity:
    """What seals: a private key, its certificate and the chain up to (and including) the root."""

    key_pem: str
    cert_pem: str
    chain_pem: list[str] = field(default_factory=list)
    self_signed: bool = False  # True before enrollment: nobody but this device vouches for it

    @property
    def subject(self) -> str:
        return x509.load_pem_x509_certificate(self.cert_pem.encode()).subject.rfc4514_string()

    @property
    def names(self) -> CertificateNames | None:
        return certificate_names_of_pem(self.cert_pem)


def _asn1_cert(pem: str) -> asn1_x509.Certificate:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is given, not read from the clock (tests, reproducible seals)."""

    def __init__(self, *args: object, signing_time: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def seal_pdf(pdf: bytes, identity: SealIdentity, *, reason: str = "Charte signée", location: str | None = None,
             signing_time: datetime | None = None) -> bytes:
    """`pdf` with an incremental PAdES certification signature (field « Sceau », DocMDP « no changes »)
    covering every byte before it. `pdf` must hold no signature yet: a certification comes first."""
    try:
        cert = _asn1_cert(identity.cert_pem)
        key = serialization.load_pem_private_key(identity.key_pem.encode(), password=None)
        key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        chain = [_asn1_cert(pem) for pem in identity.chain_pem]
    except (ValueError, TypeError) as exc:
        raise SealError("Le certificat ou la clé de sceau de ce poste est illisible\u00a0: "
                        "la charte n’a pas été scellée.") from exc
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key_info,
                                  cert_registry=SimpleCertificateStore.from_certs([cert, *chain]))
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location or None, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        if signing_time is None:
            out = signers.sign_pdf(writer, meta, signer=signer)
        else:
            out = _TimedPdfSigner(meta, signer=signer, signing_time=signing_time).sign_pdf(writer)
    except Exception as exc:  # pyHanko raises many kinds for a broken input PDF
        raise SealError(f"Impossible de sceller ce PDF\u00a0: {exc}") from exc
    return out.getvalue()


def new_local_identity(device_id: str, now: datetime) -> tuple[str, str]:
    """(key PEM, certificate PEM) of a fresh self-signed EC P-256 document-signing certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, LOCAL_SUBJECT),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, LOCAL_ORGANIZATION),
    ])
    key_usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * LOCAL_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if device_id:  # who made it, without making the CN longer than the 64 characters X.509 allows
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"urn:uuid:{device_id}")]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()
