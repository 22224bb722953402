"""Hostile requests: each gets a 4xx with a French message, and not one row of any hub table changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import Engine

from tandem_desktop.hub import admin

from .helpers import MENTEE, MENTOR, Device, World, row_counts


class Scene:
    """Two structures with data, a device of each, and a revoked device."""

    def __init__(self, world: World):
        a, b = world.structure(), world.structure()
        self.world = world
        self.alice, self.bruno = world.device(a), world.device(b)
        self.revoked = world.device(a)
        self.mentee = self.alice.create("mentee", MENTEE)
        self.mentor = self.alice.create("mentor", MENTOR)
        self.alice.push(self.mentee, self.mentor)
        admin.revoke_device(world.engine, self.revoked.id)

    def fresh_ops(self, device: Device) -> list[dict]:
        return [device.create("mentor", MENTOR), device.update(self.mentor, {"employer": "Intrus"})]

    def post(self, body: bytes | None = None, headers: dict | None = None, **kwargs: object) -> httpx.Response:
        return httpx.post(f"{self.world.url}/v1/push", content=body, headers=headers, timeout=60, **kwargs)


Attack = Callable[[Scene], httpx.Response]


def _json_push(scene: Scene, ops: list[dict], headers: dict) -> httpx.Response:
    return scene.alice.http.post("/v1/push", json={"ops": ops}, headers=headers)


def _huge_chunked(scene: Scene) -> httpx.Response:
    def chunks() -> Iterator[bytes]:
        yield b'{"ops": [{"op_id": "x", "changes": {"notes": "'
        for _ in range(80):
            yield b"a" * 65536
        yield b'"}}]}'

    return scene.post(chunks(), headers=scene.alice.headers())  # no Content-Length: streamed


ATTACKS: dict[str, tuple[int, str, Attack]] = {
    "no token": (401, "unauthorized", lambda s: _json_push(s, s.fresh_ops(s.alice), {"Tandem-Protocol": "2"})),
    "unknown token": (401, "unauthorized", lambda s: _json_push(
        s, s.fresh_ops(s.alice), {"Authorization": "Bearer " + "x" * 43, "Tandem-Protocol": "2"})),
    "revoked token": (403, "revoked", lambda s: _json_push(s, s.fresh_ops(s.revoked), s.revoked.headers())),
    "another structure's ids": (403, "forbidden", lambda s: s.bruno.push_raw(
        [s.bruno.update(s.mentee, {"notes": "x"}), s.bruno.delete(s.mentee)])),
    "malformed JSON": (400, "bad_request", lambda s: s.post(b'{"ops": [', s.alice.headers())),
    "not an object": (400, "bad_request", lambda s: s.post(b"[1, 2]", s.alice.headers())),
    "op of the wrong shape": (400, "bad_request", lambda s: _json_push(
        s, [*s.fresh_ops(s.alice), {"op_id": 12, "changes": []}], s.alice.headers())),
    "deeply nested JSON": (400, "bad_request", lambda s: s.post(b"[" * 100_000 + b"]" * 100_000, s.alice.headers())),
    "huge payload": (413, "too_large", lambda s: _json_push(
        s, [{**s.fresh_ops(s.alice)[0], "changes": {"notes": "a" * (5 << 20)}}], s.alice.headers())),
    "huge streamed payload": (413, "too_large", _huge_chunked),
    "too many operations": (413, "too_large", lambda s: _json_push(
        s, [s.alice.create("mentor", MENTOR) for _ in range(501)], s.alice.headers())),
    "client too old": (426, "upgrade_required", lambda s: _json_push(
        s, s.fresh_ops(s.alice), {**s.alice.headers(), "Tandem-Protocol": "0"})),
    "negative cursor": (400, "bad_request", lambda s: s.alice.http.get(
        "/v1/pull", params={"cursor": "-1"}, headers=s.alice.headers())),
    "cursor not a number": (400, "bad_request", lambda s: s.alice.http.get(
        "/v1/pull", params={"cursor": "1 OR 1=1"}, headers=s.alice.headers())),
    "cursor beyond the hub": (400, "bad_request", lambda s: s.alice.http.get(
        "/v1/pull", params={"cursor": "999999"}, headers=s.alice.headers())),
    "enrollment with garbage": (400, "bad_request", lambda s: httpx.post(
        f"{s.world.url}/v1/enroll", content=b'{"code": 5}', timeout=30)),
    "enrollment with a guessed code": (400, "invalid_code", lambda s: s.world.enroll_raw("ABCDEFGHJK")),
    "unknown route": (404, "not_found", lambda s: s.alice.http.post("/v1/admin/devices", headers=s.alice.headers())),
}


@pytest.fixture
def scene(world: World) -> Scene:
    return Scene(world)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_request_gets_4xx_and_writes_nothing(scene: Scene, engine: Engine, name: str) -> None:
    status, code, attack = ATTACKS[name]
    before = row_counts(engine)
    response = attack(scene)
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["error"] == code and body["message"]
    assert row_counts(engine) == before
    # The hub still serves honest requests afterwards.
    assert scene.alice.push(scene.alice.create("mentor", MENTOR))["results"][0]["status"] == "applied"
