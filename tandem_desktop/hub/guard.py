"""What protects the hub from clients that flood or stall it, as one ASGI middleware.

- Enrollment attempts (POST /v1/enroll) are counted per client address in a sliding window; beyond
  the limit the hub answers 429 with Retry-After before reading the body. An attempt that enrolls a
  device is given back: only failures (a guessed, used or expired code, a bad request) count, so an
  office behind one address can still enroll all its laptops. IPv6 clients count per /64, the block
  one host usually holds.
- Request headers must arrive in time (http_protocol.py: 408 once a request has begun).
- A request body must arrive in time: `body_timeout_s`, plus a second per `body_min_rate` bytes
  received (as Apache's mod_reqtimeout does), at most `body_max_s`. A client that trickles its body
  (slowloris) gets 408 and its connection is closed, whatever the route does with the body.
- The client address is the socket's peer; the last X-Forwarded-For entry only with `trust_proxy`
  (the proxy in front appends the address it saw; earlier entries are the client's own claims).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

import orjson

from ..texts.french import NBSP
from .config import HubOptions

ENROLL_PATH = "/v1/enroll"
MAX_TRACKED = 50_000  # addresses remembered at most; the oldest are forgotten first
MSG_SLOW_BODY = (f"Requête trop lente{NBSP}: son contenu n’est pas arrivé à temps. Vérifiez la connexion et "
                 "réessayez.")
MSG_SLOW_HEADERS = (f"Requête trop lente{NBSP}: ses en-têtes ne sont pas arrivés à temps. Vérifiez la connexion "
                    "et réessayez.")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]


def too_many_attempts_message(retry_after_s: int) -> str:
    minutes = max(1, math.ceil(retry_after_s / 60))
    return (f"Trop de tentatives d’enrôlement depuis cette adresse{NBSP}: réessayez dans {minutes} minute"
            f"{'s' if minutes > 1 else ''}, avec le code exact remis par l’administrateur du hub.")


class AttemptLimiter:
    """At most `attempts` per key in any `window_s` seconds; thread-safe, in memory."""

    def __init__(self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_TRACKED):
        self.attempts, self.window_s, self.clock, self.max_keys = attempts, window_s, clock, max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """Count one attempt and return None, or return the seconds to wait (nothing counted)."""
        now = self.clock()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if len(times) >= self.attempts:
                self._seen[key] = times
                return max(1, math.ceil(times[0] + self.window_s - now))
            times.append(now)
            self._seen[key] = times  # most recently used last
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            return None

    def give_back(self, key: str) -> None:
        """Forget the latest attempt of `key` (it enrolled a device)."""
        with self._lock:
            times = self._seen.get(key)
            if times:
                times.pop()


def client_address(scope: Scope, trust_proxy: bool) -> str:
    """The address attempts are counted under (an IPv6 address by its /64)."""
    text = (scope.get("client") or ("unknown", 0))[0]
    if trust_proxy:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                last = value.decode("latin-1").split(",")[-1].strip()
                if last:
                    text = last
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class BodyTooSlow(Exception):
    """Raised from `receive` when the body deadline passes; the guard answers 408."""


class RequestGuard:
    """ASGI middleware applying the enrollment rate limit and the body deadline (module docstring)."""

    def __init__(self, app: ASGIApp, options: HubOptions, limiter: AttemptLimiter):
        self.app, self.options, self.limiter = app, options, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = None
        if scope["path"] == ENROLL_PATH and scope["method"] == "POST":
            key = client_address(scope, self.options.trust_proxy)
            wait = self.limiter.take(key)
            if wait is not None:
                await _error(send, 429, "too_many_attempts", too_many_attempts_message(wait),
                             [(b"retry-after", str(wait).encode())])
                return
        started = {"status": 0}

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started["status"] = message["status"]
                if key is not None and message["status"] < 300:
                    self.limiter.give_back(key)
            await send(message)

        try:
            await self.app(scope, self._timed(receive), watched_send)
        except BodyTooSlow:
            if started["status"]:
                raise
            await _error(send, 408, "request_timeout", MSG_SLOW_BODY, [(b"connection", b"close")])

    def _timed(self, receive: Receive) -> Receive:
        options = self.options
        loop = asyncio.get_running_loop()
        start = loop.time()
        state = {"received": 0, "done": False}

        async def timed_receive() -> Message:
            if state["done"]:  # the whole body is in: waiting for a disconnect is not slow
                return await receive()
            allowed = min(options.body_timeout_s + state["received"] / options.body_min_rate, options.body_max_s)
            remaining = start + allowed - loop.time()
            try:
                message = await asyncio.wait_for(receive(), max(remaining, 0.0))
            except TimeoutError:
                raise BodyTooSlow() from None
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                state["done"] = not message.get("more_body", False)
            return message

        return timed_receive


def error_body(code: str, message: str) -> bytes:
    """An error answer's JSON body (PROTOCOL.md, "Endpoints")."""
    return orjson.dumps({"error": code, "message": message})


async def _error(send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = error_body(code, message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
