"""The hub served by uvicorn in a background thread on a real socket: for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from .app import create_app
from .config import HubOptions, TLSFiles
from .http_protocol import with_header_timeout


@dataclass
class RunningHub:
    """A hub listening at `url` until stop(); also a context manager."""

    url: str
    app: FastAPI
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self.app.state.engine.dispose()

    def __enter__(self) -> RunningHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def uvicorn_settings(options: HubOptions, tls: TLSFiles | None) -> dict[str, object]:
    """What `tandem-hub serve` and the tests both give uvicorn: HTTP/1.1 with a deadline for request
    headers, and no X-Forwarded-For handling of its own (the hub decides whether to trust a proxy)."""
    settings: dict[str, object] = {"proxy_headers": False, "server_header": False,
                                   "http": with_header_timeout(options.header_timeout_s)}
    if tls is not None:
        settings.update(ssl_certfile=str(tls.cert_file), ssl_keyfile=str(tls.key_file))
    return settings


def run_in_thread(db_url: str, host: str = "127.0.0.1", port: int = 0, *, options: HubOptions | None = None,
                  tls: TLSFiles | None = None) -> RunningHub:
    """Start the hub on `db_url` (migrated first); port 0 picks a free port. Returns once it listens,
    at https:// when `tls` is given."""
    options = options or HubOptions()
    app = create_app(db_url, options)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else Nagle and
    # delayed ACKs add ~40 ms to every response).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=5, **uvicorn_settings(options, tls))  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="tandem-hub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            server.should_exit = True
            app.state.engine.dispose()
            raise RuntimeError("Le hub n’a pas démarré.")
        time.sleep(0.005)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    scheme = "https" if tls is not None else "http"
    return RunningHub(f"{scheme}://{shown}:{bound_port}", app, server, thread)
