"""Device credentials: one-time enrollment codes, bearer tokens, and who a request comes from.

Codes and tokens are stored only as SHA-256 digests; a stolen hub database gives no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import Engine, select, update

from ..domain.compact import DEVICE_RE
from ..domain.ids import new_id
from ..domain.validation import control_error
from .ca import CertificateAuthority, issue_device_certificate, parse_csr, to_pem
from .db import counsellors, devices, enroll_codes, structures, utcnow, writing
from .errors import MSG_REVOKED, MSG_UNAUTHORIZED, HubError
from .merge import Actor
from .numbers import DeviceNumbers

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
CODE_LENGTH = 10
MAX_TOKEN = 200
MSG_INVALID_CODE = "Code d’enrôlement inconnu\u00a0: vérifiez-le ou demandez-en un nouveau à l’administrateur."
MSG_CODE_USED = "Ce code d’enrôlement a déjà servi\u00a0: demandez-en un nouveau à l’administrateur."
MSG_CODE_EXPIRED = "Ce code d’enrôlement a expiré\u00a0: demandez-en un nouveau à l’administrateur."


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The code as stored (upper case, without spaces or dashes), or None if it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def authenticate(engine: Engine, token: str | None) -> Actor:
    """The device holding `token`; 401 if none or unknown, 403 `revoked` if revoked. Reads only."""
    if not token or len(token) > MAX_TOKEN:
        raise HubError(401, "unauthorized", MSG_UNAUTHORIZED)
    query = (
        select(devices.c.id, devices.c.structure_id, devices.c.counsellor_id, devices.c.revoked_at,
               devices.c.number, counsellors.c.is_admin)
        .join(counsellors, counsellors.c.id == devices.c.counsellor_id)
        .where(devices.c.token_hash == sha256_hex(token))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise HubError(401, "unauthorized", MSG_UNAUTHORIZED)
    if row.revoked_at is not None:
        raise HubError(403, "revoked", MSG_REVOKED)
    return Actor(row.id, row.structure_id, row.counsellor_id, bool(row.is_admin), row.number)


def enroll(engine: Engine, code: str, device_name: str, csr_pem: str, *, ca: CertificateAuthority,
           stamp_device: str | None = None) -> dict[str, Any]:
    """Trade a one-time code and a CSR for a device id, a token and a certificate (POST /v1/enroll);
    `ca` is the hub's authority, opened at start with the hub's secret key. `stamp_device` (protocol
    5): the id the device stamps its writes with, which gets its device number now.

    Every check comes before the first write, and all writes share one locked transaction: a code
    used twice at the same moment enrolls one device, and a refused enrollment writes nothing.
    """
    normalized = normalize_code(code)
    if normalized is None:
        raise HubError(400, "invalid_code", MSG_INVALID_CODE)
    if (problem := control_error(device_name)) is not None:  # it goes into the database and the certificate
        raise HubError(400, "bad_request", f"Nom d’appareil invalide\u00a0: {problem}")
    if stamp_device is not None and not DEVICE_RE.fullmatch(stamp_device):
        raise HubError(400, "bad_request", "Identifiant d’horodatage de l’appareil invalide.")
    name = " ".join(device_name.split())[:100]  # empty: named after the counsellor and structure below
    csr = parse_csr(csr_pem)
    with writing(engine) as (conn, _):
        row = conn.execute(
            select(enroll_codes.c.id, enroll_codes.c.used_at, enroll_codes.c.expires_at,
                   counsellors.c.id.label("counsellor_id"), counsellors.c.is_admin,
                   counsellors.c.name.label("counsellor_name"),
                   structures.c.id.label("structure_id"), structures.c.name.label("structure_name"))
            .join(counsellors, counsellors.c.id == enroll_codes.c.counsellor_id)
            .join(structures, structures.c.id == counsellors.c.structure_id)
            .where(enroll_codes.c.code_hash == sha256_hex(normalized))
        ).first()
        if row is None:
            raise HubError(400, "invalid_code", MSG_INVALID_CODE)
        if row.used_at is not None:
            raise HubError(409, "code_used", MSG_CODE_USED)
        now = utcnow()
        if now >= row.expires_at:
            raise HubError(409, "code_expired", MSG_CODE_EXPIRED)
        ca_key, ca_cert = ca.key, ca.cert
        device_id, token = new_id(), new_token()
        name = name or default_device_name(row.counsellor_name, row.structure_name)
        cert = issue_device_certificate(ca_key, ca_cert, csr, device_id, name, row.structure_name,
                                        row.counsellor_name)
        number = DeviceNumbers.assign(conn, [stamp_device])[stamp_device] if stamp_device else None
        conn.execute(devices.insert().values(
            id=device_id, name=name, counsellor_id=row.counsellor_id, structure_id=row.structure_id,
            token_hash=sha256_hex(token), certificate_pem=to_pem(cert), cert_serial=format(cert.serial_number, "x"),
            enrolled_at=now, number=number))
        used = conn.execute(update(enroll_codes).where(enroll_codes.c.id == row.id, enroll_codes.c.used_at.is_(None))
                            .values(used_at=now, device_id=device_id))
        if used.rowcount != 1:  # cannot happen under the lock; refuse rather than enroll twice
            raise HubError(409, "code_used", MSG_CODE_USED)
    return {"device_id": device_id, "token": token, "structure_id": row.structure_id,
            "counsellor_id": row.counsellor_id, "is_admin": bool(row.is_admin), "certificate_pem": to_pem(cert),
            "ca_pem": to_pem(ca_cert), "device_name": name, **({"device_number": number} if stamp_device else {})}


def default_device_name(counsellor: str, structure: str) -> str:
    """« Camille Martin – Mission locale de Marseille »: who uses the device, not the machine's host name."""
    return f"{counsellor} \u2013 {structure}"[:100]
