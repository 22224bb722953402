"""A hub database written by an older hub that accepted any stamp: after the upgrade, no pull ever
serves a poisoned version again, and the shared records it holds get their editors (migrations
0002 and 0003)."""

from __future__ import annotations

import time
from datetime import datetime

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from tandem_desktop import paths
from tandem_desktop.domain.ids import new_id
from tandem_desktop.hub import admin
from tandem_desktop.hub.db import make_engine
from tandem_desktop.hub.server import run_in_thread

from ..stamps import sane
from .helpers import TEST_OPTIONS, World

POISON = "9999999999999-99999-x"
OVERFLOWED = "10000000000000-00000-x"  # what an old device's next stamp became after pulling POISON


def _old_hub_database(db_url: str) -> Engine:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(paths.migrations_dir() / "hub"))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_initial")
    return engine


def _insert(conn, table: str, **values) -> None:  # type: ignore[no-untyped-def]
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def _record(conn, seq: int, kind: str, record_id: str, fields: dict, versions: dict, writers: dict,  # type: ignore[no-untyped-def]
            owner: str | None = None) -> None:
    digest = record_id + "".join(f"|{n}={versions[n]}" for n in sorted(versions))
    _insert(conn, "records", record_id=record_id, kind=kind, owner_structure_id=owner, deleted=False, mentor_id=None,
            fields=orjson.dumps(fields).decode(), versions=orjson.dumps(versions).decode(),
            writers=orjson.dumps(writers).decode(), digest_line=digest, updated_seq=seq)
    payload = {"type": "record", "kind": kind, "record_id": record_id, "fields": fields, "versions": versions,
               "deleted": False}
    _insert(conn, "feed", seq=seq, type="record", owner_structure_id=owner, kind=kind, record_id=record_id,
            payload=orjson.dumps(payload).decode())


def test_an_old_hubs_poisoned_versions_are_repaired_and_never_served(db_url: str) -> None:
    old = _old_hub_database(db_url)
    now = datetime(2026, 11, 26)
    good = f"{time.time_ns() // 1_000_000 - 60_000:013d}-00000-dev"
    home, device, counsellor = new_id(), new_id(), new_id()
    mentor, partner, other = new_id(), new_id(), new_id()
    with old.begin() as conn:  # rows exactly as the previous hub wrote them
        _insert(conn, "structures", id=home, name="Adie", created_at=now)
        _insert(conn, "counsellors", id=counsellor, structure_id=home, name="Inès Haddad", email="i@exemple.fr",
                is_admin=False, created_at=now)
        _insert(conn, "devices", id=device, name="Portable", counsellor_id=counsellor, structure_id=home,
                token_hash="0" * 64, certificate_pem="-", cert_serial="1", enrolled_at=now)
        _record(conn, 1, "mentor", mentor, {"first_name": "Hélène", "last_name": "Durand"},
                {"first_name": POISON, "last_name": good}, {"first_name": device, "last_name": device})
        _record(conn, 2, "structure", partner, {"name": "Point d’accueil", "type": "association"},
                {"name": good, "type": good}, {"name": device, "type": device})
        field = {"type": "field", "kind": "mentor", "record_id": other, "field": "employer", "value": "X",
                 "version": OVERFLOWED}
        _insert(conn, "feed", seq=3, type="field", owner_structure_id=None, kind="mentor", record_id=other,
                payload=orjson.dumps(field).decode())
        conflict = {"id": new_id(), "kind": "mentor", "record_id": mentor, "field": "first_name",
                    "conflict_type": "concurrent_edit", "kept_value": "Hélène", "kept_version": POISON,
                    "lost_value": "Helene", "lost_version": good, "kept_device": device, "lost_device": device}
        _insert(conn, "conflicts", id=conflict["id"], seq=4, kind="mentor", record_id=mentor, field="first_name",
                conflict_type="concurrent_edit", kept_value='"Hélène"', kept_version=POISON, kept_device=device,
                lost_value='"Helene"', lost_version=good, lost_device=device, owner_structure_id=None,
                op_id=new_id(), created_at=now)
        _insert(conn, "feed", seq=4, type="conflict", owner_structure_id=None, kind="mentor", record_id=mentor,
                payload=orjson.dumps({"type": "conflict", "conflict": conflict}).decode())
        conn.execute(text("UPDATE hub_state SET last_seq = 4"))
    old.dispose()

    engine = admin.connect(db_url)  # what `tandem-hub serve` does first
    hub = run_in_thread(db_url, options=TEST_OPTIONS)
    world = World(hub.url, engine)
    try:
        reader = world.device(world.structure(), protocol=4)
        entries, _ = reader.pull_all()
        served = [v for e in entries if e["type"] == "record" for v in e["versions"].values()]
        served += [v for e in entries if e["type"] == "field" for v in [e["version"]]]
        served += [e["conflict"][k] for e in entries if e["type"] == "conflict"
                   for k in ("kept_version", "lost_version")]
        assert served and all(sane(v) for v in served), served
        repaired = next(e for e in entries if e.get("record_id") == mentor and e["type"] == "record")
        assert repaired["seq"] > 4 and repaired["versions"]["last_name"] == good  # a new entry, sane parts kept
        [kept] = [e["conflict"]["kept_version"] for e in entries if e["type"] == "conflict"]
        assert kept == repaired["versions"]["first_name"]  # the conflict still names the record's version
        assert not [e for e in entries if e["type"] == "field"]
        assert reader.summary()["counts"]["mentor"] == 1
        # The device-made structure now belongs to the structure of the device that created it.
        with engine.connect() as conn:
            editor = conn.execute(text("SELECT editor_structure_id FROM records WHERE record_id = :r"),
                                  {"r": partner}).scalar_one()
        assert editor == home
        response = reader.push_raw([reader.op("update", "structure", partner, {"commune": "Pirate"})])
        assert response.json()["results"][0]["code"] == "not_owner"
    finally:
        world.close()
        hub.stop()
        engine.dispose()
