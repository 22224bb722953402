"""The hub's own certificate authority: an EC P-256 root kept in the hub database, made on first use.

Enrollment turns a device's CSR into a certificate for that device, with the key usages of document
signing, so charters can later be sealed with it and the seal traced back to this hub. Its subject says
what the hub itself knows (CN = the counsellor the code was made for, O = their structure, OU = the
device's name), never what the CSR asked for.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from sqlalchemy import Connection, select

from .db import hub_ca, utcnow
from .errors import HubError

CA_YEARS = 20
DEVICE_YEARS = 5
# Extended key usages for signing documents: RFC 9336 id-kp-documentSigning, Microsoft Document
# Signing and Adobe Authentic Documents Trust (what PDF validators look for).
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
ADOBE_AUTHENTIC_DOCUMENTS = ObjectIdentifier("1.2.840.113583.1.1.5")
MSG_BAD_CSR = ("Demande de certificat (CSR) illisible ou invalide\u00a0: une clé EC P-256 signée par "
               "l'appareil est attendue.")


def ensure_ca(conn: Connection, hub_id: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The CA key and certificate, created inside the caller's (locked) write transaction if missing."""
    row = conn.execute(select(hub_ca.c.key_pem, hub_ca.c.cert_pem).where(hub_ca.c.id == 1)).first()
    if row is not None:
        key = serialization.load_pem_private_key(row.key_pem.encode(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key, x509.load_pem_x509_certificate(row.cert_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"Tandem hub CA {hub_id[:8]}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tandem - le hub du mentorat"),
    ])
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    conn.execute(hub_ca.insert().values(id=1, key_pem=key_pem, cert_pem=to_pem(cert), created_at=now))
    return key, cert


def _key_usage(*, cert_sign: bool = False, signing: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=signing, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )


def parse_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """The device's CSR, checked: readable, self-signed correctly, EC P-256."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, TypeError, UnicodeError) as exc:
        raise HubError(400, "bad_csr", MSG_BAD_CSR) from exc
    if not valid or not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise HubError(400, "bad_csr", MSG_BAD_CSR)
    return csr


def issue_device_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    csr: x509.CertificateSigningRequest,
    device_id: str,
    device_name: str,
    structure_name: str,
    counsellor_name: str,
) -> x509.Certificate:
    """The subject comes from the hub's records, never from the CSR: CN = the counsellor's name, O = the
    structure's, OU = the device's name (which unit of the structure sealed; never read as a person).

    Certificates issued before carried CN = device name and no OU; verifiers tell them apart by the OU.
    """
    public_key = csr.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, _attribute(counsellor_name)),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _attribute(device_name)),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _attribute(structure_name)),
    ])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    now = utcnow()
    ca_end = ca_cert.not_valid_after_utc.replace(tzinfo=None)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=365 * DEVICE_YEARS), ca_end))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, MS_DOCUMENT_SIGNING, ADOBE_AUTHENTIC_DOCUMENTS,
                                              ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"urn:uuid:{device_id}")]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _attribute(value: str) -> str:
    """A subject attribute: spaces folded, at most the 64 characters X.520 allows, never empty."""
    return " ".join(value.split())[:64].strip() or "?"


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()
