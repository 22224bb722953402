"""Charter files at the hub: content-addressed (SHA-256) per structure, moved in chunks of 1 MiB.

A file exists for a device only under its own structure (an administrator's device: any), and only
while a charter names it, so knowing a digest (the verification page shows it) gives no access to
another structure's file. Each device that announced a charter naming a file sends it into an upload
slot of its own (charters.open_slots): nobody else can put a chunk there, so neither a colleague's
wrong chunks nor a charter announced to claim the digest can keep the real file off the hub, and a
device enrolled again simply announces again and gets a slot. When a slot's last chunk arrives the
whole file is checked outside the write lock (pyHanko takes a while): its digest, and that at least
one charter naming it takes it — its type as that charter announced it, and for a sealed charter's
PDF its seal (seal_check.py). A file no charter takes is dropped, that slot's chunks and all (409).
Once a slot is complete the file is at the hub: the other slots are emptied, and the charters naming
it get new seqs, so the structure's devices learn they can fetch it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select, update

from ..domain.files import media_type
from ..texts.french import NBSP
from . import charters as charter_rows
from .charter_checks import SHA256_RE
from .db import blob_chunks, blobs, charters, loads, utcnow, writing
from .errors import HubError, bad_request
from .merge import Actor
from .seal_check import SealFacts, judge, read_seal

MSG_UNKNOWN = (f"Fichier inconnu du hub pour cet appareil{NBSP}: aucune charte qu’il a annoncée ne le nomme "
               "(il l’annonce de nouveau, puis l’envoie).")
MSG_TYPE = f"Le fichier reçu n’est pas du type annoncé (PDF, PNG ou JPEG){NBSP}: il n’est pas gardé."
MSG_NOT_YET = f"Ce fichier n’est pas encore complet au hub{NBSP}: réessayez plus tard."
MSG_MISMATCH = (f"Le fichier reçu n’a pas l’empreinte SHA-256 annoncée{NBSP}: il n’est pas gardé. L’appareil le "
                "renverra.")
MSG_SEAL = f"Le sceau du PDF reçu ne correspond pas à la charte annoncée{NBSP}: il n’est pas gardé. "


def checked_sha(sha256: str) -> str:
    if not SHA256_RE.fullmatch(sha256):
        raise bad_request(f"Empreinte invalide{NBSP}: 64 chiffres hexadécimaux en minuscules sont attendus.")
    return sha256


def checked_index(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise bad_request(f"Numéro de morceau invalide{NBSP}: un entier de 0 à 9999 est attendu.")
    return int(text)


def chunk_count(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))


def expected_length(blob: Any, index: int) -> int:
    count = chunk_count(blob.size, blob.chunk_size)
    return blob.chunk_size if index < count - 1 else blob.size - blob.chunk_size * (count - 1)


def _slots(conn: Connection, actor: Actor, sha256: str) -> list[Any]:
    """Every upload slot of this digest in the structures the actor sees, its own structure's first."""
    query = select(blobs).where(blobs.c.sha256 == sha256)
    if not actor.is_admin:
        query = query.where(blobs.c.owner_structure_id == actor.structure_id)
    rows = conn.execute(query).all()
    return sorted(rows, key=lambda r: (r.owner_structure_id != actor.structure_id, not r.complete,
                                       r.owner_structure_id, r.device_id))


def _complete_slot(conn: Connection, actor: Actor, sha256: str) -> Any | None:
    return next((slot for slot in _slots(conn, actor, sha256) if slot.complete), None)


def _upload_slot(conn: Connection, actor: Actor, sha256: str) -> Any | None:
    """This device's slot still to fill: incomplete, in a structure where the file is not at the hub yet
    (an administrator's device may have announced it for several structures)."""
    slots = _slots(conn, actor, sha256)
    done = {slot.owner_structure_id for slot in slots if slot.complete}
    return next((slot for slot in slots if slot.device_id == actor.device_id and not slot.complete
                 and slot.owner_structure_id not in done), None)


def _where(slot: Any) -> Any:
    return and_(blob_chunks.c.owner_structure_id == slot.owner_structure_id, blob_chunks.c.sha256 == slot.sha256,
                blob_chunks.c.device_id == slot.device_id)


def _received(conn: Connection, slot: Any) -> list[int]:
    return sorted(conn.execute(select(blob_chunks.c.n).where(_where(slot))).scalars())


def _answer(complete: bool, received: list[int]) -> dict[str, Any]:
    return {"received": received, "complete": complete}


def status(engine: Engine, actor: Actor, sha256: str) -> dict[str, Any]:
    """GET /v1/blobs/{sha256}: complete once any slot is (to fetch it); else this device's own slot, the
    chunks it already sent (to resume); 404 when neither (announce it, then send)."""
    with engine.connect() as conn:
        slot = _upload_slot(conn, actor, sha256) or _complete_slot(conn, actor, sha256)
        if slot is None:
            raise HubError(404, "not_found", MSG_UNKNOWN)
        count = chunk_count(slot.size, slot.chunk_size)
        received = list(range(count)) if slot.complete else _received(conn, slot)
    return {"sha256": sha256, "size": slot.size, "chunk_size": slot.chunk_size, "chunks": count,
            **_answer(bool(slot.complete), received)}


def put_chunk(engine: Engine, actor: Actor, sha256: str, index: int, data: bytes, hub_ca_pem: str,
              quota_mb: int | None = None) -> dict[str, Any]:
    """PUT /v1/blobs/{sha256}/chunks/{i}: one chunk into this device's own slot (a chunk already there
    is not stored again; a file already complete at the hub takes nothing more); the last one
    completes the file, or drops it when no charter naming it takes it (409). A slot's first chunk
    must fit in the structure's quota (409 `quota_exceeded`: the device sends it later)."""
    with writing(engine) as (conn, _):
        slot = _upload_slot(conn, actor, sha256)
        done = _complete_slot(conn, actor, sha256) if slot is None else None
        if slot is None and done is None:
            raise HubError(404, "not_found", MSG_UNKNOWN)
        shown = slot or done
        count = chunk_count(shown.size, shown.chunk_size)
        if index >= count:
            raise bad_request(f"Numéro de morceau invalide{NBSP}: ce fichier en a {count}.")
        if len(data) != expected_length(shown, index):
            raise bad_request(f"Morceau n°{NBSP}{index} de taille inattendue{NBSP}: {expected_length(shown, index)} "
                              f"octets attendus, {len(data)} reçus.")
        if slot is None:
            return _answer(True, list(range(count)))
        received = _received(conn, slot)
        if not received and quota_mb is not None and charter_rows.over_quota(
                conn, slot.owner_structure_id, sha256, slot.size, quota_mb):
            raise HubError(409, "quota_exceeded", charter_rows.MSG_QUOTA.format(quota=quota_mb))
        if index not in received:
            conn.execute(blob_chunks.insert().values(owner_structure_id=slot.owner_structure_id, sha256=sha256,
                                                     device_id=slot.device_id, n=index, data=data))
            received = sorted([*received, index])
        conn.execute(update(blobs).where(blobs.c.owner_structure_id == slot.owner_structure_id,
                                         blobs.c.sha256 == sha256, blobs.c.device_id == slot.device_id)
                     .values(touched_at=utcnow()))
        if len(received) < count:
            return _answer(False, received)
    return _complete(engine, slot, count, hub_ca_pem)


def _complete(engine: Engine, slot: Any, count: int, hub_ca_pem: str) -> dict[str, Any]:
    """Every chunk of `slot` is in: check the whole file, then mark it complete (and the same device's
    slots of it in other structures, an administrator's) and renumber the charters naming it."""
    sha256 = slot.sha256
    with engine.connect() as conn:
        data = b"".join(conn.execute(select(blob_chunks.c.data).where(_where(slot)).order_by(blob_chunks.c.n))
                        .scalars())
        elsewhere = set(conn.execute(select(blobs.c.owner_structure_id).where(
            blobs.c.sha256 == sha256, blobs.c.device_id == slot.device_id, blobs.c.complete.is_(False),
            blobs.c.owner_structure_id != slot.owner_structure_id)).scalars())
        owners = [slot.owner_structure_id, *sorted(elsewhere)]
    if hashlib.sha256(data).hexdigest() != sha256:
        _drop(engine, slot)
        raise HubError(409, "blob_mismatch", MSG_MISMATCH)
    taken: dict[str, dict[str, tuple[str, SealFacts]]] = {}
    refusal = ("blob_mismatch", MSG_TYPE)
    for owner in owners:
        seals, why = _taken(engine, owner, sha256, data, hub_ca_pem)
        if seals is not None:
            taken[owner] = seals
        elif owner == slot.owner_structure_id:
            refusal = why
    if slot.owner_structure_id not in taken:
        _drop(engine, slot)
        raise HubError(409, *refusal)
    with writing(engine) as (conn, last):
        for owner, seals in taken.items():
            last = _mark_complete(conn, owner, sha256, slot.device_id, data, seals, last,
                                  copy=owner != slot.owner_structure_id)
    return _answer(True, list(range(count)))


def _taken(engine: Engine, owner: str, sha256: str, data: bytes,
           hub_ca_pem: str) -> tuple[dict[str, tuple[str, SealFacts]] | None, tuple[str, str]]:
    """Whether a charter of `owner` naming the file takes it — its type as announced, and for a sealed
    charter's PDF its seal — with the seals that checked out; else None and the refusal."""
    with engine.connect() as conn:
        named = charter_rows.naming(conn, owner, sha256)
    kind = media_type(data)
    typed = [row for row in named if any(a["sha256"] == sha256 and a["media_type"] == kind
                                         for a in loads(row.attachments))]
    if not typed:
        return None, ("blob_mismatch", MSG_TYPE)
    sealed = [row for row in typed if row.mode == "screen" and _pdf_sha(row) == sha256]
    takers = [row for row in typed if row not in sealed]  # a scan, an ink charter's reference text
    seals: dict[str, tuple[str, SealFacts]] = {}
    why = ""
    if sealed:
        facts = read_seal(data, hub_ca_pem)
        with engine.connect() as conn:
            for row in sealed:
                seal, reason = judge(conn, facts, row)
                if seal is not None:
                    seals[row.id] = (seal, facts)
                else:
                    why = reason
    if not takers and not seals:
        return None, ("seal_invalid", MSG_SEAL + why)
    return seals, ("", "")


def _mark_complete(conn: Connection, owner: str, sha256: str, device: str, data: bytes,
                   seals: dict[str, tuple[str, SealFacts]], last: int, *, copy: bool) -> int:
    """The file is at the hub for `owner`: this device's slot complete (its chunks copied in from the
    slot just filled, for another structure), the other slots gone, the charters renumbered."""
    here = and_(blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha256)
    mine = conn.execute(select(blobs).where(here, blobs.c.device_id == device)).first()
    if mine is None:  # its charters were erased meanwhile
        return last
    if conn.execute(select(blobs.c.device_id).where(here, blobs.c.complete.is_(True))).first() is not None:
        return last
    if copy:
        size = mine.chunk_size
        conn.execute(delete(blob_chunks).where(_where(mine)))
        for n in range(chunk_count(len(data), size)):
            conn.execute(blob_chunks.insert().values(owner_structure_id=owner, sha256=sha256, device_id=device,
                                                     n=n, data=data[n * size:(n + 1) * size]))
    conn.execute(update(blobs).where(here, blobs.c.device_id == device).values(complete=True, completed_at=utcnow()))
    others = and_(blob_chunks.c.owner_structure_id == owner, blob_chunks.c.sha256 == sha256,
                  blob_chunks.c.device_id != device)
    conn.execute(delete(blob_chunks).where(others))  # the file is here: the other slots are not needed
    conn.execute(delete(blobs).where(here, blobs.c.device_id != device))
    for charter_id, (seal, facts) in seals.items():
        conn.execute(update(charters).where(charters.c.owner_structure_id == owner, charters.c.id == charter_id)
                     .values(seal=seal, cert_serial=facts.cert_serial, cert_sha256=facts.cert_sha256,
                             sealed_at=facts.sealed_at))
    return charter_rows.renumber(conn, owner, [row.id for row in charter_rows.naming(conn, owner, sha256)], last)


def _pdf_sha(row: Any) -> str | None:
    return next((a["sha256"] for a in loads(row.attachments) if a["role"] == "pdf"), None)


def _drop(engine: Engine, slot: Any) -> None:
    """A file that is not what was announced is not kept: that slot's chunks go (it waits for a new upload)."""
    with writing(engine) as (conn, _):
        conn.execute(delete(blob_chunks).where(_where(slot)))


def get_chunk(engine: Engine, actor: Actor, sha256: str, index: int) -> bytes:
    """GET /v1/blobs/{sha256}/chunks/{i}: the chunk's bytes, once the file is complete (404 before)."""
    with engine.connect() as conn:
        slot = _complete_slot(conn, actor, sha256)
        if slot is None:
            raise HubError(404, "not_found", MSG_NOT_YET if _slots(conn, actor, sha256) else MSG_UNKNOWN)
        data = conn.execute(select(blob_chunks.c.data).where(_where(slot), blob_chunks.c.n == index)).scalar()
    if data is None:
        raise HubError(404, "not_found", f"Morceau inconnu{NBSP}: ce fichier en a "
                                         f"{chunk_count(slot.size, slot.chunk_size)}.")
    return bytes(data)
