"""The hub's check of a sealed charter's PDF when it has arrived whole (blobs.py).

The file must be what charter/verify.py calls sealed and unchanged (the seal intact and covering every
byte), name the charter it was announced as (/TandemCharter, /TandemNumber), and be sealed either by a
certificate this hub issued to a device of the charter's structure (seal « hub ») or by a device's own
self-signed certificate, announced as such (seal « local »). A charter re-rendered and sealed with any
other key, or changed after its seal, is refused: the hub never vouches for it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Connection, select

from ..texts.french import NBSP
from .db import devices

MSG_NOT_SEALED = f"Le PDF reçu n’est pas une charte scellée intacte{NBSP}: il a été modifié, ou n’est pas scellé."
MSG_OTHER_CHARTER = f"Le PDF reçu est celui d’une autre charte (identifiant ou numéro différent){NBSP}: refusé."
MSG_UNKNOWN_SIGNER = (f"Le sceau de ce PDF n’est ni celui d’un appareil de la structure délivré par ce hub, ni un "
                      f"sceau local annoncé comme tel{NBSP}: refusé.")


@dataclass(frozen=True)
class SealFacts:
    """What the PDF itself says about its seal."""

    sound: bool  # sealed, intact, nothing after the seal
    charter_id: str | None
    number: str | None
    chains_to_hub: bool
    self_signed: bool
    sealed_at: datetime | None  # UTC, naive
    cert_serial: str | None  # hex, as devices.cert_serial
    cert_sha256: str | None
    cert_der: bytes | None


def read_seal(pdf: bytes, hub_ca_pem: str) -> SealFacts:
    """verify_pdf's verdict (charter/verify.py) and the seal's certificate; never raises."""
    from ..charter.verify import verify_pdf

    report = verify_pdf(pdf, hub_ca_pem=hub_ca_pem)
    der = _seal_certificate(pdf) if report.sealed else None
    serial = digest = None
    if der is not None:
        serial = format(x509.load_der_x509_certificate(der).serial_number, "x")
        digest = hashlib.sha256(der).hexdigest()
    return SealFacts(sound=report.sealed and report.intact and not report.modified_after_seal and der is not None,
                     charter_id=report.charter_id, number=report.number, chains_to_hub=report.chains_to_hub is True,
                     self_signed=report.self_signed is True, sealed_at=_utc(report.signed_at), cert_serial=serial,
                     cert_sha256=digest, cert_der=der)


def _seal_certificate(pdf: bytes) -> bytes | None:
    """The DER of the certificate of the file's first signature (the seal, as charter/verify.py takes it)."""
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        from ..charter.signatures import signatures_in_history

        found = signatures_in_history(PdfFileReader(io.BytesIO(pdf)))
        if not found:
            return None
        first: Any = sorted(found, key=lambda e: e[1] if isinstance(e, tuple) else int(e.signed_revision))[0]
        if isinstance(first, tuple):
            return None
        return bytes(first.signer_cert.dump())
    except Exception:  # a damaged file: verify_pdf has already said it is not sound
        return None


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def judge(conn: Connection, facts: SealFacts, charter: Any) -> tuple[str | None, str]:
    """(« hub » | « local », "") when `facts` vouch for `charter` (a charters row), else (None, why)."""
    if not facts.sound:
        return None, MSG_NOT_SEALED
    if facts.charter_id != charter.id or facts.number != charter.number:
        return None, MSG_OTHER_CHARTER
    if facts.chains_to_hub and not facts.self_signed and charter.self_signed is not True:
        stored = conn.execute(select(devices.c.certificate_pem).where(
            devices.c.cert_serial == facts.cert_serial,
            devices.c.structure_id == charter.owner_structure_id)).scalars().all()
        for pem in stored:
            try:
                der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
            except ValueError:
                continue
            if der == facts.cert_der:
                return "hub", ""
        return None, MSG_UNKNOWN_SIGNER
    if facts.self_signed and not facts.chains_to_hub and charter.self_signed is True:
        return "local", ""
    return None, MSG_UNKNOWN_SIGNER
