"""Signed charters at the hub (PROTOCOL.md, "Charters and attachments"): announced by a device, kept
under the owner structure of their tandem, served by a feed of their own, looked up by their number.

A charter is never replaced: the same id with the same content is applied again, anything else is
refused. Its row takes a seq from the hub's one sequence (hub_state.last_seq, under the write lock),
renewed when one of its files completes (blobs.py), so a device's charter cursor is a high-water mark
like its record cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select, update

from ..domain.erasure import ERASED
from ..texts.french import NBSP
from .charter_checks import CHUNK_SIZE, Announced, CharterRefused, announced
from .db import (
    blob_chunks,
    blobs,
    charters,
    devices,
    dumps,
    hub_state,
    last_seq,
    loads,
    records,
    structures,
    utcnow,
    writing,
)
from .errors import bad_request
from .merge import DELETED, Actor
from .pull import MSG_CURSOR

MAX_FEED = 500
IDLE = timedelta(days=7)  # an incomplete upload slot untouched this long no longer counts in the quota
FORGOTTEN = timedelta(days=30)  # ...and this long, its chunks are dropped
MSG_UNKNOWN_TANDEM = (f"Tandem inconnu du hub{NBSP}: la charte sera renvoyée quand la fiche du tandem y sera "
                      "arrivée.")
MSG_FORBIDDEN = f"Ce tandem relève d’une autre structure{NBSP}: charte refusée."
MSG_NOT_TANDEM = f"Charte invalide{NBSP}: «{NBSP}tandem_id{NBSP}» ne désigne pas un tandem."
MSG_DELETED = f"Ce tandem a été supprimé{NBSP}: sa charte n’est pas gardée par le hub."
MSG_ERASED = (f"Ce tandem concerne une personne effacée{NBSP}: sa charte n’est pas gardée par le hub et doit être "
              "supprimée des appareils.")
MSG_EXISTS = (f"Une autre charte de la structure porte déjà cet identifiant au hub{NBSP}: une charte n’est "
              "jamais remplacée (un nouveau scellement est une nouvelle charte).")
MSG_NUMBER_TAKEN = (f"Une autre charte de la structure porte déjà ce numéro au hub{NBSP}: vérifiez le numéro imprimé "
                    "sur l’exemplaire signé.")
MSG_QUOTA = (f"L’espace des chartes de la structure au hub est plein ({{quota}}{NBSP}Mio){NBSP}: la charte reste "
             "sur le poste et sera renvoyée quand l’administrateur du hub l’aura agrandi.")
MSG_SIZE = (f"Un fichier de même empreinte SHA-256 est déjà au hub (ou annoncé par cet appareil) avec une autre "
            f"taille{NBSP}: charte refusée.")


def iso(moment: datetime | None) -> str | None:
    """A UTC time of the hub as the protocol writes it."""
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def announce(engine: Engine, actor: Actor, items: list[dict[str, Any]], quota_mb: int | None = None) -> dict[str, Any]:
    """POST /v1/charters: one result per charter, in order; the new rows in one locked transaction.
    `quota_mb` bounds the files a structure keeps here (what one device may make the hub hold)."""
    checked: list[Announced | CharterRefused] = []
    for item in items:
        try:
            checked.append(announced(item))
        except CharterRefused as refusal:
            checked.append(refusal)
    results: list[dict[str, Any]] = []
    with writing(engine) as (conn, last):
        seq = last
        for item, charter in zip(items, checked, strict=True):
            try:
                if isinstance(charter, CharterRefused):
                    raise charter
                if _take(conn, actor, charter, seq + 1, quota_mb):
                    seq += 1
                results.append({"id": item["id"], "status": "applied"})
            except CharterRefused as refusal:
                results.append({"id": item["id"], "status": "refused", "code": refusal.code,
                                "message": refusal.message, "retry": refusal.retry})
        if seq != last:
            conn.execute(update(hub_state).where(hub_state.c.id == 1).values(last_seq=seq))
    return {"results": results}


def _take(conn: Connection, actor: Actor, charter: Announced, seq: int, quota_mb: int | None = None) -> bool:
    """Store `charter` under `seq`; False when the very same charter is already there."""
    owner = _tandem_owner(conn, actor, charter.tandem_id)
    mine = and_(charters.c.owner_structure_id == owner)  # ids and numbers are the structure's own
    row = conn.execute(select(charters).where(mine, charters.c.id == charter.id)).first()
    if row is not None:
        if _content(row) == charter.content():
            open_slots(conn, actor, owner, charter.attachments, quota_mb)  # a device enrolled again sends too
            return False
        raise CharterRefused("charter_exists", MSG_EXISTS)
    if conn.execute(select(charters.c.id).where(mine, charters.c.number == charter.number)).first() is not None:
        raise CharterRefused("number_taken", MSG_NUMBER_TAKEN)
    open_slots(conn, actor, owner, charter.attachments, quota_mb)
    conn.execute(charters.insert().values(
        id=charter.id, tandem_id=charter.tandem_id, owner_structure_id=owner, number=charter.number,
        mode=charter.mode, template=charter.template, signed_on=charter.signed_on,
        signed_place=charter.signed_place, created_at=charter.created_at, self_signed=charter.self_signed,
        device_id=actor.device_id, received_at=utcnow(), seq=seq, attachments=dumps(list(charter.attachments))))
    return True


def open_slots(conn: Connection, actor: Actor, owner: str, attachments: Iterable[dict[str, Any]],
               quota_mb: int | None) -> None:
    """An upload slot of this device for each file not at the hub yet (blobs.py): only it sends there."""
    wanted: dict[str, int] = {}
    for attachment in attachments:
        sha, size = attachment["sha256"], attachment["size"]
        slots = conn.execute(select(blobs.c.device_id, blobs.c.size, blobs.c.complete).where(
            blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha)).all()
        done = [slot for slot in slots if slot.complete]
        mine = [slot for slot in slots if slot.device_id == actor.device_id]
        if any(slot.size != size for slot in done + mine):  # the file at the hub, or this device's own claim
            raise CharterRefused("invalid_value", MSG_SIZE)
        if not done and not mine:
            wanted[sha] = size
        elif mine and not done:  # the device announces again: it is alive, its slot counts again
            conn.execute(update(blobs).where(blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha,
                                             blobs.c.device_id == actor.device_id).values(touched_at=utcnow()))
    if not wanted:
        return
    now = utcnow()
    forget_idle_slots(conn, owner, now)
    if quota_mb is not None:
        counted = counted_files(conn, owner, now)
        fresh = {sha: size for sha, size in wanted.items() if sha not in counted}
        if sum(counted.values()) + sum(fresh.values()) > quota_mb * 1024 * 1024:
            raise CharterRefused("quota_exceeded", MSG_QUOTA.format(quota=quota_mb), retry=True)
    for sha, size in wanted.items():
        conn.execute(blobs.insert().values(owner_structure_id=owner, sha256=sha, device_id=actor.device_id,
                                           size=size, chunk_size=CHUNK_SIZE, complete=False, completed_at=None,
                                           touched_at=now))


def counted_files(conn: Connection, owner: str, now: datetime) -> dict[str, int]:
    """What a structure's quota counts, each file once: the files at the hub, the uploads holding
    chunks, and those announced or sent to in the last IDLE (a dead upload stops counting)."""
    with_chunks = set(conn.execute(select(blob_chunks.c.sha256, blob_chunks.c.device_id)
                                   .where(blob_chunks.c.owner_structure_id == owner)
                                   .group_by(blob_chunks.c.sha256, blob_chunks.c.device_id)).all())
    counted: dict[str, int] = {}
    for row in conn.execute(select(blobs.c.sha256, blobs.c.device_id, blobs.c.size, blobs.c.complete,
                                   blobs.c.touched_at).where(blobs.c.owner_structure_id == owner)):
        if row.complete or row.touched_at > now - IDLE or (row.sha256, row.device_id) in with_chunks:
            counted[row.sha256] = max(counted.get(row.sha256, 0), row.size)
    return counted


def over_quota(conn: Connection, owner: str, sha256: str, size: int, quota_mb: int) -> bool:
    """Whether one more file of `size` would pass the structure's quota (a slot's first chunk)."""
    counted = counted_files(conn, owner, utcnow())
    counted[sha256] = max(counted.get(sha256, 0), size)
    return sum(counted.values()) > quota_mb * 1024 * 1024


def forget_idle_slots(conn: Connection, owner: str, now: datetime) -> None:
    """Empty the upload slots nobody sent to for FORGOTTEN (a laptop lost mid-upload): their chunks go,
    the slot stays, so that device resumes from the start if it ever comes back. A slot idle for IDLE
    no longer counts in the quota: a structure's dead uploads never stop its new charters."""
    stale = conn.execute(select(blobs.c.sha256, blobs.c.device_id).where(
        blobs.c.owner_structure_id == owner, blobs.c.complete.is_(False),
        blobs.c.touched_at < now - FORGOTTEN).limit(100)).all()
    for sha, device in stale:
        conn.execute(delete(blob_chunks).where(blob_chunks.c.owner_structure_id == owner,
                                               blob_chunks.c.sha256 == sha, blob_chunks.c.device_id == device))


def _tandem_owner(conn: Connection, actor: Actor, tandem_id: str) -> str:
    """The owner structure of a tandem the actor may hold a charter of (CharterRefused otherwise)."""
    row = conn.execute(select(records.c.kind, records.c.owner_structure_id, records.c.deleted, records.c.fields)
                       .where(records.c.record_id == tandem_id)).first()
    if row is None:
        raise CharterRefused("unknown_tandem", MSG_UNKNOWN_TANDEM, retry=True)
    if row.kind != "tandem" or row.owner_structure_id is None:
        raise CharterRefused("invalid_value", MSG_NOT_TANDEM)
    if not actor.may_see(row.owner_structure_id):
        raise CharterRefused("forbidden", MSG_FORBIDDEN)
    fields = loads(row.fields)
    if fields.get(ERASED):
        raise CharterRefused("erased", MSG_ERASED)
    if row.deleted or fields.get(DELETED):
        raise CharterRefused("invalid_value", MSG_DELETED)
    return row.owner_structure_id


def _content(row: Any) -> dict[str, Any]:
    return {"tandem_id": row.tandem_id, "number": row.number, "mode": row.mode, "template": row.template,
            "signed_on": row.signed_on, "signed_place": row.signed_place, "created_at": row.created_at,
            "self_signed": None if row.self_signed is None else bool(row.self_signed),
            "attachments": loads(row.attachments)}


# -- the charter feed -------------------------------------------------------------------------------------


def parse_feed_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_FEED
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_FEED):
        raise bad_request(f"Paramètre «{NBSP}limit{NBSP}» invalide{NBSP}: un entier de 1 à {MAX_FEED}.")
    return int(raw)


def feed_page(engine: Engine, actor: Actor, cursor: int, limit: int) -> dict[str, Any]:
    """GET /v1/charters: the charters after `cursor` in the device's scope, in seq order. The last seq
    is read first and bounds the page, as a pull's (pull.py): a device with nothing new still moves on."""
    with engine.connect() as conn:
        last = last_seq(conn)
        if cursor > last:
            raise bad_request(MSG_CURSOR)
        query = select(charters).where(charters.c.seq > cursor, charters.c.seq <= last)
        if not actor.is_admin:
            query = query.where(charters.c.owner_structure_id == actor.structure_id)
        rows = conn.execute(query.order_by(charters.c.seq).limit(limit + 1)).all()
        page = rows[:limit]
        files = blob_states(conn, [(row.owner_structure_id, a["sha256"]) for row in page
                                   for a in loads(row.attachments)])
    more = len(rows) > limit
    return {"charters": [feed_entry(row, files) for row in page],
            "cursor": page[-1].seq if more else last, "more": more}


def blob_states(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime | None]:
    """(owner, sha256) -> when the blob completed (None: not yet), for the blobs that exist."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], datetime | None] = {}
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        owners = sorted({owner for owner, _ in chunk})
        shas = sorted({sha for _, sha in chunk})
        query = select(blobs.c.owner_structure_id, blobs.c.sha256, blobs.c.complete, blobs.c.completed_at).where(
            blobs.c.owner_structure_id.in_(owners), blobs.c.sha256.in_(shas))
        for row in conn.execute(query):  # one slot or several: the file is at the hub once one is complete
            key = (row.owner_structure_id, row.sha256)
            if row.complete or key not in found:
                found[key] = row.completed_at if row.complete else found.get(key)
    return found


def feed_entry(row: Any, files: dict[tuple[str, str], datetime | None]) -> dict[str, Any]:
    """A charter as announced, with where it is at the hub."""
    attachments = []
    for attachment in loads(row.attachments):
        at = files.get((row.owner_structure_id, attachment["sha256"]))
        attachments.append({**attachment, "at_hub": at is not None, "at": iso(at)})
    return {"id": row.id, **_content(row), "attachments": attachments, "seq": row.seq,
            "structure_id": row.owner_structure_id, "device_id": row.device_id, "received_at": iso(row.received_at)}


def naming(conn: Connection, owner: str, sha256: str) -> list[Any]:
    """The charter rows of `owner` that name the blob `sha256` (the LIKE finds candidates, the JSON decides)."""
    rows = conn.execute(select(charters).where(charters.c.owner_structure_id == owner,
                                               charters.c.attachments.like(f"%{sha256}%"))).all()
    return [row for row in rows if any(a["sha256"] == sha256 for a in loads(row.attachments))]


def renumber(conn: Connection, owner: str, charter_ids: Iterable[str], last: int) -> int:
    """Give these charters of `owner` new seqs after `last` (a file of theirs arrived); the new last seq."""
    seq = last
    for charter_id in sorted(set(charter_ids)):
        seq += 1
        conn.execute(update(charters).where(charters.c.owner_structure_id == owner, charters.c.id == charter_id)
                     .values(seq=seq))
    if seq != last:
        conn.execute(update(hub_state).where(hub_state.c.id == 1).values(last_seq=seq))
    return seq


def forget_tandems(conn: Connection, tandem_ids: Iterable[str]) -> int:
    """Erasure (erasure.py): delete the charters of these tandems, and the blobs (with their chunks) that
    no remaining charter of the same structure names. The number of charters deleted."""
    ids = sorted(set(tandem_ids))
    gone: list[Any] = []
    for start in range(0, len(ids), 500):
        gone += conn.execute(select(charters.c.id, charters.c.owner_structure_id, charters.c.attachments)
                             .where(charters.c.tandem_id.in_(ids[start:start + 500]))).all()
    if not gone:
        return 0
    for start in range(0, len(ids), 500):
        conn.execute(delete(charters).where(charters.c.tandem_id.in_(ids[start:start + 500])))
    for owner, sha in sorted({(row.owner_structure_id, a["sha256"]) for row in gone for a in loads(row.attachments)}):
        if naming(conn, owner, sha):
            continue
        where = and_(blob_chunks.c.owner_structure_id == owner, blob_chunks.c.sha256 == sha)
        conn.execute(delete(blob_chunks).where(where))
        conn.execute(delete(blobs).where(blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha))
    return len(gone)


# -- verification by the number on the paper --------------------------------------------------------------


def lookup(engine: Engine, number: str) -> dict[str, Any]:
    """GET /v1/charters/verify/{number}: what the hub knows of the charter, nothing personal (no person's
    name, no device name: a hub certificate names the counsellor, so it is given by serial and digest)."""
    with engine.connect() as conn:
        rows = conn.execute(select(charters, structures.c.name.label("structure_name"))
                            .join(structures, structures.c.id == charters.c.owner_structure_id, isouter=True)
                            .where(charters.c.number == number).order_by(charters.c.received_at)).all()
        files = blob_states(conn, [(row.owner_structure_id, a["sha256"]) for row in rows
                                   for a in loads(row.attachments)])
        found = []
        for row in rows:
            revoked_at = None
            if row.seal == "hub" and row.cert_serial:
                revoked_at = conn.execute(select(devices.c.revoked_at).where(
                    devices.c.cert_serial == row.cert_serial,
                    devices.c.structure_id == row.owner_structure_id)).scalar()
            found.append(_verified(row, files, revoked_at))
    # Numbers are a structure's own: another structure may hold the same one (typed from a paper, or
    # taken on purpose). What the hub checked comes first: a seal it verified, then a file it holds.
    found.sort(key=lambda c: {"hub": 0, "local": 1}.get(c["seal"] or "", 2))  # stable: then the first announced
    return {"number": number, "found": bool(found), "charters": found}


def _verified(row: Any, files: dict[tuple[str, str], datetime | None], revoked_at: datetime | None) -> dict[str, Any]:
    attachments = {a["role"]: a for a in loads(row.attachments)}
    pdf, scan = attachments["pdf"], attachments.get("scan")
    scan_at = files.get((row.owner_structure_id, scan["sha256"])) if scan else None
    certificate = None
    if row.cert_serial and row.cert_sha256:
        certificate = {"serial": row.cert_serial, "sha256": row.cert_sha256, "issued_by_hub": row.seal == "hub"}
    return {"mode": row.mode, "sealed_at": iso(row.sealed_at), "signed_on": row.signed_on,
            "structure": {"id": row.owner_structure_id, "name": row.structure_name},
            "certificate": certificate, "device_revoked": revoked_at is not None, "revoked_at": iso(revoked_at),
            "sha256": pdf["sha256"], "pdf_received": files.get((row.owner_structure_id, pdf["sha256"])) is not None,
            "seal": row.seal, "scan": {"deposited_at": iso(scan_at)} if scan_at is not None else None}
