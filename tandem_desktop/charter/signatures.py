"""Every signature a PDF holds, found in every revision of the file and each checked by pyHanko.

pyHanko's `embedded_signatures` lists the signature fields of the *last* revision only, so an
incremental update that drops the seal's field from the form (and signs in a new field of the same
name) would hide the seal from it. Walking every revision's form finds each signature ever made; the
list comes back in the order they appeared, so the first one is the signature over the charter as
rendered. Imported lazily: pyHanko takes a third of a second to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .names import CertificateNames, certificate_names


@dataclass
class SignatureCheck:
    """pyHanko's verdict on one signature, as plain data (it crosses threads and goes to JSON)."""

    field_name: str
    revision: int  # the file revision this signature closes (0 = the first)
    intact: bool = False  # the digest of the signed bytes matches
    valid: bool = False  # the CMS signature over that digest checks out
    trusted: bool | None = None  # the certificate chains to the given root; None: no root given
    covers_whole_file: bool = False
    coverage: str | None = None  # pyHanko's SignatureCoverageLevel name
    modification_level: str | None = None  # pyHanko's ModificationLevel name, from its difference analysis
    docmdp_ok: bool | None = None  # what came after is allowed by the DocMDP policy in force
    docmdp: str | None = None  # the MDPPerm this signature certifies with (None: approval signature)
    certification: bool = False  # a certification (author) signature with a DocMDP transform
    timestamp: bool = False  # a /DocTimeStamp rather than a signature
    signer_subject: str | None = None
    signer_issuer: str | None = None
    names: CertificateNames | None = None
    signed_at: str | None = None  # ISO 8601, as the signer reported it
    unreadable: bool = False  # pyHanko could not even parse or check it


def _trust_root(pem: str | None) -> list[asn1_x509.Certificate]:
    if not pem:
        return []
    try:
        return [asn1_x509.Certificate.load(asn1_pem.unarmor(pem.encode())[2])]
    except (ValueError, TypeError):
        return []


def signatures_in_history(reader: PdfFileReader) -> list[EmbeddedPdfSignature | tuple[str, int]]:
    """Each signature of each revision once, in order of appearance; (name, revision) if unparsable."""
    found: dict[Any, EmbeddedPdfSignature | tuple[str, int]] = {}
    for revision in range(reader.xrefs.total_revisions):
        try:
            fields = list(enumerate_sig_fields(reader.get_historical_resolver(revision), filled_status=True))
        except Exception:  # a revision with a broken form: the later ones are still looked at
            continue
        for fq_name, _, field in fields:
            try:
                embedded = EmbeddedPdfSignature(reader, field, fq_name)
                key: Any = tuple(int(value) for value in embedded.byte_range)
            except Exception:  # not a signature pyHanko can read: counted, reported as unreadable
                found.setdefault(("unreadable", fq_name, revision), (fq_name, revision))
                continue
            found.setdefault(key, embedded)
    return list(found.values())


def check_signature(embedded: EmbeddedPdfSignature | tuple[str, int], trust_pem: str | None) -> SignatureCheck:
    """Validate one signature with pyHanko (difference analysis included); never raises."""
    if isinstance(embedded, tuple):
        return SignatureCheck(field_name=embedded[0], revision=embedded[1], unreadable=True)
    check = SignatureCheck(field_name=str(embedded.field_name), revision=int(embedded.signed_revision))
    try:
        context = ValidationContext(trust_roots=_trust_root(trust_pem), allow_fetching=False)
        check.timestamp = embedded.sig_object_type == "/DocTimeStamp"
        if check.timestamp:
            status: Any = validate_pdf_timestamp(embedded, context)
        else:
            status = validate_pdf_signature(embedded, context)
    except Exception:  # an algorithm or structure pyHanko refuses: not a valid signature
        check.unreadable = True
        return check
    check.intact, check.valid = bool(status.intact), bool(status.valid)
    check.trusted = bool(status.trusted) if trust_pem else None
    check.coverage = status.coverage.name if status.coverage is not None else None
    check.covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    check.modification_level = level.name if level is not None else None
    check.docmdp_ok = status.docmdp_ok
    _read_docmdp(embedded, check)
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    check.signer_subject, check.signer_issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    check.names = certificate_names(cert)
    when = getattr(status, "signer_reported_dt", None) or getattr(status, "timestamp", None) \
        or embedded.self_reported_timestamp
    check.signed_at = when.isoformat() if when else None
    return check


def _read_docmdp(embedded: EmbeddedPdfSignature, check: SignatureCheck) -> None:
    """A certification signature carries a /Reference with the DocMDP transform and its permission."""
    try:
        references = embedded.sig_object.get("/Reference") or []
        check.certification = any(ref.get_object().get("/TransformMethod") == "/DocMDP" for ref in references)
        level = embedded.docmdp_level
    except Exception:  # a malformed /Reference: not a certification we can vouch for
        check.certification, level = False, None
    check.docmdp = level.name if level is not None and check.certification else None


def check_all(reader: PdfFileReader, trust_pem: str | None) -> list[SignatureCheck]:
    """Every signature of the file, checked, earliest revision first (the seal, on a charter)."""
    checks = [check_signature(embedded, trust_pem) for embedded in signatures_in_history(reader)]
    return sorted(checks, key=lambda check: check.revision)  # stable: ties keep their order of appearance
