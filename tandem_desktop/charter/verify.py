"""Checking a charter PDF: is it sealed, has anything changed since, by whom, and under which authority?

The rule (one, strict): a charter verifies only if its Tandem seal — the first signature of the file,
in field « Sceau », over the charter as rendered — is intact and valid AND covers every byte of the
file. Anything after the seal (an incremental update, signed or not, by anyone, even bytes with no
xref) is « modifié après le scellement »: Tandem never adds to a sealed charter, and the seal permits
no change (DocMDP), so there is no legitimate later revision to tell apart from a forged one, and no
heuristic difference analysis to trust. Every signature of every revision is still checked and
reported (signer, intact, trusted), so the counsellor sees what was added and by whom.

pyHanko does the cryptography (signatures.py); verdict.py turns the report into French. Never
raises on a bad file: whatever is given, the counsellor gets a report with a message.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import verdict
from .verdict import (  # noqa: F401  (re-exported: the messages' historical home)
    MSG_BROKEN_PDF,
    MSG_DAMAGED,
    MSG_INTACT,
    MSG_LOCAL,
    MSG_MODIFIED,
    MSG_NO_SEAL,
    MSG_NOT_PDF,
    NBSP,
    french_datetime,
)

if TYPE_CHECKING:
    from .signatures import SignatureCheck

SEAL_FIELD = "Sceau"  # = seal.SEAL_FIELD (a test checks), without importing pyHanko here
_SEAL_MARKERS = (b"/ByteRange", b"/Adobe.PPKLite", b"/ETSI.CAdES.detached")  # not /FT /Sig: an empty field


@dataclass
class VerifyReport:
    """The verdict on one file; `messages` are the French sentences shown in the dialog and the CLI."""

    sealed: bool = False  # the file holds a Tandem seal (first signature, field « Sceau »)
    intact: bool = False  # the seal's signed bytes and signature check out
    modified_after_seal: bool = False  # not intact, or anything at all after the seal
    signer_subject: str | None = None
    signer_issuer: str | None = None
    # Filled only when the seal's certificate chains to this device's hub CA (None otherwise):
    signer_name: str | None = None  # the counsellor (None in a hub certificate of an earlier release)
    signer_organization: str | None = None  # the structure
    signer_device: str | None = None  # the device's name (OU; the CN of an earlier hub certificate)
    chains_to_hub: bool | None = None  # None: no hub CA known on this device to check against
    self_signed: bool | None = None
    certification: bool | None = None  # a DocMDP certification seal; False: an approval seal of an earlier release
    signed_at: str | None = None  # ISO 8601, as the signer reported it
    revisions: int = 0  # of the whole file
    revisions_after_seal: int = 0
    template: str | None = None  # "<id> <version>" from /TandemTemplate
    charter_id: str | None = None  # from /TandemCharter
    number: str | None = None  # the number printed on every page, « K7Q4-9XPM » (/TandemNumber; 2026.2 on)
    sha256: str = ""
    matches_local: bool | None = None  # filled by CharterService.verify
    signatures: list[SignatureCheck] = field(default_factory=list)  # every one, seal first
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Sealed and nothing changed since: what `tandem charter verify` exits 0 for."""
        return self.sealed and self.intact and not self.modified_after_seal

    @property
    def later_signatures(self) -> list[SignatureCheck]:
        """The signatures other than the seal (on a genuine charter: none)."""
        return self.signatures[1:] if self.sealed else list(self.signatures)


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


def _info_value(reader: Any, key: str) -> str | None:
    try:
        value = reader.trailer_view["/Info"].get_object().get(key)
    except Exception:  # a broken /Info must not hide the seal's verdict
        return None
    return None if value is None else str(value)


def verify_pdf(pdf: bytes, *, hub_ca_pem: str | None = None) -> VerifyReport:
    """Check `pdf` against the rule above; trust only `hub_ca_pem` (no network, no system trust store)."""
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

    from .signatures import check_all

    reader = PdfFileReader(io.BytesIO(pdf))
    report.template = _info_value(reader, "/TandemTemplate")
    report.charter_id = _info_value(reader, "/TandemCharter")
    report.number = _info_value(reader, "/TandemNumber")
    report.revisions = reader.xrefs.total_revisions
    report.signatures = check_all(reader, hub_ca_pem)
    if not report.signatures:
        if _looks_sealed(pdf):  # a seal is there but no longer readable as one
            _damaged(report)
        else:
            report.messages.append(MSG_NO_SEAL)
        return
    seal = report.signatures[0]  # the earliest: the one over the charter as rendered
    if seal.field_name != SEAL_FIELD:  # signed, but not by Tandem: nothing of ours to vouch for
        report.messages.extend(verdict.messages(report))
        return
    report.sealed = True
    if seal.unreadable:
        _damaged(report)
        return
    _fill_from_seal(report, seal, hub_ca_pem)
    report.messages.extend(verdict.messages(report))


def _fill_from_seal(report: VerifyReport, seal: SignatureCheck, hub_ca_pem: str | None) -> None:
    report.intact = seal.intact and seal.valid
    report.modified_after_seal = not (report.intact and seal.covers_whole_file)
    report.revisions_after_seal = max(0, report.revisions - 1 - seal.revision)
    report.signer_subject, report.signer_issuer = seal.signer_subject, seal.signer_issuer
    names = seal.names
    report.self_signed = names.self_signed if names else None
    vouched = report.intact and hub_ca_pem  # a broken signature proves nothing about its certificate
    report.chains_to_hub = (bool(seal.trusted) and not report.self_signed) if vouched else None
    if names is not None and report.chains_to_hub:  # names only as the hub certified them
        report.signer_organization = names.organization
        report.signer_name = names.person
        report.signer_device = names.device if names.hub_layout else names.common_name
    report.certification = seal.certification
    report.signed_at = seal.signed_at
