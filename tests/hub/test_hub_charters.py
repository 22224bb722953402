"""Charters and their files at the hub (protocol 6, PROTOCOL.md "Charters and attachments"), over HTTP.

Real enrolled profiles make the tandems and seal real charters with CharterService; the tests then
talk to the hub themselves with httpx and the device's token, as PROTOCOL.md says a device does:
announce, upload in chunks, read the feed, and check a charter by its number without credentials.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from tandem_desktop.charter import render
from tandem_desktop.charter.render import Signature, render_charter, verification_code
from tandem_desktop.charter.seal import SealIdentity, seal_pdf
from tandem_desktop.domain.ids import new_id
from tandem_desktop.hub import admin
from tandem_desktop.hub.charter_checks import CODE_ALPHABET
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService, device_identity
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.profile import Profile
from tandem_desktop.sync.enroll import load_token

from ..sync.conftest import World, running_world

MIB = 1024 * 1024
STRUCTURE = "Mission locale de Marseille"
DEVICE_NAME = "Portable de Camille"
PERSONAL = ["Sofiane", "Benali", "Hélène", "Durand", "Camille", "Martin", "camille.martin", "Conseillère",
            "exemple.fr", DEVICE_NAME, "Portable"]
STROKES = [[(0.05, 0.6), (0.2, 0.2), (0.35, 0.8), (0.5, 0.3)], [(0.1, 0.9), (0.9, 0.9)]]


@pytest.fixture
def hub_world(db_url: str, tmp_path: Path) -> Iterator[World]:
    """A real hub (SQLite, or PostgreSQL in a schema of its own) and real device profiles."""
    with running_world(db_url, tmp_path) as w:
        yield w


@dataclass
class Side:
    """One enrolled device, its tandem, and an HTTP client holding its token."""

    profile: Profile
    tandem: str
    mentee: str
    http: httpx.Client

    def announce(self, *charters: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post("/v1/charters", json={"charters": list(charters)})
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def feed(self, cursor: int = 0, limit: int | None = None) -> dict[str, Any]:
        params = {"cursor": cursor, **({"limit": limit} if limit else {})}
        response = self.http.get("/v1/charters", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def put(self, sha: str, index: int, data: bytes) -> httpx.Response:
        return self.http.put(f"/v1/blobs/{sha}/chunks/{index}", content=data,
                             headers={"Content-Type": "application/octet-stream"})


def side(world: World, structure: str, name: str = DEVICE_NAME, *, admin_role: bool = False) -> Side:
    """A device of `structure` with a complete tandem (mentee, mentor, counsellor), pushed to the hub."""
    profile = world.device(structure, name, admin_role=admin_role)
    store = profile.store
    local_structure = store.create("structure", {"name": STRUCTURE, "type": "mission_locale", "commune": "Marseille",
                                                 "email": "contact@ml-marseille.fr"})
    counsellor = store.create("counsellor", {"first_name": "Camille", "last_name": "Martin",
                                             "email": "camille.martin@ml-marseille.fr",
                                             "structure_id": local_structure})
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "capacity": 3,
                                     "employer": "CMA CGM", "job_title": "Responsable logistique"})
    mentee = store.create("mentee", {"first_name": "Sofiane", "last_name": "Benali", "project_type": "job_search",
                                     "structure_id": local_structure, "counsellor_id": counsellor})
    tandem = Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee,
                                                       "duration_months": 6, "objectives": "Trouver un emploi"}
                                            ).record_id
    sync_service.sync_now(profile)
    token = load_token(profile)
    http = httpx.Client(base_url=world.url, timeout=60,
                        headers={"Authorization": f"Bearer {token}", "Tandem-Protocol": "6"})
    with world.engine.connect() as conn:
        assert conn.execute(text("SELECT kind FROM records WHERE record_id = :r"), {"r": tandem}).scalar() == "tandem"
    return Side(profile, tandem, mentee, http)


def metadata(tandem: str, files: dict[str, bytes], *, charter_id: str | None = None, mode: str = "ink",
             number: str | None = None, self_signed: bool | None = None, **changes: Any) -> dict[str, Any]:
    charter_id = charter_id or new_id()
    media = {"pdf": "application/pdf", "scan": "image/png"}
    charter = {"id": charter_id, "tandem_id": tandem, "number": number or verification_code(charter_id),
               "mode": mode, "template": "charte-tandem 2026.2", "signed_on": "2026-11-20", "signed_place": "Marseille",
               "created_at": "2026-11-20T10:00:00+00:00", "self_signed": self_signed,
               "attachments": [{"role": role, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "media_type": media.get(role, "application/pdf"), "name": None}
                               for role, data in files.items()]}
    return {**charter, **changes}


def sealed_metadata(tandem: str, stored: Any, pdf: bytes, *, self_signed: bool | None = None) -> dict[str, Any]:
    return metadata(tandem, {"pdf": pdf}, charter_id=stored.id, mode="screen", number=stored.verification_code,
                    self_signed=stored.self_signed if self_signed is None else self_signed,
                    signed_on=stored.signed_on, signed_place=stored.signed_place, created_at=stored.created_at)


def signatures() -> list[Signature]:
    return [Signature("mentee", strokes=STROKES), Signature("mentor", strokes=STROKES),
            Signature("counsellor", strokes=STROKES)]


def rendered_again(service: CharterService, tandem: str, stored: Any, identity: SealIdentity) -> bytes:
    """The same charter (id, number, text) rendered again and sealed with `identity`."""
    prepared = service._prepare(tandem, None, date.fromisoformat(stored.signed_on), stored.signed_place)
    moment = datetime.fromisoformat(stored.created_at)
    pdf = render_charter(prepared.template, prepared.context, charter_id=stored.id,
                         verification_code=stored.verification_code, signatures=signatures(),
                         signed_on=date.fromisoformat(stored.signed_on), signed_place=stored.signed_place,
                         created_at=moment)
    return seal_pdf(pdf, identity, location=stored.signed_place, signing_time=moment)


def self_signed_identity() -> SealIdentity:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem Desktop — poste non enrôlé")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SealIdentity(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), [], True)


def count(world: World, table: str) -> int:
    with world.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def no_personal_data(body: str) -> None:
    found = [word for word in PERSONAL if word.lower() in body.lower()]
    assert found == [], found


# -- metadata: announce, idempotence, refusals, the feed -----------------------------------------------


def test_a_charter_is_announced_once_never_replaced_and_served_in_scope(hub_world: World) -> None:
    marseille, adie = hub_world.structure(STRUCTURE), hub_world.structure("Adie")
    a, b = side(hub_world, marseille), side(hub_world, adie, "Poste Adie")
    assert render.CODE_ALPHABET == CODE_ALPHABET  # the hub's copy of the number alphabet
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 reference", "scan": b"\x89PNG scan"})
    assert a.announce(charter) == [{"id": charter["id"], "status": "applied"}]
    page = a.feed()
    [entry] = page["charters"]
    assert page["cursor"] == entry["seq"] and page["more"] is False
    assert entry["structure_id"] == marseille and entry["device_id"] == a.profile.store.remote.state()["device_id"]
    assert {k: entry[k] for k in charter if k != "attachments"} == {k: v for k, v in charter.items()
                                                                      if k != "attachments"}
    assert [(x["role"], x["at_hub"], x["at"]) for x in entry["attachments"]] == [("pdf", False, None),
                                                                                  ("scan", False, None)]
    assert entry["received_at"].endswith("Z")
    # the same charter again: applied, nothing new (same seq, nothing after the cursor)
    assert a.announce(charter)[0]["status"] == "applied"
    assert a.feed()["charters"][0]["seq"] == entry["seq"] and a.feed(page["cursor"])["charters"] == []
    rows = count(hub_world, "charters"), count(hub_world, "blobs")
    assert rows == (1, 2)
    # other content under its id, its number under another id, another structure's tandem
    changed = {**charter, "signed_place": "Aubagne"}
    stolen = metadata(a.tandem, {"pdf": b"%PDF other"}, number=charter["number"])
    unknown = metadata(new_id(), {"pdf": b"%PDF x"})
    results = a.announce(changed, stolen, unknown)
    assert [(r["status"], r["code"], r["retry"]) for r in results] == [
        ("refused", "charter_exists", False), ("refused", "number_taken", False), ("refused", "unknown_tandem", True)]
    assert all(r["message"] and "\u00a0:" in r["message"] for r in results)
    [forbidden] = b.announce(metadata(a.tandem, {"pdf": b"%PDF y"}))
    assert (forbidden["status"], forbidden["code"]) == ("refused", "forbidden")
    assert b.feed()["charters"] == []
    # values the protocol refuses, each for that charter only
    base = metadata(a.tandem, {"pdf": b"%PDF z"})
    pdf = base["attachments"][0]
    broken = [{**base, "number": "K7Q4-9XP0"}, {**base, "mode": "paper"}, {**base, "signed_place": "Mar\x1bseille"},
              {**base, "signed_on": "2026-02-30"}, {**base, "created_at": "2026-11-20T10:00:00+02:00"},
              {**base, "attachments": [pdf, pdf]}, {**base, "attachments": [{**pdf, "role": "scan"}]},
              {**base, "attachments": [{**pdf, "size": 0}]}, {**base, "attachments": [{**pdf, "size": 21 * MIB}]},
              {**base, "attachments": [{**pdf, "sha256": "A" * 64}]}, {**base, "template": "x" * 81},
              {**base, "self_signed": "oui"}, {**base, "tandem_id": "x"}]
    assert [r["code"] for r in a.announce(*broken)] == ["invalid_value"] * len(broken)
    assert (count(hub_world, "charters"), count(hub_world, "blobs")) == rows
    # refused requests: not the protocol's shape, too many, forged cursors and limits
    for body in ({"charters": {}}, {"charters": [{"id": "\x00"}]}, [], {"charters": [5]}):
        response = a.http.post("/v1/charters", json=body)
        assert (response.status_code, response.json()["error"]) == (400, "bad_request"), body
    assert a.http.post("/v1/charters", json={"charters": [base] * 101}).status_code == 413
    for query in ("cursor=-1", "cursor=abc", f"cursor={10**9}", "limit=0", "limit=501", "junk=1"):
        response = a.http.get(f"/v1/charters?{query}")
        assert (response.status_code, response.json()["error"]) == (400, "bad_request"), query
    assert httpx.get(f"{hub_world.url}/v1/charters", headers={"Tandem-Protocol": "6"}).status_code == 401
    assert (count(hub_world, "charters"), count(hub_world, "blobs")) == rows


def test_verification_is_rate_limited_per_address(hub_world: World) -> None:
    a = side(hub_world, hub_world.structure(STRUCTURE))
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 reference"})
    a.announce(charter)
    public = httpx.Client(base_url=hub_world.url, timeout=30)
    spaced = charter["number"].lower().replace("-", " ")
    answer = public.get(f"/v1/charters/verify/{spaced}").json()
    assert answer["number"] == charter["number"] and answer["found"] is True
    [found] = answer["charters"]
    assert found == {"mode": "ink", "sealed_at": None, "signed_on": "2026-11-20",
                     "structure": {"id": found["structure"]["id"], "name": STRUCTURE}, "certificate": None,
                     "device_revoked": False, "revoked_at": None, "sha256": charter["attachments"][0]["sha256"],
                     "pdf_received": False, "seal": None, "scan": None}
    assert public.get("/v1/charters/verify/2222-2222").json() == {"number": "2222-2222", "found": False,
                                                                  "charters": []}
    assert public.get("/v1/charters/verify/K7Q4-9XP0").status_code == 400
    page = public.get("/charte", params={"numero": "2222 2222"})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Aucune charte n’a ce numéro sur ce hub." in page.text
    assert "signée à l’encre le 20 novembre 2026" in public.get(f"/charte/{charter['number']}").text
    assert "aucun scan déposé" in public.get(f"/charte/{charter['number']}").text
    assert 'name="numero"' in public.get("/charte").text  # the form counts for nothing
    hostile = public.get("/charte", params={"numero": '"><script>x'})
    assert hostile.status_code == 400 and "<script>" not in hostile.text and "&lt;script&gt;" in hostile.text
    for _ in range(30 - 7):
        assert public.get("/v1/charters/verify/2222-2222").status_code == 200
    refused = public.get("/v1/charters/verify/2222-2222")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"] == "too_many_attempts" and "réessayez dans 1 minute" in refused.text
    assert "Trop de vérifications" in refused.json()["message"]
    assert public.get(f"/charte/{charter['number']}").status_code == 429
    assert a.feed()["charters"][0]["id"] == charter["id"]  # devices are not counted


# -- files: chunks, resume, digests -------------------------------------------------------------------------


def test_files_go_in_chunks_resume_and_a_wrong_digest_keeps_nothing(sqlite_world: World) -> None:
    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    scan = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * MIB + 1234 - 8)  # a PNG, as announced
    reference = b"%PDF-1.7 " + os.urandom(5000)
    charter = metadata(a.tandem, {"pdf": reference, "scan": scan})
    a.announce(charter)
    seq = a.feed()["charters"][0]["seq"]
    sha = hashlib.sha256(scan).hexdigest()
    assert a.http.get(f"/v1/blobs/{sha}").json() == {"sha256": sha, "size": len(scan), "chunk_size": MIB,
                                                     "chunks": 3, "received": [], "complete": False}
    assert a.put(sha, 0, scan[:MIB]).json() == {"received": [0], "complete": False}
    assert a.put(sha, 2, scan[2 * MIB:]).json() == {"received": [0, 2], "complete": False}
    assert a.put(sha, 0, scan[:MIB]).json() == {"received": [0, 2], "complete": False}  # again: the same
    for index, data, status in ((1, scan[MIB:2 * MIB - 1], 400), (1, scan[MIB:2 * MIB] + b"x", 413),
                                (2, scan[2 * MIB:] + b"x", 400), (3, b"x", 400)):
        response = a.put(sha, index, data)
        assert response.status_code == status and response.json()["error"] in ("bad_request", "too_large")
    assert a.http.put(f"/v1/blobs/{sha}/chunks/1", content=scan[MIB:2 * MIB],
                      headers={"Content-Type": "application/json"}).status_code == 415
    assert a.http.get(f"/v1/blobs/{sha}").json()["received"] == [0, 2]  # a cut upload resumes from here
    assert a.http.get(f"/v1/blobs/{sha}/chunks/0").status_code == 404  # not complete yet
    assert a.feed()["charters"][0]["seq"] == seq
    assert a.put(sha, 1, scan[MIB:2 * MIB]).json() == {"received": [0, 1, 2], "complete": True}
    [entry] = a.feed()["charters"]
    assert entry["seq"] > seq  # renumbered: the devices learn the scan is at the hub
    assert [(x["role"], x["at_hub"]) for x in entry["attachments"]] == [("pdf", False), ("scan", True)]
    assert entry["attachments"][1]["at"].endswith("Z")
    assert b"".join(a.http.get(f"/v1/blobs/{sha}/chunks/{i}").content for i in range(3)) == scan
    assert a.http.get(f"/v1/blobs/{sha}/chunks/3").status_code == 404
    # an administrator's device sees every structure's charters and files
    boss = side(sqlite_world, sqlite_world.structure("Siège"), "Poste du siège", admin_role=True)
    assert [c["id"] for c in boss.feed()["charters"]] == [charter["id"]]
    assert boss.http.get(f"/v1/blobs/{sha}/chunks/2").content == scan[2 * MIB:]
    verified = httpx.get(f"{sqlite_world.url}/v1/charters/verify/{charter['number']}").json()["charters"][0]
    assert verified["scan"]["deposited_at"] == entry["attachments"][1]["at"] and verified["pdf_received"] is False
    assert "scan déposé le" in httpx.get(f"{sqlite_world.url}/charte/{charter['number']}").text
    # a file that is not what was announced is dropped, chunks and all
    liar = metadata(a.tandem, {"pdf": b"%PDF-1.7 announced"})
    a.announce(liar)
    liar_sha = liar["attachments"][0]["sha256"]
    response = a.put(liar_sha, 0, b"%PDF-1.7 short")
    assert response.status_code == 400  # another length than announced
    response = a.put(liar_sha, 0, b"%PDF-1.7 announcex")
    assert (response.status_code, response.json()["error"]) == (409, "blob_mismatch")
    assert "empreinte" in response.json()["message"]
    assert a.http.get(f"/v1/blobs/{liar_sha}").json()["received"] == []
    with sqlite_world.engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM blob_chunks WHERE sha256 = :s"), {"s": liar_sha}).scalar()
    assert kept == 0
    assert a.put(liar_sha, 0, b"%PDF-1.7 announced").json() == {"received": [0], "complete": True}


# -- sealed charters: the seal checked, the public verification, another structure --------------------------


def test_a_sealed_pdf_is_checked_verified_publicly_and_out_of_reach_of_other_structures(sqlite_world: World) -> None:
    marseille, adie = sqlite_world.structure(STRUCTURE), sqlite_world.structure("Adie")
    a, b = side(sqlite_world, marseille), side(sqlite_world, adie, "Poste Adie")
    service = CharterService(a.profile.store)
    stored = service.seal(a.tandem, signatures(), place="Marseille")
    pdf = service.pdf(stored.id)
    sha = hashlib.sha256(pdf).hexdigest()
    # forgeries first: the same charter rendered again and sealed by another structure's device, a
    # genuine seal with bytes added after it
    other = service.seal(a.tandem, signatures(), place="Marseille")
    by_adie = rendered_again(service, a.tandem, other, device_identity(b.profile.store))
    third = service.seal(a.tandem, signatures(), place="Marseille")
    appended = service.pdf(third.id) + b"\n% added after the seal\n"
    for forged_of, forged in ((other, by_adie), (third, appended)):
        assert a.announce(sealed_metadata(a.tandem, forged_of, forged))[0]["status"] == "applied"
        digest = hashlib.sha256(forged).hexdigest()
        response = a.put(digest, 0, forged)
        assert (response.status_code, response.json()["error"]) == (409, "seal_invalid"), response.text
        assert "sceau" in response.json()["message"].lower()
        assert a.http.get(f"/v1/blobs/{digest}").json() == {"sha256": digest, "size": len(forged),
                                                            "chunk_size": MIB, "chunks": 1, "received": [],
                                                            "complete": False}
    assert count(sqlite_world, "blob_chunks") == 0
    # a self-signed seal announced as one is taken, as « local »
    local = service.seal(a.tandem, signatures(), place="Marseille")
    local_pdf = rendered_again(service, a.tandem, local, self_signed_identity())
    a.announce(sealed_metadata(a.tandem, local, local_pdf, self_signed=True))
    assert a.put(hashlib.sha256(local_pdf).hexdigest(), 0, local_pdf).json()["complete"] is True
    local_answer = httpx.get(f"{sqlite_world.url}/v1/charters/verify/{local.verification_code}").json()
    assert local_answer["charters"][0]["seal"] == "local"
    assert local_answer["charters"][0]["certificate"]["issued_by_hub"] is False
    # the genuine one
    a.announce(sealed_metadata(a.tandem, stored, pdf))
    assert a.put(sha, 0, pdf).json() == {"received": [0], "complete": True}
    device_id = a.profile.store.remote.state()["device_id"]
    with sqlite_world.engine.connect() as conn:
        serial, cert_pem = conn.execute(text("SELECT cert_serial, certificate_pem FROM devices WHERE id = :d"),
                                        {"d": device_id}).one()
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    public = httpx.Client(base_url=sqlite_world.url, timeout=30)
    answer = public.get(f"/v1/charters/verify/{stored.verification_code.lower()}")
    assert answer.status_code == 200
    [verified] = answer.json()["charters"]
    assert verified["seal"] == "hub" and verified["mode"] == "screen" and verified["pdf_received"] is True
    assert verified["certificate"] == {"serial": serial, "sha256": hashlib.sha256(der).hexdigest(),
                                       "issued_by_hub": True}
    assert verified["sha256"] == sha and verified["structure"] == {"id": marseille, "name": STRUCTURE}
    assert verified["sealed_at"] == datetime.fromisoformat(stored.created_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (verified["device_revoked"], verified["revoked_at"]) == (False, None)
    page = public.get(f"/charte/{stored.verification_code}")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert f"Charte n°\u00a0{stored.verification_code}\u00a0: scellée le " in page.text
    assert f"par un appareil de la structure «\u00a0{STRUCTURE}\u00a0» (certificat n°\u00a0" in page.text
    assert "délivré par le hub" in page.text and sha in page.text and "sha256sum charte.pdf" in page.text
    assert "L’appareil n’a pas été révoqué depuis." in page.text
    for body in (answer.text, page.text, public.get(f"/charte/{local.verification_code}").text):
        no_personal_data(body)
    # another structure learnt the digest from the page: it reaches nothing, even naming it itself
    assert b.http.get(f"/v1/blobs/{sha}").status_code == 404
    assert b.http.get(f"/v1/blobs/{sha}/chunks/0").status_code == 404
    assert b.put(sha, 0, pdf).status_code == 404
    fake = metadata(b.tandem, {"pdf": pdf})
    assert b.announce(fake)[0]["status"] == "applied"
    assert b.http.get(f"/v1/blobs/{sha}").json()["received"] == [] and not b.http.get(f"/v1/blobs/{sha}").json()[
        "complete"]
    assert b.http.get(f"/v1/blobs/{sha}/chunks/0").status_code == 404
    assert [c["id"] for c in b.feed()["charters"]] == [fake["id"]]
    # the sealing device is revoked: the page says so
    admin.revoke_device(sqlite_world.engine, device_id)
    revoked = public.get(f"/v1/charters/verify/{stored.verification_code}").json()["charters"][0]
    assert revoked["device_revoked"] is True and revoked["revoked_at"].endswith("Z")
    assert "révoqué depuis, le" in public.get(f"/charte/{stored.verification_code}").text


# -- erasure ---------------------------------------------------------------------------------------------


def test_an_erasure_removes_the_charters_and_their_files_from_the_hub(hub_world: World) -> None:
    a = side(hub_world, hub_world.structure(STRUCTURE))
    service = CharterService(a.profile.store)
    stored = service.seal(a.tandem, signatures(), place="Marseille")
    pdf = service.pdf(stored.id)
    sha = hashlib.sha256(pdf).hexdigest()
    a.announce(sealed_metadata(a.tandem, stored, pdf))
    assert a.put(sha, 0, pdf).json()["complete"] is True
    sqlite = hub_world.engine.dialect.name == "sqlite"
    hub_file = Path(hub_world.engine.url.database or "")
    piece = pdf[len(pdf) // 2:len(pdf) // 2 + 64]

    def on_disk() -> bool:
        """A 64-byte slice of the PDF in the hub's file or its write-ahead log (SQLite)."""
        return any(piece in path.read_bytes() for path in hub_file.parent.glob(hub_file.name + "*"))

    assert count(hub_world, "blob_chunks") == 1 and (on_disk() if sqlite else True)
    Records(a.profile.store, Actor()).erase("mentee", a.mentee, "request")
    sync_service.sync_now(a.profile)
    with hub_world.engine.connect() as conn:
        erased = conn.execute(text("SELECT fields FROM records WHERE record_id = :r"), {"r": a.tandem}).scalar()
    assert '"erased"' in erased
    assert [count(hub_world, table) for table in ("charters", "blobs", "blob_chunks")] == [0, 0, 0]
    assert not (sqlite and on_disk())
    answer = httpx.get(f"{hub_world.url}/v1/charters/verify/{stored.verification_code}").json()
    assert answer["found"] is False
    assert a.http.get(f"/v1/blobs/{sha}").status_code == 404
    [refused] = a.announce(sealed_metadata(a.tandem, stored, pdf))
    assert refused["code"] == "erased"


def test_a_chunk_cut_mid_body_keeps_nothing_and_logs_no_traceback(sqlite_world: World,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A cable pulled in the middle of a chunk: the hub keeps none of it, answers the next request,
    and its log holds no « Exception in ASGI application » (the device just sends the chunk again)."""
    import socket
    from urllib.parse import urlsplit

    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    scan = os.urandom(MIB + 10)
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(100), "scan": scan})
    a.announce(charter)
    sha = hashlib.sha256(scan).hexdigest()
    where = urlsplit(sqlite_world.url)
    token = a.http.headers["Authorization"]
    with socket.create_connection((where.hostname, where.port)) as raw:
        raw.sendall((f"PUT /v1/blobs/{sha}/chunks/0 HTTP/1.1\r\nHost: {where.netloc}\r\nAuthorization: {token}\r\n"
                     f"Tandem-Protocol: 6\r\nContent-Type: application/octet-stream\r\nContent-Length: {MIB}\r\n\r\n")
                    .encode() + scan[:MIB // 2])
    caplog.set_level("ERROR")
    time.sleep(0.5)  # the hub sees the connection close and gives up the request
    assert a.http.get(f"/v1/blobs/{sha}").json()["received"] == []
    assert a.put(sha, 0, scan[:MIB]).json() == {"received": [0], "complete": False}  # sent again, whole
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
