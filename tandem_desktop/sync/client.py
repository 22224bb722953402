"""HTTP client of the hub protocol (PROTOCOL.md): the ONLY module that talks to the hub.

Every failure becomes a `SyncError` subclass with a French message, so callers never see httpx.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from ..domain.compression import ENCODINGS, compress
from ..texts.french import NBSP
from .errors import (
    AccessDenied,
    AuthenticationFailed,
    DeviceRevoked,
    EnrollmentRefused,
    HubError,
    HubUnreachable,
    HubUntrusted,
    InsecureHub,
    PayloadTooLarge,
    SyncError,
    UpdateRequired,
)
from .wire import accept_encoding, compact_push, decompress, full_entries

PROTOCOL = 6  # what this release speaks
MIN_PROTOCOL = 1  # the oldest hub protocol this release can still speak
COMPACT = 5  # compact stamps and compressed bodies (sync/wire.py)
CHARTERS = 6  # the charter feed and blobs (PROTOCOL.md, "Charters and attachments"; sync/attachments.py)
MAX_BODY = 4 * 1024 * 1024  # the hub's limit for one push
MAX_CHUNK = 1024 * 1024 + 64 * 1024  # a blob chunk is 1 MiB (`chunk_size`): a little room, never more
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
MAX_ANSWER = 256 * 1024 * 1024  # a page of 1,000 records of 64 KiB at most, with room; also decoded


# OpenSSL's verification failures a counsellor may meet, in French (X509_V_ERR_* codes).
TLS_FAILURES = {10: "certificat expiré", 18: "certificat auto-signé", 19: "autorité inconnue",
                20: "autorité inconnue", 21: "autorité inconnue", 62: "le nom du serveur n’est pas celui du certificat"}


@functools.lru_cache(maxsize=8)
def tls_context(extra_ca_pem: str | None = None) -> ssl.SSLContext:
    """Certificates are checked against the system's trust store and Mozilla's (certifi), plus the
    hub's own authority when it has one (kept at enrollment). Built once per authority: loading the
    bundles costs tens of milliseconds, every sync."""
    context = httpx.create_ssl_context()
    context.load_default_certs()
    if extra_ca_pem:
        context.load_verify_locations(cadata=extra_ca_pem)
    return context


def normalize_url(url: str) -> str:
    """The address as stored: no trailing slash, the scheme in lower case, https:// when none."""
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        return f"{scheme.lower()}://{rest}"
    return "https://" + url


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves this machine."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def needs_insecure_http(url: str) -> bool:
    """True for a plain http:// address of another machine: allowed only when explicitly chosen."""
    try:
        parts = urlsplit(normalize_url(url))
        host = parts.hostname or ""
    except ValueError:  # not an address at all: the client says so when it tries it
        return False
    return parts.scheme == "http" and not is_loopback(host)


def check_transport(url: str, insecure_http: bool) -> None:
    """InsecureHub unless the address is https://, this machine, or plain http was explicitly allowed."""
    if needs_insecure_http(url) and not insecure_http:
        raise InsecureHub(url)


def _tls_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def decoded(response: httpx.Response, raw: bytes, plain: bool = False, cap: int | None = None) -> httpx.Response:
    """The answer with its body decoded here, never past `cap`: a hub (or a proxy) cannot make
    this device inflate a few kilobytes into gigabytes (sync/wire.py, decompress)."""
    limit = MAX_ANSWER if cap is None else cap
    body = raw if plain else decompress(raw, response.headers.get("content-encoding"), limit)
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding",
                                                                                      "content-length")]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)


class BlobRefused(SyncError):
    """409 on a blob upload (`blob_mismatch`, `seal_invalid`): the hub dropped the file; `code` says why."""

    def __init__(self, message: str, code: str):
        super().__init__(message or f"Le hub refuse ce fichier ({code}).")
        self.code = code


class NotAtHub(SyncError):
    """404 on a blob: no charter in this device's scope names it, or its chunks are not complete yet."""

    def __init__(self) -> None:
        super().__init__(f"Ce fichier n’est pas (encore) au hub{NBSP}: le poste qui a enregistré la charte ne l’a "
                         "pas encore envoyé.")


BLOB_REFUSALS = ("blob_mismatch", "seal_invalid", "quota_exceeded")


def raise_for(response: httpx.Response) -> None:
    """Map an error status to its French exception (the protocol's status codes)."""
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    code, message = str(body.get("error") or ""), str(body.get("message") or "")
    if status == 409 and code in BLOB_REFUSALS:
        raise BlobRefused(message, code)
    if status == 401:
        raise AuthenticationFailed()
    if status == 403:
        raise DeviceRevoked(message) if code == "revoked" else AccessDenied(message, body)
    if status == 409 or code in ("code_used", "code_expired", "code_unknown", "invalid_code"):
        raise EnrollmentRefused(message or "Code d’enrôlement refusé (déjà utilisé, expiré ou inconnu).")
    if status == 413:
        raise PayloadTooLarge()
    if status == 426:
        raise UpdateRequired(message)
    if status >= 500:
        raise HubError(f"erreur {status}")
    raise HubError(message or f"requête refusée ({status} {code})".strip())


class HubClient:
    """One hub, one device token. Use as a context manager, or call close().

    Refuses (InsecureHub) a plain http:// address of another machine unless `insecure_http` (the
    choice made at enrollment); `tls_ca_pem` adds the hub's own authority to the trusted ones."""

    def __init__(self, base_url: str, token: str | None = None, *, protocol: int = PROTOCOL,
                 timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None,
                 insecure_http: bool = False, tls_ca_pem: str | None = None):
        self.base_url = normalize_url(base_url)
        self.token = token
        self.protocol = protocol
        self.encodings: list[str] = []  # what the hub takes and gives (hello, protocol 5)
        self.bytes_sent = 0  # bodies as they went on the wire (compressed), for benchmarks
        self.bytes_received = 0
        check_transport(self.base_url, insecure_http)
        try:
            verify = tls_context(tls_ca_pem or None)
        except (ssl.SSLError, ValueError) as exc:
            raise SyncError("Certificat de l’autorité du hub illisible\u00a0: un fichier PEM est attendu.") from exc
        try:
            self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                      verify=verify, headers={"User-Agent": "TandemDesktop"})
        except (httpx.InvalidURL, ValueError) as exc:
            raise HubUnreachable(f"adresse invalide «\u00a0{self.base_url}\u00a0»") from exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, auth: bool = True, body: Any = None,
                 params: dict[str, Any] | None = None, compressible: bool = False) -> Any:
        headers: dict[str, str] = {}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
            chosen = next((name for name in ENCODINGS if name in self.encodings), None) \
                if self.protocol >= COMPACT and compressible else None
            if chosen is not None and len(content) >= 512:
                content = compress(content, chosen)
                headers["Content-Encoding"] = chosen
        response = self._exchange(method, path, auth=auth, content=content, headers=headers, params=params)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise HubError("réponse illisible") from exc

    def _exchange(self, method: str, path: str, *, auth: bool = True, content: bytes | None = None,
                  headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                  cap: int | None = None, not_found: bool = False) -> httpx.Response:
        """One request, its answer read (never past `cap`, also once decoded) and its error status
        mapped to a French exception (`not_found`: a 404 is NotAtHub); bytes on the wire are counted."""
        cap = MAX_ANSWER if cap is None else cap  # read at each call (a test lowers it)
        headers = {"Tandem-Protocol": str(self.protocol), **(headers or {})}
        if auth:
            if not self.token:
                raise AuthenticationFailed()
            headers["Authorization"] = f"Bearer {self.token}"
        headers.setdefault("Accept-Encoding", accept_encoding())  # decoded here, with a cap (sync/wire.py)
        try:
            request = self._http.build_request(method, path, content=content, params=params, headers=headers)
            response = self._http.send(request, stream=True)
            try:
                raw = bytearray()
                plain = response.is_stream_consumed  # already read and decoded (a test's mock transport)
                for chunk in [response.content] if plain else response.iter_raw():
                    raw += chunk
                    if len(raw) > cap:
                        raise HubError("réponse du hub trop volumineuse")
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise HubUnreachable("délai dépassé") from exc
        except httpx.TransportError as exc:  # connection refused, DNS, TLS, cut connection…
            if (failure := _tls_failure(exc)) is not None:
                raise HubUntrusted(TLS_FAILURES.get(failure.verify_code, "")) from exc
            raise HubUnreachable() from exc
        except httpx.InvalidURL as exc:
            raise HubUnreachable(f"adresse invalide «\u00a0{self.base_url}\u00a0»") from exc
        self.bytes_sent += len(content or b"")
        self.bytes_received += len(raw)
        response = decoded(response, bytes(raw), plain, cap)
        if not_found and response.status_code == 404:
            raise NotAtHub()
        raise_for(response)
        return response

    # -- endpoints ---------------------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        answer = self._request("GET", "/v1/hello", auth=False)
        if not isinstance(answer, dict) or not isinstance(answer.get("protocol"), int):
            raise HubError("ce serveur ne parle pas le protocole Tandem")
        return answer

    def negotiate(self) -> dict[str, Any]:
        """GET /v1/hello, then speak the highest protocol both sides know; UpdateRequired if none."""
        hello = self.hello()
        hub_max, hub_min = int(hello["protocol"]), int(hello.get("min_protocol", hello["protocol"]))
        chosen = min(self.protocol, hub_max)
        if chosen < hub_min or chosen < MIN_PROTOCOL:
            raise UpdateRequired()
        self.protocol = chosen
        encodings = hello.get("encodings")
        self.encodings = [e for e in encodings if isinstance(e, str)] if isinstance(encodings, list) else []
        return hello

    def enroll(self, code: str, device_name: str, csr_pem: str, stamp_device: str | None = None) -> dict[str, Any]:
        """`stamp_device` (protocol 5): the id this device stamps with, numbered by the hub now."""
        body = {"code": code, "device_name": device_name, "csr_pem": csr_pem}
        if stamp_device and self.protocol >= COMPACT:
            body["stamp_device"] = stamp_device
        return self._request("POST", "/v1/enroll", auth=False, body=body)

    def device(self) -> dict[str, Any]:
        return self._request("GET", "/v1/device")

    def push(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        compact = self.protocol >= COMPACT
        answer = self._request("POST", "/v1/push", body=compact_push(ops) if compact else {"ops": ops},
                               compressible=True)
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise HubError("réponse d’envoi illisible")
        return answer

    def pull(self, cursor: int, limit: int) -> dict[str, Any]:
        answer = self._request("GET", "/v1/pull", params={"cursor": cursor, "limit": limit})
        if not isinstance(answer, dict) or not isinstance(answer.get("entries"), list) or "cursor" not in answer:
            raise HubError("page de changements illisible")
        if self.protocol >= COMPACT:
            answer["entries"] = full_entries(answer)  # the local database keeps full stamps
        return answer

    def summary(self) -> dict[str, Any]:
        return self._request("GET", "/v1/summary")

    def rules(self) -> dict[str, Any]:
        """The hub's retention rules (GET /v1/rules; PROTOCOL.md, "Retention")."""
        return self._request("GET", "/v1/rules")

    def history(self, kind: str, record_id: str) -> dict[str, Any]:
        """Who changed what in one record (GET /v1/history; PROTOCOL.md, "History")."""
        return self._request("GET", "/v1/history", params={"kind": kind, "record_id": record_id})

    # -- charters and blobs (protocol 6) -----------------------------------------------------------

    def announce_charters(self, charters: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /v1/charters: the metadata of up to 100 charters; one result per charter, in order."""
        answer = self._request("POST", "/v1/charters", body={"charters": charters})
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list) \
                or len(answer["results"]) != len(charters):
            raise HubError("réponse d’envoi des chartes illisible")
        return answer

    def charters(self, cursor: int, limit: int) -> dict[str, Any]:
        """GET /v1/charters: the charter feed of this device's scope after `cursor`."""
        answer = self._request("GET", "/v1/charters", params={"cursor": cursor, "limit": limit})
        if not isinstance(answer, dict) or not isinstance(answer.get("charters"), list) \
                or not isinstance(answer.get("cursor"), int) or isinstance(answer["cursor"], bool):
            raise HubError("page de chartes illisible")
        return answer

    def verify_charter(self, number: str) -> dict[str, Any]:
        """GET /v1/charters/verify/{number}: the hub's public word on a charter number (no credential)."""
        answer = self._request("GET", f"/v1/charters/verify/{quote(number.strip(), safe='')}", auth=False)
        if not isinstance(answer, dict) or not isinstance(answer.get("charters", []), list):
            raise HubError("réponse de vérification illisible")
        return answer

    def blob_status(self, sha256: str) -> dict[str, Any]:
        """GET /v1/blobs/{sha256}: size, chunk size and the chunks the hub holds (NotAtHub: 404)."""
        answer = self._blob_json("GET", f"/v1/blobs/{_digest(sha256)}")
        numbers = ("size", "chunk_size", "chunks")
        if not all(isinstance(answer.get(n), int) and not isinstance(answer[n], bool) for n in numbers) \
                or not 0 < answer["chunk_size"] <= MAX_CHUNK or not isinstance(answer.get("received"), list):
            raise HubError("état du fichier illisible")
        return answer

    def put_chunk(self, sha256: str, n: int, data: bytes) -> dict[str, Any]:
        """PUT /v1/blobs/{sha256}/chunks/{n}: raw bytes, never compressed (BlobRefused: 409)."""
        answer = self._blob_json("PUT", f"/v1/blobs/{_digest(sha256)}/chunks/{int(n)}", content=bytes(data),
                                 headers={"Content-Type": "application/octet-stream"})
        if not isinstance(answer.get("received"), list):
            raise HubError("réponse d’envoi de fichier illisible")
        return answer

    def get_chunk(self, sha256: str, n: int) -> bytes:
        """GET /v1/blobs/{sha256}/chunks/{n}: the chunk's raw bytes (NotAtHub: 404, not complete yet)."""
        path = f"/v1/blobs/{_digest(sha256)}/chunks/{int(n)}"
        return self._blob(path, "GET", cap=MAX_CHUNK, headers={"Accept-Encoding": "identity"}).content

    def _blob(self, path: str, method: str, **kwargs: Any) -> httpx.Response:
        return self._exchange(method, path, not_found=True, **kwargs)

    def _blob_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._blob(path, method, **kwargs)
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise HubError("réponse illisible") from exc
        if not isinstance(answer, dict):
            raise HubError("réponse illisible")
        return answer


def _digest(sha256: str) -> str:
    """A digest as it goes into a path: 64 lower-case hex digits, nothing else."""
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise HubError("empreinte de fichier invalide")
    return sha256


def probe(hub_url: str, timeout: float = 2.0) -> bool:
    """True if a Tandem hub answers GET /v1/hello at this address within `timeout` seconds.

    The probe carries no token and no data, so it may use plain http; and a hub whose certificate
    this process cannot verify (its own authority is kept with the enrollment, not known here) is
    still there: the sync that follows checks the certificate and says what is wrong."""
    try:
        with HubClient(hub_url, timeout=httpx.Timeout(timeout), insecure_http=True) as client:
            client.hello()
    except HubUntrusted:
        return True
    except SyncError:
        return False
    return True
