"""What an attack on the charter sync found (issue 14), each a test that failed before its fix:

1. a device of the same structure put wrong chunks into another device's half-sent scan, or announced
   a charter of its own naming that digest with another type, so the genuine scan never reached the
   hub (now: each device sends into an upload slot of its own, and the file is at the hub once one
   slot completes and a charter naming it takes it); a device enrolled again announces again;
2. a device of another structure announced a charter under the number (or the id) of a charter not
   yet synced, read off its PDF or paper: the genuine one was refused for good and the public page
   named the intruder (now: ids and numbers are each structure's own, the page lists every charter of
   a number, the one whose seal the hub checked first, and the file's digest tells them apart);
3. a charter dated in 2100 sorted first as the « newest version » on every device (now: refused
   while beyond the hub's clock, sent again later);
4. a « PNG » that was something else was kept and spread (now: a file must start as its type says);
5. a scan name with folders (« ../../.config/autostart/x.desktop ») reached the other devices as is.
"""

from __future__ import annotations

import hashlib
import os

import httpx
from sqlalchemy import text

from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charter_check import judge
from tandem_desktop.services.charters import CharterService
from tandem_desktop.store.repository import Store

from .test_hub_charters import MIB, STRUCTURE, World, metadata, sealed_metadata, side, signatures

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_colleague_can_never_keep_a_file_off_the_hub(sqlite_world: World) -> None:
    """Round 1: a colleague put wrong chunks into a half-sent scan. Round 2: it announced a charter of
    its own naming that digest (another role and type, or the same) and sent zeros. Each device now
    sends into a slot of its own; the file is at the hub once one slot completes and checks out."""
    structure = sqlite_world.structure(STRUCTURE)
    a, intruder = side(sqlite_world, structure), side(sqlite_world, structure, "Autre poste")
    scan = PNG + os.urandom(2 * MIB + 100)
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(200), "scan": scan})
    assert a.announce(charter)[0]["status"] == "applied"
    sha = hashlib.sha256(scan).hexdigest()
    assert a.put(sha, 0, scan[:MIB]).json() == {"received": [0], "complete": False}  # then the line is cut
    assert intruder.feed()["charters"][0]["attachments"][1]["sha256"] == sha  # it sees the digest
    assert (intruder.put(sha, 1, os.urandom(MIB)).status_code, intruder.http.get(f"/v1/blobs/{sha}").status_code) \
        == (404, 404)  # no slot of its own: nothing to put into
    for role, kind in (("zz", "image/jpeg"), ("scan", "image/png")):
        claim = metadata(intruder.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(50), "scan": scan})
        claim["attachments"][1].update(role=role, media_type=kind)
        assert intruder.announce(claim)[0]["status"] == "applied"
    assert intruder.put(sha, 1, bytes(MIB)).json() == {"received": [1], "complete": False}  # its own slot
    assert a.http.get(f"/v1/blobs/{sha}").json()["received"] == [0]  # a's slot untouched
    for index in (1, 2):
        answer = a.put(sha, index, scan[index * MIB:(index + 1) * MIB]).json()
    assert answer == {"received": [0, 1, 2], "complete": True}
    assert b"".join(intruder.http.get(f"/v1/blobs/{sha}/chunks/{i}").content for i in range(3)) == scan
    with sqlite_world.engine.connect() as conn:  # the intruder's slot was emptied once the file was in
        left = conn.execute(text("SELECT device_id, count(*) FROM blob_chunks WHERE sha256 = :s GROUP BY device_id"),
                            {"s": sha}).all()
    assert [tuple(row)[1] for row in left] == [3]


def test_a_device_enrolled_again_announces_again_and_sends_its_file(sqlite_world: World) -> None:
    """The device that announced a charter enrolled again (new device id) before its upload ended: its
    file must still reach the hub (it was on that laptop only)."""
    from tandem_desktop.sync.enroll import load_token

    structure = sqlite_world.structure(STRUCTURE)
    a = side(sqlite_world, structure)
    scan = PNG + os.urandom(MIB + 10)
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(200), "scan": scan})
    a.announce(charter)
    sha = hashlib.sha256(scan).hexdigest()
    again = sqlite_world.device(structure, "Même portable, enrôlé de nouveau")
    http = httpx.Client(base_url=sqlite_world.url, headers={"Authorization": f"Bearer {load_token(again)}",
                                                           "Tandem-Protocol": "6"})
    assert http.get(f"/v1/blobs/{sha}").status_code == 404  # it has no slot yet: the device announces again
    assert http.post("/v1/charters", json={"charters": [charter]}).json()["results"][0]["status"] == "applied"
    for index in (0, 1):
        answer = http.put(f"/v1/blobs/{sha}/chunks/{index}", content=scan[index * MIB:(index + 1) * MIB],
                          headers={"Content-Type": "application/octet-stream"}).json()
    assert answer == {"received": [0, 1], "complete": True}


def test_another_structure_cannot_squat_a_number_or_an_id(sqlite_world: World) -> None:
    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    squatter = side(sqlite_world, sqlite_world.structure("Structure hostile"), "Poste hostile")
    service = CharterService(a.profile.store)
    stored = service.seal(a.tandem, signatures(), place="Marseille")
    pdf = service.pdf(stored.id)
    fake_reference = b"%PDF-1.7 " + os.urandom(300)
    # the intruder announces first, under the genuine charter's number and id, for a tandem of its own
    fake = metadata(squatter.tandem, {"pdf": fake_reference}, charter_id=stored.id, mode="ink",
                    number=stored.verification_code)
    assert squatter.announce(fake)[0]["status"] == "applied"
    genuine = sealed_metadata(a.tandem, stored, pdf)
    assert a.announce(genuine)[0]["status"] == "applied"  # its own structure's id and number
    assert a.put(hashlib.sha256(pdf).hexdigest(), 0, pdf).json()["complete"] is True
    answer = httpx.get(f"{sqlite_world.url}/v1/charters/verify/{stored.verification_code}").json()
    assert [(c["structure"]["name"], c["seal"]) for c in answer["charters"]] == [
        (STRUCTURE, "hub"), ("Structure hostile", None)]  # the checked seal first
    page = httpx.get(f"{sqlite_world.url}/charte/{stored.verification_code}").text
    assert "2 chartes portent ce numéro" in page and page.index(STRUCTURE) < page.index("Structure hostile")
    check = judge(answer, stored.verification_code, stored.sha256)  # a device holding the genuine file
    assert check.found and not check.mismatch
    assert "Mission locale de Marseille" in check.lines[0] and "Structure hostile" not in " ".join(check.lines)
    assert [c["id"] for c in a.feed()["charters"]] == [stored.id]  # each structure sees its own
    assert [c["number"] for c in squatter.feed()["charters"]] == [stored.verification_code]
    # and the genuine charter reaches the structure's other device whole
    colleague = sqlite_world.device(a.profile.store.remote.state()["structure_id"], "Bureau")
    kept = CharterService(colleague.store).charters_of(a.tandem)
    assert [c.id for c in kept] == [stored.id] and CharterService(colleague.store).pdf(stored.id) == pdf


def test_a_charter_dated_in_the_future_waits_and_a_file_must_be_what_it_says(sqlite_world: World) -> None:
    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    future = metadata(a.tandem, {"pdf": b"%PDF-1.7 x"}, signed_on="2100-12-31", created_at="2100-12-31T23:59:59Z")
    [result] = a.announce(future)
    assert (result["status"], result["code"], result["retry"]) == ("refused", "clock_ahead", True)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    liar = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(50), "scan": svg})
    assert a.announce(liar)[0]["status"] == "applied"  # announced as image/png
    response = a.put(hashlib.sha256(svg).hexdigest(), 0, svg)
    assert (response.status_code, response.json()["error"]) == (409, "blob_mismatch")
    assert "type annoncé" in response.json()["message"]
    assert a.http.get(f"/v1/blobs/{hashlib.sha256(svg).hexdigest()}").json()["received"] == []


def test_a_received_scan_name_keeps_no_folder(sqlite_world: World) -> None:
    structure = sqlite_world.structure(STRUCTURE)
    a = side(sqlite_world, structure)
    scan = PNG + os.urandom(500)
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(50), "scan": scan})
    charter["attachments"][1]["name"] = "../../../../.config/autostart/x.desktop"
    a.announce(charter)
    assert a.put(charter["attachments"][1]["sha256"], 0, scan).json()["complete"] is True
    colleague = sqlite_world.device(structure, "Bureau")
    sync_service.sync_now(colleague)
    store: Store = colleague.store
    [received] = CharterService(store).charters_of(a.tandem)
    assert received.scan_name == "x.desktop"


def test_a_structure_keeps_files_at_the_hub_within_its_quota(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One request once reserved 16 GB (100 charters × 8 files of 20 MiB): a structure's files now fit
    in its quota; a charter beyond it waits on its device (retried), and the others still go."""
    from tandem_desktop.hub.charters import announce
    from tandem_desktop.hub.merge import Actor as HubActor

    from ..sync.conftest import running_world

    with running_world(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path) as world:
        a = side(world, world.structure(STRUCTURE))
        state = a.profile.store.remote.state()
        actor = HubActor(device_id=state["device_id"], structure_id=state["structure_id"],
                         counsellor_id=state["counsellor_id"], is_admin=False)
        big = [metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(40), "scan": os.urandom(8)}) for _ in range(3)]
        for charter in big:
            charter["attachments"][1]["size"] = 3 * MIB  # announced sizes count, sent or not
        results = announce(world.engine, actor, big, quota_mb=7)["results"]
        assert [r["status"] for r in results] == ["applied", "applied", "refused"]
        assert (results[2]["code"], results[2]["retry"]) == ("quota_exceeded", True)
        assert "7\u00a0Mio" in results[2]["message"]
        small = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(40)})
        assert announce(world.engine, actor, [small], quota_mb=7)["results"][0]["status"] == "applied"


def test_an_administrators_device_keeps_two_structures_charters_of_one_id(sqlite_world: World) -> None:
    """Round 2: an administrator's device (it sees every structure) received a charter of another
    structure under the id of a genuine one, kept only the first, and then called the genuine PDF
    « not the charter stored here ». Both are kept now, and the genuine file verifies."""
    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    other = side(sqlite_world, sqlite_world.structure("Association Voisine"), "Poste voisin")
    service = CharterService(a.profile.store)
    stored = service.seal(a.tandem, signatures(), place="Marseille")
    pdf = service.pdf(stored.id)
    reference = b"%PDF-1.7 " + os.urandom(300)
    same_id = metadata(other.tandem, {"pdf": reference}, charter_id=stored.id, number=stored.verification_code)
    assert other.announce(same_id)[0]["status"] == "applied"  # first, under the genuine id and number
    assert other.put(same_id["attachments"][0]["sha256"], 0, reference).json()["complete"] is True
    sync_service.sync_now(a.profile)  # the genuine charter goes, in its own structure
    boss = sqlite_world.device(sqlite_world.structure("Siège"), "Poste du siège", admin_role=True)
    held = {c.tandem_id: c for t in (a.tandem, other.tandem) for c in CharterService(boss.store).charters_of(t)}
    assert set(held) == {a.tandem, other.tandem}
    assert stored.id in {held[a.tandem].id, held[other.tandem].id} and held[a.tandem].id != held[other.tandem].id
    assert CharterService(boss.store).pdf(held[a.tandem].id) == pdf  # the one that came second has an id of its own
    report = CharterService(boss.store).verify(pdf)
    assert report.matches_local and not report.differs_from_local and report.kind == "intact", report.messages


def test_dead_uploads_never_fill_the_quota(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A laptop lost mid-upload leaves a slot: it counts while it holds chunks or was touched in the last
    7 days; after 30 idle days its chunks go and it no longer counts (the hub's clock is faked by ageing
    the slot, as time would)."""
    from datetime import timedelta

    from tandem_desktop.hub.charters import announce
    from tandem_desktop.hub.db import utcnow
    from tandem_desktop.hub.merge import Actor as HubActor

    from ..sync.conftest import running_world

    with running_world(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path) as world:
        a = side(world, world.structure(STRUCTURE))
        state = a.profile.store.remote.state()
        actor = HubActor(device_id=state["device_id"], structure_id=state["structure_id"],
                         counsellor_id=state["counsellor_id"], is_admin=False)
        scan = PNG + os.urandom(MIB + 100)
        lost = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(40), "scan": scan})
        assert announce(world.engine, actor, [lost], quota_mb=3)["results"][0]["status"] == "applied"
        sha = hashlib.sha256(scan).hexdigest()
        assert a.put(sha, 0, scan[:MIB]).status_code == 200  # then the laptop is lost
        big = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(40), "scan": os.urandom(8)})
        big["attachments"][1]["size"] = 2 * MIB
        assert announce(world.engine, actor, [big], quota_mb=3)["results"][0]["code"] == "quota_exceeded"
        with world.engine.begin() as conn:
            conn.execute(text("UPDATE blobs SET touched_at = :t WHERE sha256 = :s"),
                         {"t": utcnow() - timedelta(days=8), "s": sha})
        # idle, but its chunks are still stored: they count
        assert announce(world.engine, actor, [big], quota_mb=3)["results"][0]["code"] == "quota_exceeded"
        assert count_chunks(world, sha) == 1
        with world.engine.begin() as conn:
            conn.execute(text("UPDATE blobs SET touched_at = :t WHERE sha256 = :s"),
                         {"t": utcnow() - timedelta(days=31), "s": sha})
        assert announce(world.engine, actor, [big], quota_mb=3)["results"][0]["status"] == "applied"
        assert count_chunks(world, sha) == 0  # forgotten: its chunks went, it no longer counts
        assert a.http.get(f"/v1/blobs/{sha}").json()["received"] == []  # it would resume from the start


def count_chunks(world: World, sha: str) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM blob_chunks WHERE sha256 = :s"), {"s": sha}).scalar_one())


# -- round 3: the upload slots --------------------------------------------------------------------------


def test_a_charter_naming_a_digest_with_a_false_size_keeps_the_file_from_nobody(sqlite_world: World) -> None:
    """A colleague named the victim's scan digest with size + 1 and an old date: the genuine file never
    reached the other devices (their transfer believed the false size). The digest fixes the bytes."""
    structure = sqlite_world.structure(STRUCTURE)
    a, intruder = side(sqlite_world, structure), side(sqlite_world, structure, "Autre poste")
    scan = PNG + os.urandom(MIB + 500)
    charter = metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(100), "scan": scan})
    a.announce(charter)
    sha = hashlib.sha256(scan).hexdigest()
    false = metadata(intruder.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(60), "scan": scan},
                     created_at="2020-01-01T00:00:00Z", signed_on="2020-01-01")
    false["attachments"][1]["size"] = len(scan) + 1
    assert intruder.announce(false)[0]["status"] == "applied"
    for index in (0, 1):
        a.put(sha, index, scan[index * MIB:(index + 1) * MIB])
    colleague = sqlite_world.device(structure, "Bureau")
    for _ in range(2):
        sync_service.sync_now(colleague)
    held = {c.id: c for t in (a.tandem, intruder.tandem) for c in CharterService(colleague.store).charters_of(t)}
    assert held[charter["id"]].has_scan and CharterService(colleague.store).scan(charter["id"])[0] == scan


def test_a_slot_fits_the_quota_when_its_first_chunk_comes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Round 3: files announced a week apart, each fitting alone, then all sent: 84 MiB held against 30.
    A slot's first chunk is now checked against the quota too; the same file announced by two devices
    counts once."""
    from datetime import timedelta

    from tandem_desktop.hub.blobs import put_chunk
    from tandem_desktop.hub.charters import announce, counted_files
    from tandem_desktop.hub.db import utcnow
    from tandem_desktop.hub.errors import HubError
    from tandem_desktop.hub.merge import Actor as HubActor

    from ..sync.conftest import running_world

    with running_world(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path) as world:
        a = side(world, world.structure(STRUCTURE))
        state = a.profile.store.remote.state()
        actor = HubActor(device_id=state["device_id"], structure_id=state["structure_id"],
                         counsellor_id=state["counsellor_id"], is_admin=False)
        colleague = HubActor(device_id="0192b7a0-0000-7000-8000-0000000000c1", structure_id=state["structure_id"],
                             counsellor_id=state["counsellor_id"], is_admin=False)
        scans = [PNG + os.urandom(2 * MIB) for _ in range(2)]
        charters = [metadata(a.tandem, {"pdf": b"%PDF-1.7 " + os.urandom(40), "scan": scan}) for scan in scans]
        assert announce(world.engine, actor, [charters[0]], quota_mb=3)["results"][0]["status"] == "applied"
        assert announce(world.engine, colleague, [charters[0]], quota_mb=3)["results"][0]["status"] == "applied"
        with world.engine.connect() as conn:
            assert sorted(counted_files(conn, state["structure_id"], utcnow()).values())[-1] == len(scans[0])
        with world.engine.begin() as conn:  # a week goes by, nothing sent
            conn.execute(text("UPDATE blobs SET touched_at = :t"), {"t": utcnow() - timedelta(days=8)})
        assert announce(world.engine, actor, [charters[1]], quota_mb=3)["results"][0]["status"] == "applied"
        sha = [hashlib.sha256(scan).hexdigest() for scan in scans]
        put_chunk(world.engine, actor, sha[1], 0, scans[1][:MIB], "", quota_mb=3)  # the newer one goes first
        try:
            put_chunk(world.engine, actor, sha[0], 0, scans[0][:MIB], "", quota_mb=3)
            raise AssertionError("the older file passed the quota")
        except HubError as refused:
            assert (refused.status, refused.code) == (409, "quota_exceeded")
        assert count_chunks(world, sha[0]) == 0


def test_a_charter_announced_first_is_listed_first_until_a_seal_is_checked(sqlite_world: World) -> None:
    """Round 3: while a sealed charter's PDF was on its way, another structure's ink charter with the same
    number (its file at the hub) came first on the page. Between charters with no checked seal, the one
    announced first comes first."""
    a = side(sqlite_world, sqlite_world.structure(STRUCTURE))
    other = side(sqlite_world, sqlite_world.structure("Autre"), "Poste autre")
    stored = CharterService(a.profile.store).seal(a.tandem, signatures(), place="Marseille")
    pdf = CharterService(a.profile.store).pdf(stored.id)
    assert a.announce(sealed_metadata(a.tandem, stored, pdf))[0]["status"] == "applied"  # its PDF still to come
    reference = b"%PDF-1.7 " + os.urandom(80)
    later = metadata(other.tandem, {"pdf": reference}, number=stored.verification_code)
    other.announce(later)
    assert other.put(later["attachments"][0]["sha256"], 0, reference).json()["complete"] is True
    answer = httpx.get(f"{sqlite_world.url}/v1/charters/verify/{stored.verification_code}").json()
    assert [c["structure"]["name"] for c in answer["charters"]] == [STRUCTURE, "Autre"]
