"""The hub's own certificate authority: an EC P-256 root kept in the hub database, made at first start.

Its private key is stored encrypted with the hub's secret key (secret_key.py), which never goes
into the database: a copy of the database, or a backup of it, cannot issue a certificate.

Enrollment turns a device's CSR into a certificate for that device, with the key usages of document
signing, so charters can later be sealed with it and the seal traced back to this hub. Its subject says
what the hub itself knows (CN = the counsellor the code was made for, O = their structure, OU = the
device's name), never what the CSR asked for.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from sqlalchemy import Connection, Engine, select, update

from .db import hub_ca, utcnow, writing
from .errors import HubError
from .secret_key import SecretKeyError

CA_YEARS = 20
DEVICE_YEARS = 5
# Extended key usages for signing documents: RFC 9336 id-kp-documentSigning, Microsoft Document
# Signing and Adobe Authentic Documents Trust (what PDF validators look for).
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
MS_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
ADOBE_AUTHENTIC_DOCUMENTS = ObjectIdentifier("1.2.840.113583.1.1.5")
MSG_WRONG_SECRET = ("La clé secrète donnée n’ouvre pas la clé de l’autorité de ce hub (mauvaise clé, ou base d’un "
                    "autre hub)\u00a0: le hub ne démarre pas. Donnez-lui la clé avec laquelle il a été lancé.")
MSG_BAD_CSR = ("Demande de certificat (CSR) illisible ou invalide\u00a0: une clé EC P-256 signée par "
               "l’appareil est attendue.")


@dataclass(frozen=True)
class CertificateAuthority:
    """The hub's CA, its key decrypted in memory for the life of the hub process."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def open_ca(engine: Engine, hub_id: str, secret: bytes) -> CertificateAuthority:
    """The CA at hub start: made if missing, a plaintext key (older releases) encrypted in place,
    an encrypted one decrypted. SecretKeyError (French) if `secret` does not open it."""
    was_plain = stored_key_state(engine) == "plain"
    with writing(engine) as (conn, _):
        authority = ensure_ca(conn, hub_id, secret)
    if was_plain:
        _scrub_old_versions(engine)
    return authority


def _scrub_old_versions(engine: Engine) -> None:
    """After encrypting a plaintext key in place, leave no old copy of its row in the database files:
    SQLite zeroes the old cell (secure_delete, set by ensure_ca) and the WAL is folded back and
    emptied; PostgreSQL rewrites the table without its dead row version."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM FULL hub_ca")


def stored_key_state(engine: Engine) -> str:
    """How the CA key is stored: absent, plain (a PEM, as older releases kept it) or sealed."""
    with engine.connect() as conn:
        stored = conn.execute(select(hub_ca.c.key_pem).where(hub_ca.c.id == 1)).scalar()
    if stored is None:
        return "absent"
    return "sealed" if stored.startswith(SEALED_PREFIX) else "plain"


def ensure_ca(conn: Connection, hub_id: str, secret: bytes) -> CertificateAuthority:
    """The CA key and certificate, created inside the caller's (locked) write transaction if missing."""
    row = conn.execute(select(hub_ca.c.key_pem, hub_ca.c.cert_pem).where(hub_ca.c.id == 1)).first()
    if row is not None:
        cert = x509.load_pem_x509_certificate(row.cert_pem.encode())
        if row.key_pem.startswith(SEALED_PREFIX):
            return CertificateAuthority(unseal_ca_key(row.key_pem, secret, hub_id, cert), cert)
        key = serialization.load_pem_private_key(row.key_pem.encode(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        if conn.dialect.name == "sqlite":  # the plaintext cell is overwritten with zeros, not just freed
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.execute(update(hub_ca).where(hub_ca.c.id == 1).values(key_pem=seal_ca_key(key, secret, hub_id, cert)))
        return CertificateAuthority(key, cert)
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
    conn.execute(hub_ca.insert().values(id=1, key_pem=seal_ca_key(key, secret, hub_id, cert), cert_pem=to_pem(cert),
                                        created_at=now))
    return CertificateAuthority(key, cert)


# -- the CA key at rest ---------------------------------------------------------------------------
# AES-256-GCM over the key's PKCS#8 DER, under a key derived by HKDF-SHA256 from the hub's secret
# with a fresh salt per seal. The secret is 256 random bits, so a slow password KDF adds nothing;
# GCM tells a wrong secret from a right one for certain and detects any change to the stored text;
# the associated data binds the sealed key to this hub and to its CA certificate.

SEALED_PREFIX = "tandem-sealed-key/v1:"
_HKDF_INFO = b"tandem-hub ca key v1"


def _sealing_key(secret: bytes, salt: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret))


def _associated_data(hub_id: str, cert: x509.Certificate) -> bytes:
    return b"|".join((SEALED_PREFIX.encode(), hub_id.encode(), cert.fingerprint(hashes.SHA256())))


def seal_ca_key(key: ec.EllipticCurvePrivateKey, secret: bytes, hub_id: str, cert: x509.Certificate) -> str:
    """The text stored in hub_ca.key_pem: prefix, then base64 of salt (16), nonce (12), ciphertext."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = _sealing_key(secret, salt).encrypt(nonce, der, _associated_data(hub_id, cert))
    return SEALED_PREFIX + base64.b64encode(salt + nonce + sealed).decode()


def unseal_ca_key(stored: str, secret: bytes, hub_id: str, cert: x509.Certificate) -> ec.EllipticCurvePrivateKey:
    try:
        raw = base64.b64decode(stored[len(SEALED_PREFIX):], validate=True)
        salt, nonce, sealed = raw[:16], raw[16:28], raw[28:]
        der = _sealing_key(secret, salt).decrypt(nonce, sealed, _associated_data(hub_id, cert))
    except (InvalidTag, ValueError):
        raise SecretKeyError(MSG_WRONG_SECRET) from None
    key = serialization.load_der_private_key(der, password=None)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if not isinstance(key, ec.EllipticCurvePrivateKey) or \
            key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise SecretKeyError(MSG_WRONG_SECRET)
    return key


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
