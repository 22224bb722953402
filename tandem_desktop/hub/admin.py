"""Administration of the hub as plain functions: the `tandem-hub` command and every test call these.

Structures and counsellors added here also become synced records (kinds `structure` and
`counsellor`, shared by all devices), so a device can show the name behind every structure id.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..domain.errors import ValidationError
from ..domain.ids import is_record_id, new_id
from ..domain.kinds import STRUCTURE
from ..domain.records import clean
from ..domain.validation import InvalidValue, control_error, normalize_email
from ..reference import check_place, load_reference
from ..texts.french import NBSP
from .auth import new_code, sha256_hex
from .db import counsellors, devices, enroll_codes, erasures, make_engine, structures, upgrade, utcnow, writing
from .errors import AdminError
from .ledger import HUB_DEVICE, Ledger, hub_stamp, save_records
from .merge import RecordState


def connect(db_url: str) -> Engine:
    """An engine on the hub database, migrated to the current schema."""
    engine = make_engine(db_url)
    upgrade(engine)
    return engine


def _clean_name(name: str, what: str, limit: int) -> str:
    """The name as devices will store it: the domain's rule for one-line texts (no control character)."""
    if (problem := control_error(str(name))) is not None:
        raise AdminError(f"{what}{NBSP}: {problem}")
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise AdminError(f"{what}{NBSP}: ce champ est obligatoire.")
    if len(cleaned) > limit:
        raise AdminError(f"{what}{NBSP}: {limit} caractères au plus.")
    return cleaned


def _publish(conn: Connection, last_seq: int, kind: str, record_id: str, fields: dict[str, Any]) -> None:
    """Write a shared record made by the hub and its feed entry."""
    ledger = Ledger(conn, last_seq)
    version = hub_stamp()
    record = RecordState(record_id, kind, None, is_new=True)
    for name, value in fields.items():
        if value is None:
            continue
        record.fields[name] = value
        record.versions[name] = version
        record.writers[name] = HUB_DEVICE
        ledger.field(record, name, value, version)
    ledger.records()
    save_records(conn, [record], ledger.seq)
    ledger.flush()


def structure_fields(name: str, kind: str = "autre", commune: str | None = None, postal_code: str | None = None,
                     email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """The structure record as devices will store it, checked by the domain's rules (the charter prints
    its type, commune and e-mail); AdminError lists every problem, in French."""
    cleaned = _clean_name(name, "Nom de la structure", 120)
    raw = {"name": cleaned, "type": kind, "commune": commune, "postal_code": postal_code, "email": email,
           "phone": phone}
    reference = load_reference()
    try:
        fields = clean(STRUCTURE, {k: v for k, v in raw.items() if v is not None}, today=date.today(),
                       places=lambda commune, postal: check_place(reference, commune, postal))
    except ValidationError as exc:
        labels = STRUCTURE.by_name
        raise AdminError(" ".join(f"{labels[k].label if k in labels else k}{NBSP}: {v}"
                                  for k, v in exc.errors.items())) from None
    return fields


def add_structure(engine: Engine, name: str, **details: str | None) -> str:
    """`details`: kind (a STRUCTURE_TYPES code), commune, postal_code, email, phone."""
    fields = structure_fields(name, **details)
    structure_id = new_id()
    with writing(engine) as (conn, last_seq):
        conn.execute(structures.insert().values(id=structure_id, name=fields["name"], created_at=utcnow()))
        _publish(conn, last_seq, "structure", structure_id, fields)
    return structure_id


def add_counsellor(engine: Engine, structure_id: str, name: str, email: str, admin: bool = False) -> str:
    cleaned = _clean_name(name, "Nom du conseiller", 160)
    try:
        address = normalize_email(email)
    except InvalidValue as exc:
        raise AdminError(str(exc)) from None
    counsellor_id = new_id()
    with writing(engine) as (conn, last_seq):
        if not is_record_id(structure_id) or conn.execute(
                select(structures.c.id).where(structures.c.id == structure_id)).first() is None:
            raise AdminError(f"Structure inconnue{NBSP}: « {structure_id} ».")
        conn.execute(counsellors.insert().values(id=counsellor_id, structure_id=structure_id, name=cleaned,
                                                 email=address, is_admin=bool(admin), created_at=utcnow()))
        first, _, last = cleaned.partition(" ")
        _publish(conn, last_seq, "counsellor", counsellor_id, {
            "first_name": first[:80] if last else None, "last_name": (last or first)[:80], "email": address,
            "structure_id": structure_id})
    return counsellor_id


def make_enroll_code(engine: Engine, counsellor_id: str, valid_hours: float = 72) -> str:
    """A one-time code for one device of this counsellor; only its digest is stored."""
    if valid_hours < 0:
        raise AdminError("La durée de validité ne peut pas être négative.")
    code = new_code()
    now = utcnow()
    with writing(engine) as (conn, _):
        if not is_record_id(counsellor_id) or conn.execute(
                select(counsellors.c.id).where(counsellors.c.id == counsellor_id)).first() is None:
            raise AdminError(f"Conseiller inconnu{NBSP}: « {counsellor_id} ».")
        conn.execute(enroll_codes.insert().values(
            id=new_id(), code_hash=sha256_hex(code), counsellor_id=counsellor_id, created_at=now,
            expires_at=now + timedelta(hours=valid_hours)))
    return code


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def list_devices(engine: Engine) -> list[dict[str, Any]]:
    query = (
        select(devices.c.id, devices.c.name, devices.c.structure_id, structures.c.name.label("structure_name"),
               devices.c.counsellor_id, counsellors.c.name.label("counsellor_name"), counsellors.c.is_admin,
               devices.c.cert_serial, devices.c.enrolled_at, devices.c.last_seen_at, devices.c.revoked_at)
        .join(counsellors, counsellors.c.id == devices.c.counsellor_id)
        .join(structures, structures.c.id == devices.c.structure_id)
        .order_by(devices.c.enrolled_at, devices.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "is_admin": bool(row["is_admin"]), "enrolled_at": _iso(row["enrolled_at"]),
             "last_seen_at": _iso(row["last_seen_at"]), "revoked_at": _iso(row["revoked_at"]),
             "revoked": row["revoked_at"] is not None} for row in rows]


def list_erasures(engine: Engine) -> list[dict[str, Any]]:
    """The persons erased (hub/erasure.py), newest first: ids, reasons and dates, nothing personal."""
    with engine.connect() as conn:
        rows = conn.execute(select(erasures).order_by(erasures.c.at.desc(), erasures.c.record_id)).mappings().all()
    return [{**row, "at": _iso(row["at"])} for row in rows]


def list_structures(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(structures.c.id, structures.c.name).order_by(structures.c.name)).mappings()
        return [dict(row) for row in rows]


def list_counsellors(engine: Engine) -> list[dict[str, Any]]:
    query = select(counsellors.c.id, counsellors.c.name, counsellors.c.email, counsellors.c.structure_id,
                   counsellors.c.is_admin).order_by(counsellors.c.name)
    with engine.connect() as conn:
        return [{**row, "is_admin": bool(row["is_admin"])} for row in conn.execute(query).mappings()]


def revoke_device(engine: Engine, device_id: str) -> None:
    """Every later request of this device gets 403 `revoked`; revoking twice changes nothing."""
    with writing(engine) as (conn, _):
        row = conn.execute(select(devices.c.revoked_at).where(devices.c.id == device_id)).first()
        if row is None:
            raise AdminError(f"Appareil inconnu{NBSP}: « {device_id} ».")
        if row.revoked_at is None:
            conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=utcnow()))
