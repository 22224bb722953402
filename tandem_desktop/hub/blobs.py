"""Charter files at the hub: content-addressed (SHA-256) per structure, moved in chunks of 1 MiB.

A blob exists for a device only under its own structure (an administrator's device: any), and only
while a charter names it, so knowing a digest (the verification page shows it) gives no access to
another structure's file. When the last chunk arrives the whole file is checked — its digest, and for a
sealed charter's PDF its seal (seal_check.py) — outside the write lock (pyHanko takes a while); a file
that is not what was announced is dropped, chunks and all (409). Once complete, the charters naming
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

MSG_UNKNOWN = f"Fichier inconnu du hub{NBSP}: aucune charte de la structure de cet appareil ne le nomme."
MSG_NOT_UPLOADER = (f"Seul l’appareil qui a annoncé cette charte peut en envoyer le fichier{NBSP}: les autres le "
                    "reçoivent.")
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


def _find(conn: Connection, actor: Actor, sha256: str, *, want_complete: bool) -> Any:
    """The blob the actor sees under this digest (404 otherwise). An administrator's device sees every
    structure's: its own first, then one complete (to read) or not yet (to send), by structure id."""
    query = select(blobs).where(blobs.c.sha256 == sha256)
    if not actor.is_admin:
        query = query.where(blobs.c.owner_structure_id == actor.structure_id)
    rows = conn.execute(query).all()
    if not rows:
        raise HubError(404, "not_found", MSG_UNKNOWN)
    return sorted(rows, key=lambda r: (r.owner_structure_id != actor.structure_id,
                                       bool(r.complete) != want_complete, r.owner_structure_id))[0]


def _find_upload(conn: Connection, actor: Actor, sha256: str) -> Any:
    """The blob this device may send chunks of: one named by a charter it announced itself. Another
    device of the structure, which never had the file, must not put chunks into it (a wrong chunk
    would make the whole file fail its digest and keep the real one off the hub)."""
    rows = conn.execute(select(blobs).where(blobs.c.sha256 == sha256)).all()
    for blob in sorted(rows, key=lambda r: (bool(r.complete), r.owner_structure_id != actor.structure_id)):
        if not actor.may_see(blob.owner_structure_id):
            continue
        if any(row.device_id == actor.device_id for row in charter_rows.naming(conn, blob.owner_structure_id, sha256)):
            return blob
    if any(actor.may_see(blob.owner_structure_id) for blob in rows):
        raise HubError(403, "not_uploader", MSG_NOT_UPLOADER)
    raise HubError(404, "not_found", MSG_UNKNOWN)


def _received(conn: Connection, blob: Any) -> list[int]:
    return sorted(conn.execute(select(blob_chunks.c.n).where(
        blob_chunks.c.owner_structure_id == blob.owner_structure_id, blob_chunks.c.sha256 == blob.sha256)).scalars())


def _answer(blob: Any, received: list[int]) -> dict[str, Any]:
    return {"received": received, "complete": bool(blob.complete)}


def status(engine: Engine, actor: Actor, sha256: str) -> dict[str, Any]:
    """GET /v1/blobs/{sha256}."""
    with engine.connect() as conn:
        blob = _find(conn, actor, sha256, want_complete=True)
        received = _received(conn, blob)
    return {"sha256": sha256, "size": blob.size, "chunk_size": blob.chunk_size,
            "chunks": chunk_count(blob.size, blob.chunk_size), **_answer(blob, received)}


def put_chunk(engine: Engine, actor: Actor, sha256: str, index: int, data: bytes, hub_ca_pem: str) -> dict[str, Any]:
    """PUT /v1/blobs/{sha256}/chunks/{i}: store one chunk (a chunk already there is not stored again);
    the last one completes the blob, or drops it when it is not what was announced (409)."""
    with writing(engine) as (conn, _):
        blob = _find_upload(conn, actor, sha256)
        count = chunk_count(blob.size, blob.chunk_size)
        if index >= count:
            raise bad_request(f"Numéro de morceau invalide{NBSP}: ce fichier en a {count}.")
        if len(data) != expected_length(blob, index):
            raise bad_request(f"Morceau n°{NBSP}{index} de taille inattendue{NBSP}: {expected_length(blob, index)} "
                              f"octets attendus, {len(data)} reçus.")
        received = _received(conn, blob)
        if blob.complete:
            return _answer(blob, received)
        if index not in received:
            conn.execute(blob_chunks.insert().values(owner_structure_id=blob.owner_structure_id, sha256=sha256,
                                                     n=index, data=data))
            received = sorted([*received, index])
        if len(received) < count:
            return _answer(blob, received)
        owner = blob.owner_structure_id
    return _complete(engine, owner, sha256, count, hub_ca_pem)


def _complete(engine: Engine, owner: str, sha256: str, count: int, hub_ca_pem: str) -> dict[str, Any]:
    """Every chunk is in: check the whole file, then mark it complete and renumber its charters."""
    where = and_(blob_chunks.c.owner_structure_id == owner, blob_chunks.c.sha256 == sha256)
    with engine.connect() as conn:
        data = b"".join(conn.execute(select(blob_chunks.c.data).where(where).order_by(blob_chunks.c.n)).scalars())
        named = charter_rows.naming(conn, owner, sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        _drop(engine, owner, sha256)
        raise HubError(409, "blob_mismatch", MSG_MISMATCH)
    if not all(_looks_like(data, a["media_type"]) for row in named for a in loads(row.attachments)
               if a["sha256"] == sha256):
        _drop(engine, owner, sha256)
        raise HubError(409, "blob_mismatch", MSG_TYPE)
    sealed = [row for row in named if row.mode == "screen" and _pdf_sha(row) == sha256]
    seals: dict[str, tuple[str, SealFacts]] = {}
    if sealed:
        facts = read_seal(data, hub_ca_pem)
        why = ""
        with engine.connect() as conn:
            for row in sealed:
                seal, why = judge(conn, facts, row)
                if seal is not None:
                    seals[row.id] = (seal, facts)
        if not seals:
            _drop(engine, owner, sha256)
            raise HubError(409, "seal_invalid", MSG_SEAL + why)
    with writing(engine) as (conn, last):
        blob = conn.execute(select(blobs).where(blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha256)).first()
        if blob is None:  # its charters were erased meanwhile
            raise HubError(404, "not_found", MSG_UNKNOWN)
        if not blob.complete:
            conn.execute(update(blobs).where(blobs.c.owner_structure_id == owner, blobs.c.sha256 == sha256)
                         .values(complete=True, completed_at=utcnow()))
            for charter_id, (seal, facts) in seals.items():
                conn.execute(update(charters).where(charters.c.owner_structure_id == owner,
                                                    charters.c.id == charter_id).values(
                    seal=seal, cert_serial=facts.cert_serial, cert_sha256=facts.cert_sha256,
                    sealed_at=facts.sealed_at))
            charter_rows.renumber(conn, owner, [row.id for row in charter_rows.naming(conn, owner, sha256)], last)
    return {"received": list(range(count)), "complete": True}


def _looks_like(data: bytes, announced: str) -> bool:
    """The file's first bytes match its announced type (domain/files.py)."""
    return media_type(data) == announced


def _pdf_sha(row: Any) -> str | None:
    return next((a["sha256"] for a in loads(row.attachments) if a["role"] == "pdf"), None)


def _drop(engine: Engine, owner: str, sha256: str) -> None:
    """A file that is not what was announced is not kept: its chunks go (the blob waits for a new upload)."""
    with writing(engine) as (conn, _):
        conn.execute(delete(blob_chunks).where(blob_chunks.c.owner_structure_id == owner,
                                               blob_chunks.c.sha256 == sha256))


def get_chunk(engine: Engine, actor: Actor, sha256: str, index: int) -> bytes:
    """GET /v1/blobs/{sha256}/chunks/{i}: the chunk's bytes, once the blob is complete (404 before)."""
    with engine.connect() as conn:
        blob = _find(conn, actor, sha256, want_complete=True)
        if not blob.complete:
            raise HubError(404, "not_found", MSG_NOT_YET)
        data = conn.execute(select(blob_chunks.c.data).where(
            blob_chunks.c.owner_structure_id == blob.owner_structure_id, blob_chunks.c.sha256 == sha256,
            blob_chunks.c.n == index)).scalar()
    if data is None:
        raise HubError(404, "not_found", f"Morceau inconnu{NBSP}: ce fichier en a "
                                         f"{chunk_count(blob.size, blob.chunk_size)}.")
    return bytes(data)
