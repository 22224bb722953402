"""Sync benchmark: a real hub on 127.0.0.1 filled with 1,000 mentors, 25,000 mentees and 5,000 tandems.

A plain script (not a test); prints one JSON line. Targets (issue #3): initial_sync_s < 30,
initial_sync_ratio <= 3 (against `raw_copy_s`, the same rows copied by a plain SELECT / HTTP / INSERT
loop in the same run), noop_sync_ms < 100, push_1000_edits_s < 1.5, concurrent_errors == 0 with 20
devices syncing at once. Issue 11 (« a lean sync », protocol 5), at 100,000 mentees:
bytes_per_entry <= 600 (what the first sync downloaded, compressed, per entry pulled),
initial_sync_s < 20 and initial_transfer_ratio <= 3 (against `plain_transfer_s`: the same pull pages
fetched again in the same run with plain httpx, raw bytes read, nothing decoded or applied),
hub_bytes_per_record <= 3072 (the hub database's size over its records), push_1000_edits_s < 1.5 on
PostgreSQL and SQLite. Uses PostgreSQL for the hub when TANDEM_TEST_POSTGRES_URL is set.

    .venv/bin/python tests/benchmarks/bench_sync.py [--mentors N] [--mentees M] [--tandems T] [--devices D]

`measure_scale(mentees, hub_db_url)` runs the same measures from another script (bench_scale.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

import httpx
import keyring
import orjson
from sqlalchemy import create_engine, select, text

from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.hub import admin, secret_key
from tandem_desktop.hub.db import records as hub_records
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.settings import load_settings
from tandem_desktop.store import migrations
from tandem_desktop.store.demo import DEMO_KEY
from tandem_desktop.store.engine import make_engine, open_raw
from tandem_desktop.store.profile import Profile, init_profile
from tandem_desktop.store.queries import ListQuery
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import connection_settings, load_token
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program

SYNCED_KINDS = ("structure", "counsellor", "mentor", "mentee", "tandem", "meeting")


def start_hub(folder: Path, hub_db: str) -> tuple[subprocess.Popen[bytes], str]:
    """`tandem-hub serve` in its own process, as in the field: its work never competes with the
    device's process for the interpreter (a hub on a thread of the benchmark made the device wait
    for the hub's Python and the hub for the device's)."""
    key_file = folder / "hub.key"
    secret_key.write_new_key_file(key_file)
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    command = [sys.executable, "-c", "import sys; from tandem_desktop.hub.cli import main; sys.exit(main())",
               "serve", "--db", hub_db, "--port", str(port), "--secret-key-file", str(key_file),
               "--body-timeout", "120", "--enroll-attempts", "1000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not sync_service.probe(url, timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the hub did not start")
        time.sleep(0.2)
    return process, url


def new_device(folder: Path, name: str, hub_url: str, code: str) -> Profile:
    settings = load_settings(folder / name, environ={})
    profile = init_profile(settings)
    sync_service.enroll(profile, hub_url, code, device_name=name)
    return profile


def fill(profile: Profile, mentors: int, mentees: int, tandems: int, seed: int) -> dict[str, int]:
    """Demo data on the seeding device, topped up with proposed tandems to reach the wanted count."""
    store = profile.store
    generate_demo(store, mentors=mentors, mentees=mentees, seed=seed)
    have = store.count("tandem")
    if have < tandems:
        rng = random.Random(seed)
        mentor_ids = [m["id"] for m in store.find("mentor", ListQuery(), 0, mentors)]
        mentee_ids = [m["id"] for m in store.find("mentee", ListQuery(), 0, mentees)]
        extra = [{"mentor_id": rng.choice(mentor_ids), "mentee_id": rng.choice(mentee_ids), "status": "proposed"}
                 for _ in range(tandems - have)]
        store.create_many("tandem", extra)
    return {kind: store.count(kind) for kind in SYNCED_KINDS}


def serve_rows(hub_db_url: str) -> tuple[ThreadingHTTPServer, str]:
    """The baseline's server: pages of hub rows by a plain SELECT, as JSON, no sync bookkeeping."""
    engine = create_engine(hub_db_url)

    class Rows(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            kind, after, limit = query["kind"][0], query.get("after", [""])[0], int(query["limit"][0])
            with engine.connect() as conn:
                rows = conn.execute(
                    select(hub_records.c.record_id, hub_records.c.fields)
                    .where(hub_records.c.kind == kind, hub_records.c.record_id > after,
                           hub_records.c.deleted.is_(False))
                    .order_by(hub_records.c.record_id).limit(limit)
                ).all()
            body = orjson.dumps([[record_id, fields] for record_id, fields in rows])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Rows)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def raw_copy(url: str, folder: Path, key: bytes) -> tuple[float, int]:
    """SELECT / HTTP / INSERT: the same records into an empty local database of the same schema."""
    path = folder / "raw-copy.db"
    engine = make_engine(path, key)
    with engine.begin() as conn:
        migrations.upgrade(conn)
    engine.dispose()
    conn = open_raw(path, key)
    copied = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url) as client:
        for kind in SYNCED_KINDS:
            names = KINDS[kind].field_names
            insert = (f"INSERT INTO {kind} (id, {', '.join(names)}, created_hlc, updated_hlc) "
                      f"VALUES ({', '.join('?' * (len(names) + 3))})")
            after = ""
            while True:
                page = client.get("/rows", params={"kind": kind, "after": after, "limit": 1000}).json()
                if not page:
                    break
                rows = []
                for record_id, fields_json in page:
                    fields = orjson.loads(fields_json)
                    rows.append((record_id, *(_column(fields.get(n)) for n in names), "", ""))
                conn.execute("BEGIN")
                conn.executemany(insert, rows)
                conn.execute("COMMIT")
                copied += len(rows)
                after = page[-1][0]
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, copied


def _column(value: object) -> object:
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


class RecordingClient(HubClient):
    """The real client, noting each pull page it asked for (to fetch the same pages again)."""

    pages: list[tuple[int, int]]

    def pull(self, cursor: int, limit: int) -> dict[str, object]:
        self.pages.append((cursor, limit))
        return super().pull(cursor, limit)


def client_of(profile: Profile) -> RecordingClient:
    state = profile.store.remote.state()
    client = RecordingClient(state["hub_url"], load_token(profile, state), **connection_settings(state))
    client.pages = []
    return client


def timed_sync(profile: Profile, client: HubClient | None = None) -> tuple[float, sync_service.SyncReport]:
    started = time.perf_counter()
    report = sync_service.sync_now(profile, client=client)
    return time.perf_counter() - started, report


def plain_transfer(hub_url: str, token: str, protocol: int, pages: list[tuple[int, int]]) -> tuple[float, int]:
    """The same pull pages again with plain httpx: raw bytes read, nothing decoded, parsed or stored."""
    headers = {"Authorization": f"Bearer {token}", "Tandem-Protocol": str(protocol),
               "Accept-Encoding": "zstd, gzip"}
    received = 0
    started = time.perf_counter()
    with httpx.Client(base_url=hub_url, timeout=120) as http:
        for cursor, limit in pages:
            with http.stream("GET", "/v1/pull", params={"cursor": cursor, "limit": limit}, headers=headers) as answer:
                for chunk in answer.iter_raw():
                    received += len(chunk)
    return time.perf_counter() - started, received


def hub_bytes(hub_db_url: str) -> tuple[int, int]:
    """(bytes the hub database takes, records it holds): SQLite pages in use, or PostgreSQL's
    relations with their indexes and TOAST."""
    engine = create_engine(hub_db_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
                size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
                return (pages - free) * size, count
            used = conn.execute(text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema()")).scalar_one()
            return int(used), count
    finally:
        engine.dispose()


def reset_postgres(url: str) -> None:
    reset = create_engine(url)
    with reset.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    reset.dispose()


def measure_scale(mentees: int, hub_db_url: str, *, mentors: int = 1000, tandems: int = 0, devices: int = 0,
                  seed: int = 1) -> dict[str, object]:
    """Every figure of this benchmark for `mentees` on a throw-away hub at `hub_db_url` (a SQLite URL,
    or a PostgreSQL one whose public schema is DROPPED and made again). Returns the figures; the
    keyring is replaced by one in memory for the run."""
    keyring.set_keyring(MemoryKeyring())
    if hub_db_url.startswith("postgresql"):
        reset_postgres(hub_db_url)
    with tempfile.TemporaryDirectory() as tmp:
        figures = _measure(Path(tmp), hub_db_url, mentors, mentees, tandems, devices, seed)
    return figures


def _measure(folder: Path, hub_db: str, mentors: int, mentees: int, tandems: int, devices: int,
             seed: int) -> dict[str, object]:
    hub_process, hub_url = start_hub(folder, hub_db)
    engine = admin.connect(hub_db)
    marseille = admin.add_structure(engine, "Mission locale de Marseille")
    aubagne = admin.add_structure(engine, "France Travail Aubagne")
    counsellor = admin.add_counsellor(engine, marseille, "Nadia Ferhat", "nadia.ferhat@exemple.fr")
    other = admin.add_counsellor(engine, aubagne, "Luc Martin", "luc.martin@exemple.fr")

    seeder = init_profile(load_settings(folder / "seeder", environ={}))
    counts = fill(seeder, mentors, mentees, tandems, seed)
    seeder.store.set_meta_value(DEMO_KEY, None)  # its own throw-away hub receives the demo on purpose
    sync_service.enroll(seeder, hub_url, admin.make_enroll_code(engine, counsellor), device_name="seeder")
    fill_s, _ = timed_sync(seeder)
    seeder.close()
    stored, hub_records_count = hub_bytes(hub_db)

    fresh = new_device(folder, "fresh", hub_url, admin.make_enroll_code(engine, counsellor))
    client = client_of(fresh)
    initial_s, initial = timed_sync(fresh, client)
    pulled_bytes, protocol, pages = client.bytes_received, client.protocol, list(client.pages)
    client.close()
    local = {kind: fresh.store.count(kind) for kind in SYNCED_KINDS}
    noop_ms = statistics.median(timed_sync(fresh)[0] * 1000 for _ in range(5))
    token = load_token(fresh)
    assert token
    plain_s, plain_bytes = plain_transfer(hub_url, token, protocol, pages)
    edited = fresh.store.find("mentee", ListQuery(), 0, 1000)
    with fresh.store.transaction():
        for index, mentee in enumerate(edited):
            fresh.store.update("mentee", mentee["id"], {"notes": f"Point d’étape n° {index}"})
    push_s, pushed = timed_sync(fresh)
    key = fresh.key
    fresh.close()

    rows_server, rows_url = serve_rows(hub_db)
    raw_s, copied = raw_copy(rows_url, folder, key)
    rows_server.shutdown()

    crowd = [new_device(folder, f"poste-{n}", hub_url, admin.make_enroll_code(engine, other))
             for n in range(devices)]
    for n, device in enumerate(crowd):
        device.store.create("mentee", {"first_name": f"Prénom{n}", "last_name": "Essai"})
    errors: list[str] = []

    def one(device: Profile) -> float:
        try:
            return timed_sync(device)[0]
        except Exception as exc:  # counted, not raised: the figure is how many fail
            errors.append(f"{type(exc).__name__}: {exc}")
            return float("nan")

    started = time.perf_counter()
    crowd_times: list[float] = []
    if crowd:
        with ThreadPoolExecutor(max_workers=len(crowd)) as pool:
            crowd_times = list(pool.map(one, crowd))
    concurrent_s = time.perf_counter() - started
    for device in crowd:
        device.close()
    hub_process.terminate()
    hub_process.wait(30)
    engine.dispose()
    finite = [t for t in crowd_times if t == t]
    return {
        "records": sum(counts[k] for k in ("mentor", "mentee", "tandem")),
        "counts": counts,
        "hub_db": "postgresql" if hub_db.startswith("postgresql") else "sqlite",
        "protocol": protocol,
        "fill_push_s": round(fill_s, 2),
        "initial_sync_s": round(initial_s, 2),
        "initial_pulled": initial.pulled,
        "initial_bytes": pulled_bytes,
        "bytes_per_entry": round(pulled_bytes / max(initial.pulled, 1), 1),
        "initial_pages": len(pages),
        "plain_transfer_s": round(plain_s, 2),
        "plain_transfer_bytes": plain_bytes,
        "initial_transfer_ratio": round(initial_s / plain_s, 2) if plain_s else None,
        "initial_complete": all(local[k] == counts[k] for k in ("mentor", "mentee", "tandem", "meeting")),
        "hub_db_bytes": stored,
        "hub_records": hub_records_count,
        "hub_bytes_per_record": round(stored / max(hub_records_count, 1)),
        "raw_copy_s": round(raw_s, 2),
        "raw_copied": copied,
        "initial_sync_ratio": round(initial_s / raw_s, 2),
        "noop_sync_ms": round(noop_ms, 1),
        "push_1000_edits_s": round(push_s, 3),
        "push_1000_pushed": pushed.pushed,
        "concurrent_devices": devices,
        "concurrent_errors": len(errors),
        "concurrent_s": round(concurrent_s, 2),
        "concurrent_max_s": round(max(finite), 2) if finite else None,
        "errors_sample": errors[:3],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentors", type=int, default=1000)
    parser.add_argument("--mentees", type=int, default=25_000)
    parser.add_argument("--tandems", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    postgres = os.environ.get("TANDEM_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp:
        hub_db = postgres or f"sqlite:///{Path(tmp) / 'hub.db'}"
        figures = measure_scale(args.mentees, hub_db, mentors=args.mentors, tandems=args.tandems,
                                devices=args.devices, seed=args.seed)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
