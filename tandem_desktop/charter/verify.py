"""Checking a charter PDF: is it sealed, intact, by whom, and does the seal go back to our hub?

pyHanko does the cryptography (digest over the signed byte ranges, CMS signature, path to a trust
root); this module turns its verdict into a report and plain French sentences. It never raises on a
bad file: whatever is given, the counsellor gets a report with a message.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

NBSP = "\u00a0"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
MSG_INTACT = f"Le sceau est intact{NBSP}: aucun octet n'a changé depuis la signature."
MSG_MODIFIED = "Le document a été modifié après le scellement."
MSG_NO_SEAL = "Aucun sceau numérique dans ce fichier."
MSG_NOT_PDF = f"Fichier illisible{NBSP}: ce n'est pas un PDF."
MSG_DAMAGED = (f"Le sceau ne peut pas être vérifié{NBSP}: le fichier est endommagé ou a été modifié après "
               "le scellement.")
MSG_BROKEN_PDF = "Fichier PDF illisible ou endommagé."
_SEAL_MARKERS = (b"/ByteRange", b"/Adobe.PPKLite", b"/ETSI.CAdES.detached")  # not /FT /Sig: an empty field


@dataclass
class VerifyReport:
    """The verdict on one file; `messages` are the French sentences shown in the dialog and the CLI."""

    sealed: bool = False
    intact: bool = False
    modified_after_seal: bool = False
    signer_subject: str | None = None
    signer_issuer: str | None = None
    chains_to_hub: bool | None = None  # None: no hub CA known on this device to check against
    self_signed: bool | None = None
    signed_at: str | None = None  # ISO 8601, as the signer reported it
    template: str | None = None  # "<id> <version>" from /TandemTemplate
    charter_id: str | None = None  # from /TandemCharter
    sha256: str = ""
    matches_local: bool | None = None  # filled by CharterService.verify
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Sealed and not a byte changed: what `tandem charter verify` exits 0 for."""
        return self.sealed and self.intact and not self.modified_after_seal


@contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs a full traceback for every untrusted chain; our report already says it in French."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _common_name(name: x509.Name) -> str:
    names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else name.rfc4514_string()


def french_datetime(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def _info_value(reader: Any, key: str) -> str | None:
    try:
        value = reader.trailer_view["/Info"].get_object().get(key)
    except Exception:  # a broken /Info must not hide the seal's verdict
        return None
    return None if value is None else str(value)


def verify_pdf(pdf: bytes, *, hub_ca_pem: str | None = None) -> VerifyReport:
    """Check the (last) seal of `pdf`; trust only `hub_ca_pem` (no network, no system trust store)."""
    report = VerifyReport(sha256=hashlib.sha256(pdf).hexdigest())
    if b"%PDF-" not in pdf[:1024]:  # where the PDF standard lets readers look for the header
        report.messages.append(MSG_NOT_PDF)
        return report
    try:
        with _quiet_pyhanko():
            _check(pdf, hub_ca_pem, report)
    except Exception:  # pyHanko and asn1crypto raise many kinds on a damaged file
        if _looks_sealed(pdf):
            _damaged(report)
        else:
            report.messages[:] = [MSG_BROKEN_PDF]
    return report


def _looks_sealed(pdf: bytes) -> bool:
    """Traces of a signature dictionary: one changed byte cannot erase them all."""
    return any(marker in pdf for marker in _SEAL_MARKERS)


def _damaged(report: VerifyReport) -> None:
    report.sealed, report.intact, report.modified_after_seal = True, False, True
    report.messages[:] = [MSG_DAMAGED]


def _check(pdf: bytes, hub_ca_pem: str | None, report: VerifyReport) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf))
    report.template = _info_value(reader, "/TandemTemplate")
    report.charter_id = _info_value(reader, "/TandemCharter")
    signatures = reader.embedded_signatures
    if not signatures:
        if _looks_sealed(pdf):  # a seal is there but no longer readable as one
            _damaged(report)
        else:
            report.messages.append(MSG_NO_SEAL)
        return
    report.sealed = True
    embedded = signatures[-1]  # the last one covers the most: the seal is made last
    roots = [_load_pem(hub_ca_pem)] if hub_ca_pem else []
    context = ValidationContext(trust_roots=[r for r in roots if r is not None], allow_fetching=False)
    status = validate_pdf_signature(embedded, context)
    report.intact = bool(status.intact and status.valid)
    report.modified_after_seal = not report.intact or status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    report.signer_subject = cert.subject.rfc4514_string()
    report.signer_issuer = cert.issuer.rfc4514_string()
    report.self_signed = _is_self_signed(cert)
    report.chains_to_hub = bool(status.trusted) if hub_ca_pem else None
    when = status.signer_reported_dt or embedded.self_reported_timestamp
    report.signed_at = when.isoformat() if when else None
    report.messages.extend(_messages(report, cert, when))


def _load_pem(pem: str) -> Any:
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509

    try:
        _, _, der = asn1_pem.unarmor(pem.encode())
        return asn1_x509.Certificate.load(der)
    except (ValueError, TypeError):
        return None


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _messages(report: VerifyReport, cert: x509.Certificate, when: datetime | None) -> list[str]:
    messages = [MSG_INTACT if not report.modified_after_seal else MSG_MODIFIED]
    if report.intact and report.modified_after_seal:
        messages.append("Le sceau couvre une version antérieure du fichier\u00a0: des données ont été "
                        "ajoutées après lui.")
    signer = _common_name(cert.subject)
    if report.self_signed:
        origin = f"certificat local non enrôlé{NBSP}: l'origine n'est pas garantie par le hub"
    elif report.chains_to_hub:
        origin = "certificat délivré par l'autorité du hub Tandem"
    elif report.chains_to_hub is None:
        origin = (f"certificat délivré par {_common_name(cert.issuer)}{NBSP}; l'autorité du hub n'est pas connue "
                  "sur ce poste, l'origine n'a pas pu être vérifiée")
    else:
        origin = (f"certificat délivré par {_common_name(cert.issuer)}, qui n'est pas l'autorité du hub de ce "
                  f"poste{NBSP}: l'origine n'est pas garantie")
    messages.append(f"Scellé par {signer} ({origin}).")
    if when is not None:
        messages.append(f"Date du sceau{NBSP}: {french_datetime(when)}.")
    if report.template or report.charter_id:
        parts = [f"modèle {report.template}" if report.template else "",
                 f"charte {report.charter_id}" if report.charter_id else ""]
        messages.append(f"Document{NBSP}: {', '.join(p for p in parts if p)}.")
    return messages
