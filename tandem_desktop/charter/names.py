"""Who a seal's certificate names, read the way the hub writes it (no pyHanko here: cheap to import).

A hub certificate of this release says CN = the counsellor, O = the structure, OU = the device; one of
an earlier release says CN = the device's name (chosen by the device, often the host name) and has no
OU, so its CN must never be shown as a person. Whether any of it is true depends only on who issued the
certificate: the verdict (verdict.py) names people only when the chain to the hub's CA checked out.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

LOCAL_SUBJECT = "Tandem Desktop — poste non enrôlé"  # the CN of a device's own self-signed certificate


@dataclass(frozen=True)
class CertificateNames:
    """The names a certificate carries, as plain text (nothing here says they are true)."""

    common_name: str
    organization: str | None = None
    unit: str | None = None
    issuer: str = ""
    self_signed: bool = False

    @property
    def hub_layout(self) -> bool:
        """CN = counsellor, OU = device: a hub certificate of this release (earlier ones had no OU)."""
        return self.unit is not None

    @property
    def person(self) -> str | None:
        """The counsellor's name, if this certificate is laid out to carry one."""
        return self.common_name if self.hub_layout else None

    @property
    def device(self) -> str | None:
        """The device's name: the OU now, the CN in a hub certificate of an earlier release."""
        return self.unit if self.hub_layout else None

    @property
    def local(self) -> bool:
        """This app's own self-signed certificate of a device never enrolled."""
        return self.self_signed and self.common_name == LOCAL_SUBJECT

    def as_written(self) -> str:
        """« CN, O » as the certificate writes them, for sentences that say they are not vouched for."""
        return ", ".join(part for part in (self.common_name, self.organization) if part)


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def display_name(name: x509.Name) -> str:
    """The CN, else the whole RFC 4514 string (a certificate without CN still shows something)."""
    return _first(name, NameOID.COMMON_NAME) or name.rfc4514_string()


HUB_CA_PREFIX = "Tandem hub CA "  # the CN hub/ca.py gives its CA (kept as is in the certificates)


def issuer_name(name: x509.Name) -> str:
    """Who issued a certificate, in French: « Tandem hub CA 47460405 » reads « Autorité du hub Tandem
    47460405 » (only the display changes; any other issuer is shown as its certificate names it)."""
    shown = display_name(name)
    if shown.startswith(HUB_CA_PREFIX):
        return f"Autorité du hub Tandem {shown[len(HUB_CA_PREFIX):]}".rstrip()
    return shown


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issued by its own key, not merely carrying the same name as its issuer."""
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_names(cert: x509.Certificate) -> CertificateNames:
    return CertificateNames(
        common_name=display_name(cert.subject),
        organization=_first(cert.subject, NameOID.ORGANIZATION_NAME),
        unit=_first(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        issuer=issuer_name(cert.issuer),
        self_signed=is_self_signed(cert),
    )


def subject_names(rfc4514: str | None, *, self_signed: bool = False) -> CertificateNames | None:
    """The names of a subject stored as an RFC 4514 string (the charters table's `sealed_by`)."""
    if not rfc4514:
        return None
    try:
        name = x509.Name.from_rfc4514_string(rfc4514)
    except ValueError:
        return None
    return CertificateNames(common_name=display_name(name), organization=_first(name, NameOID.ORGANIZATION_NAME),
                            unit=_first(name, NameOID.ORGANIZATIONAL_UNIT_NAME), self_signed=self_signed)


def certificate_names_of_pem(pem: str) -> CertificateNames | None:
    try:
        return certificate_names(x509.load_pem_x509_certificate(pem.encode()))
    except ValueError:
        return None
