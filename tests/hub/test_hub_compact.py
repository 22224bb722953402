"""Protocol 5 at the hub (issue 11, « a lean sync »), over real HTTP on SQLite and PostgreSQL:
compact stamps with a device table per message, compressed bodies both ways, and what a hostile
client can do with them (a zip bomb, a forged device table, a number the table lacks) — refused
with a 4xx or per op, nothing written. Older protocols are still served the full stamps."""

from __future__ import annotations

import gzip
import time
from typing import Any

import httpx
import orjson
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from tandem_desktop import paths
from tandem_desktop.domain.hlc import MAX_AHEAD_MS
from tandem_desktop.domain.ids import new_id
from tandem_desktop.hub.encoding import ENCODINGS

from .helpers import MENTEE, MENTOR, Device, World, make_csr, row_counts

NBSP = "\u00a0"
MAX_BODY = 4 * 1024 * 1024


def compact(stamp: str, table: dict[str, str]) -> str:
    """`stamp` as W.C.K, its device put in `table` (K: the table's own key)."""
    wall, counter, device = stamp.split("-", 2)
    key = next((k for k, name in table.items() if name == device), None)
    if key is None:
        key = str(len(table))
        table[key] = device
    return f"{int(wall)}.{int(counter)}.{key}"


def body(*ops: dict[str, Any]) -> dict[str, Any]:
    """A protocol 5 push body for full-stamp ops."""
    table: dict[str, str] = {}
    sent = [{**op, "hlc": compact(op["hlc"], table),
             "base_versions": {n: compact(v, table) for n, v in op["base_versions"].items()}} for op in ops]
    return {"devices": table, "ops": sent}


def push5(device: Device, payload: dict[str, Any], **headers: str) -> httpx.Response:
    data = orjson.dumps(payload)
    if headers.get("Content-Encoding") == "gzip":
        data = gzip.compress(data)
    return device.http.post("/v1/push", content=data, headers={**device.headers(), **headers,
                                                              "Content-Type": "application/json"})


def full_versions(page: dict[str, Any], entry: dict[str, Any]) -> dict[str, str]:
    """A protocol 5 record entry's versions in full form, through the page's device table."""
    names = page["devices"]
    result = {}
    for stamp, fields in entry["versions"].items():
        wall, counter, number = stamp.split(".")
        for name in fields:
            result[name] = f"{int(wall):013d}-{int(counter):05d}-{names[number]}"
    return result


def test_compact_round_trip_conflicts_and_old_clients(world: World, engine: Engine) -> None:
    structure = world.structure()
    alice, bruno = world.device(structure, protocol=5), world.device(structure, protocol=5)
    create = alice.create("mentee", MENTEE)
    response = push5(alice, body(create))
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    page = bruno.pull()
    [entry] = [e for e in page["entries"] if e.get("record_id") == create["record_id"]]
    assert all(len(stamp) < 25 for stamp in entry["versions"])  # `W.C.N`, no device id in the entry
    assert alice.id not in orjson.dumps(entry).decode() and alice.clock.device not in orjson.dumps(entry).decode()
    versions = full_versions(page, entry)
    assert versions == {name: create["hlc"] for name in [*MENTEE]}
    # Bruno edits from what he pulled (fast-forward); Alice, from her older base: a conflict.
    rename = bruno.op("update", "mentee", create["record_id"], {"first_name": "Inès"},
                      {"first_name": versions["first_name"]})
    assert push5(bruno, body(rename)).json()["results"][0]["status"] == "applied"
    late = alice.update(create, {"first_name": "Yasmine"})
    [result] = push5(alice, body(late)).json()["results"]
    assert (result["status"], result["code"]) == ("conflict", "concurrent_edit")
    [conflict] = [e["conflict"] for e in bruno.pull()["entries"] if e["type"] == "conflict"]
    assert (conflict["kept_version"], conflict["lost_version"]) == (late["hlc"], rename["hlc"])  # full stamps
    # The hub stores no device id in versions, and no second copy of the record in the feed.
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT versions, writers FROM records WHERE record_id = :r"),
                              {"r": create["record_id"]}).one()
        payload = conn.execute(text("SELECT payload FROM feed WHERE record_id = :r AND type = 'record'"),
                               {"r": create["record_id"]}).scalar_one()
    assert alice.clock.device not in stored.versions and alice.id not in stored.writers and payload == ""
    # Protocols 4 and 1 get exactly the full stamps protocol 5 stands for.
    last = bruno.pull()
    newest = full_versions(last, next(e for e in last["entries"] if e.get("record_id") == create["record_id"]))
    old, oldest = world.device(structure, protocol=4), world.device(structure, protocol=1)
    assert old.records()[create["record_id"]]["first_name"] == ("Yasmine", late["hlc"])
    assert {n: v for n, (_, v) in old.records()[create["record_id"]].items()} == newest
    assert oldest.records()[create["record_id"]] == old.records()[create["record_id"]]
    assert not [e for e in oldest.pull_all()[0] if e["type"] == "record"]  # protocol 1: field entries
    assert old.summary()["counts"] == bruno.summary()["counts"]


def test_the_clock_bound_holds_for_compact_stamps(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=5)
    ahead = device.create("mentor", MENTOR)
    ahead["hlc"] = f"{time.time_ns() // 1_000_000 + MAX_AHEAD_MS + 3_600_000:013d}-00000-{device.clock.device}"
    before = row_counts(engine)
    [result] = push5(device, body(ahead)).json()["results"]
    assert (result["status"], result["code"], result["retry"]) == ("refused", "clock_ahead", True)
    assert row_counts(engine) == before


@pytest.mark.parametrize("stamp, base, code", [
    ("1767225600000.0.7", None, "invalid_hlc"),  # a number the body's table does not have
    ("01767225600000.0.0", None, "invalid_hlc"),  # not a canonical compact stamp
    (None, "1767225600000.0.9", "invalid_base"),  # a base naming an unknown number
])
def test_an_unknown_device_number_is_refused_for_its_op(world: World, engine: Engine, stamp: str | None,
                                                        base: str | None, code: str) -> None:
    device = world.device(world.structure(), protocol=5)
    good, bad = device.create("mentor", MENTOR), device.create("mentor", MENTOR)
    payload = body(good, bad)
    if stamp is not None:
        payload["ops"][1]["hlc"] = stamp
    if base is not None:
        payload["ops"][1]["action"] = "update"
        payload["ops"][1]["base_versions"] = {"first_name": base}
    results = push5(device, payload).json()["results"]
    assert [r["status"] for r in results] == ["applied", "refused"] and results[1]["code"] == code
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM records WHERE record_id = :r"),
                            {"r": bad["record_id"]}).scalar_one() == 0


@pytest.mark.parametrize("table", [
    {"-1": "portable"}, {"01": "portable"}, {"0": "pas un id"}, {"0": ""}, {"0": 7}, ["portable"], "portable",
    {"1" + "0" * 9: "portable"}, {str(n): f"p{n}" for n in range(1001)},
], ids=["negative", "leading zero", "space in id", "empty id", "number as id", "list", "text", "too big",
        "too many"])
def test_a_forged_device_table_is_a_400_and_writes_nothing(world: World, engine: Engine, table: Any) -> None:
    device = world.device(world.structure(), protocol=5)
    payload = body(device.create("mentor", MENTOR))
    payload["devices"] = table
    before = row_counts(engine)
    response = push5(device, payload)
    assert response.status_code == 400 and response.json()["error"] == "bad_request", response.text
    assert "devices" in response.json()["message"] and row_counts(engine) == before


def test_a_zip_bomb_is_refused_with_413_and_nothing_written(world: World, engine: Engine) -> None:
    device = world.device(world.structure(), protocol=5)
    op = device.create("mentor", {**MENTOR, "notes": "x"})
    data = orjson.dumps(body(op))
    bomb = gzip.compress(data[:-1] + b" " * (200 * MAX_BODY) + b"}", 9)  # 800 MiB of JSON, ~1 MiB sent
    assert len(bomb) < MAX_BODY
    before = row_counts(engine)
    response = device.http.post("/v1/push", content=bomb, headers={
        **device.headers(), "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert "décompressé" in response.json()["message"] and row_counts(engine) == before
    if "zstd" in ENCODINGS:
        import zstandard

        zbomb = zstandard.ZstdCompressor(level=19).compress(data[:-1] + b" " * (64 * MAX_BODY) + b"}")
        response = device.http.post("/v1/push", content=zbomb, headers={
            **device.headers(), "Content-Encoding": "zstd", "Content-Type": "application/json"})
        assert response.status_code == 413 and row_counts(engine) == before
    # Just under the cap once decompressed, the same op goes.
    fits = gzip.compress(data[:-1] + b" " * (MAX_BODY - len(data) - 1) + b"}")
    response = device.http.post("/v1/push", content=fits, headers={
        **device.headers(), "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize("encoding, content, status, code", [
    ("br", b"\x0b\x02\x80{}\x03", 415, "unsupported_encoding"),
    ("gzip", b"pas du gzip", 400, "bad_request"),
    ("gzip", gzip.compress(b'{"ops": []}')[:-6], 400, "bad_request"),  # cut short
    ("gzip", gzip.compress(b'{"ops": []}') + b"junk", 400, "bad_request"),  # bytes after it
])
def test_a_body_that_is_not_what_it_claims_is_refused(world: World, engine: Engine, encoding: str, content: bytes,
                                                      status: int, code: str) -> None:
    device = world.device(world.structure(), protocol=5)
    before = row_counts(engine)
    response = device.http.post("/v1/push", content=content, headers={
        **device.headers(), "Content-Encoding": encoding, "Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert NBSP in response.json()["message"] and row_counts(engine) == before


def test_encodings_are_negotiated_and_older_protocols_get_plain_json(world: World) -> None:
    structure = world.structure()
    device = world.device(structure, protocol=5)
    assert push5(device, body(*[device.create("mentor", MENTOR) for _ in range(20)]),
                 **{"Content-Encoding": "gzip"}).status_code == 200

    def pull(protocol: int, accept: str | None) -> httpx.Response:
        headers = {**device.headers(), "Tandem-Protocol": str(protocol)}
        headers["Accept-Encoding"] = accept or "identity"
        return device.http.get("/v1/pull", params={"cursor": 0}, headers=headers)

    plain = pull(5, None)
    assert "content-encoding" not in plain.headers
    for accept, chosen in (("gzip", "gzip"), ("gzip;q=0, zstd", "zstd" if "zstd" in ENCODINGS else None),
                           ("zstd, gzip", ENCODINGS[0]), ("br", None), ("*", ENCODINGS[0])):
        answer = pull(5, accept)
        assert answer.headers.get("content-encoding") == chosen, accept
        assert answer.json() == plain.json()  # httpx decodes it: the same page
        if chosen:
            assert int(answer.headers["content-length"]) < len(plain.content) / 3
    old = pull(4, "gzip, zstd")
    assert "content-encoding" not in old.headers and "devices" not in old.json()


def test_the_device_number_is_given_at_enrollment_or_on_first_use(world: World) -> None:
    structure = world.structure()
    stamp_id = new_id()
    answer = world.enroll_raw(world.code(structure))  # no stamp id: numbered at its first push
    enrolled = httpx.post(f"{world.url}/v1/enroll", json={
        "code": world.code(structure), "device_name": "Portable", "csr_pem": make_csr()[1],
        "stamp_device": stamp_id}).json()
    assert isinstance(enrolled["device_number"], int)
    late = Device(world.url, answer.json(), protocol=5)
    world.devices.append(late)
    assert late.http.get("/v1/device", headers=late.headers()).json()["device_number"] is None
    create = late.create("mentor", MENTOR)
    push5(late, body(create))
    info = late.http.get("/v1/device", headers=late.headers()).json()
    page = late.pull()
    assert page["devices"][str(info["device_number"])] == late.clock.device
    assert "device_number" not in late.http.get("/v1/device", headers={**late.headers(),
                                                                      "Tandem-Protocol": "4"}).json()
    bad = httpx.post(f"{world.url}/v1/enroll", json={"code": world.code(structure), "device_name": "P",
                                                      "csr_pem": "x", "stamp_device": "pas un id"})
    assert bad.status_code == 400


def test_migration_0004_goes_down_and_up_with_the_data(world: World, engine: Engine) -> None:
    structure = world.structure()
    device = world.device(structure, protocol=5)
    mentor = device.create("mentor", MENTOR)
    push5(device, body(mentor, device.create("mentee", MENTEE)))
    push5(device, body(device.update(mentor, {"first_name": "Inès"})))
    old = world.device(structure, protocol=4)
    before, summary = old.records(), old.summary()
    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir() / "hub"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003_repair_stamps")
    with engine.connect() as conn:  # the previous hub's form: full stamps, the feed holding the record
        row = conn.execute(text("SELECT versions, digest_line FROM records WHERE record_id = :r"),
                           {"r": mentor["record_id"]}).one()
        payload = conn.execute(text("SELECT payload FROM feed WHERE record_id = :r AND type = 'record'"),
                               {"r": mentor["record_id"]}).scalar_one()
    assert orjson.loads(row.versions)["first_name"] == orjson.loads(payload)["versions"]["first_name"]
    assert row.digest_line.startswith(mentor["record_id"] + "|") and device.clock.device in row.digest_line
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert old.records() == before and old.summary() == summary
