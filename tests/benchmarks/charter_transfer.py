"""Charters through the hub, for bench_charter.py (issue 14, point 5).

`sync_100_charters_s`: 100 sealed charters go from one enrolled device to another of the same
structure that holds none of them, through a real hub on 127.0.0.1 (the sending device's sync, then
the receiving device's). Baseline in the same run: the same PDF bytes copied up and down over HTTP
on 127.0.0.1 with the same HTTP library and one request per file (`http_copy_s`), so the ratio says
what the protocol (metadata, chunks, checks, encrypted storage) costs over a bare copy.

`resume_resent_bytes`: a 20 MB scan is uploaded; the connection is cut in the middle of the chunk at
half of it (the chunk's first half really goes out, then the request body breaks off); the next sync
finishes the upload. The figure is every byte put on the wire for the scan, minus its size: what was
sent twice. Target: at most one chunk (1 MiB). `resume_refetched_bytes` does the same for a download
cut at half.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tandem_desktop.charter.render import Signature
from tandem_desktop.hub import admin
from tandem_desktop.hub.server import run_in_thread
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import Profile, init_profile
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import connection_settings, load_token
from tandem_desktop.sync.errors import HubUnreachable
from tests.hub.helpers import TEST_OPTIONS

SCAN_BYTES = 20_000_000  # « up to 20 MB »


class _Cut(Exception):
    """The request body breaks off here (a cable pulled, Wi-Fi lost)."""


class CountingClient(HubClient):
    """A real HubClient that counts the bytes of file chunks it puts and gets, and can be cut once:
    at upload chunk `cut_put` (half of it really sent) or download chunk `cut_get`."""

    def __init__(self, *args: Any, cut_put: int | None = None, cut_get: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.put_bytes = self.got_bytes = 0
        self.cut_put, self.cut_get = cut_put, cut_get
        self._puts = self._gets = 0

    def put_chunk(self, sha256: str, n: int, data: bytes) -> dict[str, Any]:
        self._puts += 1
        if self.cut_put is not None and self._puts == self.cut_put:
            self.cut_put = None
            self.put_bytes += self._half_put(sha256, n, data)
            raise HubUnreachable("connexion coupée (banc d’essai)")
        answer = super().put_chunk(sha256, n, data)
        self.put_bytes += len(data)
        return answer

    def get_chunk(self, sha256: str, n: int) -> bytes:
        self._gets += 1
        data = super().get_chunk(sha256, n)
        self.got_bytes += len(data)
        if self.cut_get is not None and self._gets == self.cut_get:
            self.cut_get = None  # the chunk came but the connection broke before it was stored
            raise HubUnreachable("connexion coupée (banc d’essai)")
        return data

    def _half_put(self, sha256: str, n: int, data: bytes) -> int:
        half = len(data) // 2

        def body() -> Iterator[bytes]:
            yield data[:half]
            raise _Cut()

        headers = {"Authorization": f"Bearer {self.token}", "Tandem-Protocol": str(self.protocol),
                   "Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        with contextlib.suppress(_Cut, httpx.HTTPError):
            self._http.put(f"/v1/blobs/{sha256}/chunks/{n}", content=body(), headers=headers)
        return half


def client_of(profile: Profile, **cuts: int) -> CountingClient:
    state = profile.store.remote.state()
    return CountingClient(state["hub_url"], load_token(profile, state), **connection_settings(state), **cuts)


def new_device(folder: Path, name: str, hub_url: str, code: str) -> Profile:
    settings = load_settings(folder / name, environ={"TANDEM_KDF_LOG2N": "14"})
    profile = init_profile(settings)
    sync_service.enroll(profile, hub_url, code, device_name=name)
    sync_service.sync_now(profile)
    return profile


def serve_copies() -> tuple[ThreadingHTTPServer, str, dict[str, bytes]]:
    """A bare HTTP server on 127.0.0.1 that keeps what is PUT and gives it back on GET."""
    kept: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self) -> None:
            kept[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            data = kept[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", kept


def http_copy_s(files: list[bytes]) -> float:
    """The same bytes up then down over HTTP on 127.0.0.1, one request per file, nothing else."""
    server, url, _kept = serve_copies()
    try:
        with httpx.Client(base_url=url) as http:
            started = time.perf_counter()
            for n, data in enumerate(files):
                http.put(f"/f/{n}", content=data).raise_for_status()
            for n, data in enumerate(files):
                assert http.get(f"/f/{n}").content == data
            return time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()


def measure(make_tandems: Any, signed: list[Signature], batch: int = 100) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub_db = f"sqlite:///{folder / 'hub.db'}"
        hub = run_in_thread(hub_db, options=TEST_OPTIONS)
        engine = admin.connect(hub_db)
        try:
            return _measure(folder, hub.url, engine, make_tandems, signed, batch)
        finally:
            hub.stop()
            engine.dispose()


def _measure(folder: Path, hub_url: str, engine: Any, make_tandems: Any, signed: list[Signature],
             batch: int) -> dict[str, Any]:
    structure = admin.add_structure(engine, "Mission locale de Marseille")
    counsellors = [admin.add_counsellor(engine, structure, f"Conseillère {n}", f"c{n}@exemple.fr") for n in (1, 2, 3)]
    sender = new_device(folder, "bureau", hub_url, admin.make_enroll_code(engine, counsellors[0]))
    receiver = new_device(folder, "portable", hub_url, admin.make_enroll_code(engine, counsellors[1]))
    tandems = make_tandems(sender.store, batch + 2)
    sync_service.sync_now(sender)
    sync_service.sync_now(receiver)  # it holds the tandems, and none of their charters
    service = CharterService(sender.store)
    stored = [service.seal(tandem_id, signed) for tandem_id in tandems[:batch]]
    files = [service.pdf(charter.id) for charter in stored]
    started = time.perf_counter()
    sent = sync_service.sync_now(sender)
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    got = sync_service.sync_now(receiver)
    download_s = time.perf_counter() - started
    copies = CharterService(receiver.store)
    identical = sum(hashlib.sha256(copies.pdf(c.id)).hexdigest() == c.sha256 for c in stored)
    copy_s = http_copy_s(files)
    total_s = upload_s + download_s

    scan = b"%PDF-1.4\n" + os.urandom(SCAN_BYTES - 9)
    ink = service.record_ink_signature(tandems[batch], signed_on=sender.store.today(), place="Marseille",
                                       scan=scan, scan_name="charte-signee.pdf")
    chunks = -(-SCAN_BYTES // (1 << 20))
    cut = client_of(sender, cut_put=chunks // 2 + 2)  # the reference PDF (one chunk), half the scan, then the cut
    sync_service.sync_now(sender, client=cut)
    again = client_of(sender)
    sync_service.sync_now(sender, client=again)
    put_total = cut.put_bytes + again.put_bytes - len(service.pdf(ink.id))
    cut_get = client_of(receiver, cut_get=chunks // 2 + 2)
    sync_service.sync_now(receiver, client=cut_get)
    rest = client_of(receiver)
    sync_service.sync_now(receiver, client=rest)
    got_total = cut_get.got_bytes + rest.got_bytes - len(service.pdf(ink.id))
    arrived = CharterService(receiver.store).scan(ink.id)
    for client in (cut, again, cut_get, rest):
        client.close()
    sender.close()
    receiver.close()
    return {
        "sync_100_charters_s": round(total_s, 2), "charters_upload_s": round(upload_s, 2),
        "charters_download_s": round(download_s, 2), "charters_synced": batch,
        "charters_identical": identical, "charters_mb": round(sum(map(len, files)) / 1e6, 2),
        "http_copy_s": round(copy_s, 3), "sync_charters_ratio": round(total_s / copy_s, 1),
        "charters_report": {"sent": sent.charters, "received": got.charters},
        "scan_mb": round(SCAN_BYTES / 1e6, 1), "chunk_bytes": 1 << 20,
        "resume_resent_bytes": put_total - SCAN_BYTES, "resume_refetched_bytes": got_total - SCAN_BYTES,
        "scan_identical": arrived is not None and hashlib.sha256(arrived[0]).digest() == hashlib.sha256(scan).digest(),
    }
