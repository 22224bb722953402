"""Clients that flood or stall the hub, over real HTTP and raw sockets: enrollment attempts are
limited per client address (429, Retry-After, French), a body that trickles in gets 408 and its
connection is closed, and the hub keeps serving everyone else meanwhile."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tandem_desktop.hub.guard import AttemptLimiter, client_address
from tandem_desktop.hub.server import RunningHub, run_in_thread

from .helpers import TEST_OPTIONS, World, make_csr, row_counts

NBSP = "\u00a0"


@pytest.fixture
def strict_hub(db_url: str, engine: Engine) -> Iterator[RunningHub]:
    """A hub allowing 3 failed enrollment attempts per address, 0.5 s for request headers and 1 s
    (+1 s per 20 kB received) for a body."""
    options = replace(TEST_OPTIONS, enroll_attempts=3, enroll_window_s=600, header_timeout_s=0.5,
                      body_timeout_s=1.0, body_min_rate=20_000)
    running = run_in_thread(db_url, options=options)
    yield running
    running.stop()


def _attempt(url: str, code: str = "AAAAAAAAAA", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{url}/v1/enroll", json={"code": code, "device_name": "Portable", "csr_pem": make_csr()[1]},
                      headers=headers or {}, timeout=30)


def test_enrollment_attempts_are_limited_per_address(strict_hub: RunningHub, engine: Engine) -> None:
    world = World(strict_hub.url, engine)
    structure = world.structure()
    assert [_attempt(strict_hub.url).status_code for _ in range(3)] == [400, 400, 400]
    good_code = world.code(structure)
    before = row_counts(engine)
    refused = _attempt(strict_hub.url, good_code)  # even a right code waits: the address is out of attempts
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "too_many_attempts" and body["message"].startswith("Trop de tentatives")
    assert f"{NBSP}:" in body["message"] and "10 minutes" in body["message"]
    assert 590 <= int(refused.headers["Retry-After"]) <= 600
    # Claiming another address does not help when the hub is not told to trust a proxy.
    assert _attempt(strict_hub.url, good_code, {"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert row_counts(engine) == before, "a refused attempt writes nothing"
    assert httpx.get(f"{strict_hub.url}/v1/hello").status_code == 200  # other routes are not limited


def test_successful_enrollments_do_not_count(strict_hub: RunningHub, engine: Engine) -> None:
    world = World(strict_hub.url, engine)
    structure = world.structure()
    for _ in range(5):  # an office enrolling its laptops one after the other, from one address
        assert _attempt(strict_hub.url, world.code(structure)).status_code == 200
    assert [_attempt(strict_hub.url).status_code for _ in range(4)] == [400, 400, 400, 429]


def test_concurrent_attempts_cannot_overrun_the_limit(strict_hub: RunningHub) -> None:
    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(lambda _: _attempt(strict_hub.url).status_code, range(12)))
    assert statuses == [400] * 3 + [429] * 9


def test_behind_a_trusted_proxy_the_forwarded_address_counts(db_url: str, engine: Engine) -> None:
    options = replace(TEST_OPTIONS, enroll_attempts=2, trust_proxy=True)
    with run_in_thread(db_url, options=options) as hub:
        first = {"X-Forwarded-For": "198.51.100.1"}
        assert [_attempt(hub.url, headers=first).status_code for _ in range(3)] == [400, 400, 429]
        assert _attempt(hub.url, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 400
        # The proxy appends the address it saw; what the client wrote before it is not believed.
        spoofed = {"X-Forwarded-For": "192.0.2.50, 198.51.100.1"}
        assert _attempt(hub.url, headers=spoofed).status_code == 429


def test_the_limit_slides_and_ipv6_hosts_count_per_block() -> None:
    now = [1000.0]
    limiter = AttemptLimiter(2, 60, clock=lambda: now[0])
    assert limiter.take("a") is None and limiter.take("a") is None
    assert limiter.take("a") == 60 and limiter.take("b") is None
    now[0] += 45
    assert limiter.take("a") == 15
    now[0] += 15
    assert limiter.take("a") is None  # both attempts left the window
    limiter.give_back("a")  # that one enrolled a device
    assert limiter.take("a") is None and limiter.take("a") is None and limiter.take("a") == 60
    small = AttemptLimiter(1, 60, clock=lambda: now[0], max_keys=3)
    for key in "wxyz":
        assert small.take(key) is None
    assert small.take("w") is None  # forgotten first, memory stays bounded
    one_host = [client_address({"client": (f"2001:db8:1:2::{n}", 1)}, False) for n in ("1", "2", "ffff:1")]
    assert len(set(one_host)) == 1 and one_host[0] == "2001:db8:1:2::/64"
    assert client_address({"client": ("::ffff:192.0.2.9", 1)}, False) == "192.0.2.9"
    forwarded = {"client": ("127.0.0.1", 1), "headers": [(b"x-forwarded-for", b"10.0.0.1, 192.0.2.3")]}
    assert client_address(forwarded, True) == "192.0.2.3" and client_address(forwarded, False) == "127.0.0.1"


# -- slow bodies --------------------------------------------------------------------------------


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=15)
    return sock


def _head(path: str, length: int, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(rest) < int(headers.get("content-length", 0)):
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), headers, rest


def _closed_soon(sock: socket.socket, seconds: float = 5.0) -> bool:
    """True if the hub closes the connection within `seconds`, while the client keeps trickling."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            sock.sendall(b" ")
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: closed by the hub
            return True
    return False


@pytest.mark.parametrize("path", ["/v1/enroll", "/v1/push"])
def test_a_trickling_body_gets_408_and_its_connection_closed(strict_hub: RunningHub, engine: Engine,
                                                             path: str) -> None:
    world = World(strict_hub.url, engine)
    auth = ""
    if path == "/v1/push":
        device = world.device(world.structure())
        auth = f"Authorization: Bearer {device.token}\r\nTandem-Protocol: 3\r\n"
        device.close()
    before = row_counts(engine)
    sock = _connect(strict_hub.url)
    started = time.monotonic()
    sock.sendall(_head(path, 10_000, auth) + b'{"ops": [')
    sock.settimeout(0.25)
    answer = b""
    while not answer and time.monotonic() - started < 10:  # one byte every 0.25 s: a slowloris
        try:
            answer = sock.recv(65536, socket.MSG_PEEK)
        except TimeoutError:
            sock.sendall(b" ")
    elapsed = time.monotonic() - started
    assert answer, "the hub kept waiting for the body"
    sock.settimeout(15)
    status, headers, body = _read_response(sock)
    assert status == 408 and 0.9 <= elapsed < 4, (status, elapsed)
    assert headers["connection"] == "close"
    error = orjson.loads(body)
    assert error["error"] == "request_timeout" and error["message"].startswith(f"Requête trop lente{NBSP}:")
    assert _closed_soon(sock), "the hub let the slow client keep its connection"
    sock.close()
    assert row_counts(engine) == before
    assert httpx.get(f"{strict_hub.url}/v1/hello", timeout=5).status_code == 200


def test_a_slow_but_steady_upload_still_arrives(strict_hub: RunningHub, engine: Engine) -> None:
    """60 kB at about 40 kB/s takes 1.5 s, past the 1 s bound, but earns a second per 20 kB received
    (and the 0.5 s header deadline never cuts a request under way)."""
    world = World(strict_hub.url, engine)
    code = world.code(world.structure())
    payload = orjson.dumps({"code": code, "device_name": "Portable lent", "csr_pem": make_csr()[1]})
    body = payload[:-1] + b" " * (60_000 - len(payload)) + b"}"  # JSON whitespace: the same request, bigger
    sock = _connect(strict_hub.url)
    sock.sendall(_head("/v1/enroll", len(body)))
    started = time.monotonic()
    for offset in range(0, len(body), 4000):
        sock.sendall(body[offset:offset + 4000])
        time.sleep(0.1)
    status, _, answer = _read_response(sock)
    sock.close()
    assert time.monotonic() - started > 1.2
    assert status == 200, answer
    assert orjson.loads(answer)["device_id"]


def test_headers_that_never_end_get_408_and_idle_connections_are_closed(strict_hub: RunningHub) -> None:
    """Red team finding 4: PROTOCOL.md promises 408 for headers not received in time; the hub closed
    the connection without a word. A request begun gets the 408 (then the close); a connection that
    never began one is closed silently (there is nothing to answer, see http_protocol.py)."""
    stalled = _connect(strict_hub.url)
    stalled.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: hub\r\n")  # the blank line never comes
    trickled = _connect(strict_hub.url)
    trickled.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: hub\r\nX-Lent: ")
    idle = _connect(strict_hub.url)
    started = time.monotonic()
    stalled.settimeout(5)
    status, headers, body = _read_response(stalled)
    assert status == 408 and headers["connection"] == "close" and headers["content-type"] == "application/json"
    error = orjson.loads(body)
    assert error["error"] == "request_timeout"
    assert error["message"].startswith(f"Requête trop lente{NBSP}: ses en-têtes ne sont pas arrivés à temps.")
    assert stalled.recv(10) == b"", "closed after its answer"
    assert _closed_soon(trickled, 5), "headers sent one byte at a time kept the connection"
    idle.settimeout(5)
    assert idle.recv(10) == b"", "a connection that never sent a request was kept, or got an answer"
    assert time.monotonic() - started < 3
    for sock in (stalled, trickled, idle):
        sock.close()
    # A connection used as usual keeps working: two requests in a row, then it is closed when idle.
    sock = _connect(strict_hub.url)
    for _ in range(2):
        sock.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: hub\r\n\r\n")
        status, _, body = _read_response(sock)
        assert status == 200 and orjson.loads(body)["protocol"] >= 3
    sock.settimeout(5)
    assert sock.recv(10) == b""
    sock.close()
