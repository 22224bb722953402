"""uvicorn's HTTP/1.1 protocol with a deadline for request headers.

uvicorn waits for the headers of a request for ever: a client that connects and sends nothing, or
sends its headers one byte at a time (slowloris), keeps its connection as long as it likes. Here a
connection that has no request under way (just opened, or idle after a response) must complete the
headers of its next request within `HEADER_TIMEOUT_S`. When the deadline passes:
- a request was begun (some of its bytes arrived): the client gets 408 `request_timeout` with a
  French message and `Connection: close`, then the connection is closed;
- nothing arrived: the connection is closed without an answer. There is no request to answer, and
  an unasked 408 on an idle keep-alive connection races with the request the client may be sending
  at that moment, which would then read the 408 as its own answer (RFC 9112 §9.5: a server times
  out an idle connection by closing it, and clients open a new one).
Bodies have their own deadline (guard.py); a request being answered is never cut by this one.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from .guard import MSG_SLOW_HEADERS, error_body

REASON = b"Request Timeout"


class HeaderDeadlineProtocol(H11Protocol):
    HEADER_TIMEOUT_S = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # the headers of a new request are in
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._waiting_for_headers():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.HEADER_TIMEOUT_S, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if not self._waiting_for_headers() or self.transport.is_closing():
            return
        if self.conn.trailing_data[0]:  # a request begun: h11 holds its first bytes, unparsed
            body = error_body("request_timeout", MSG_SLOW_HEADERS)
            self.transport.write(b"HTTP/1.1 408 " + REASON + b"\r\ncontent-type: application/json\r\n"
                                 b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
                                 + body)
        self.transport.close()  # after the answer is written out


def with_header_timeout(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class to give uvicorn (Config(http=...)) for this deadline."""
    return type("HubHTTPProtocol", (HeaderDeadlineProtocol,), {"HEADER_TIMEOUT_S": seconds})
