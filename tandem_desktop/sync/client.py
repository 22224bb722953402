"""HTTP client of the hub protocol (PROTOCOL.md): the ONLY module that talks to the hub.

Every failure becomes a `SyncError` subclass with a French message, so callers never see httpx.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import orjson

from .errors import (
    AccessDenied,
    AuthenticationFailed,
    DeviceRevoked,
    EnrollmentRefused,
    HubError,
    HubUnreachable,
    PayloadTooLarge,
    SyncError,
    UpdateRequired,
)

PROTOCOL = 4  # what this release speaks
MIN_PROTOCOL = 1  # the oldest hub protocol this release can still speak
MAX_BODY = 4 * 1024 * 1024  # the hub's limit for one push
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs tens of milliseconds, every sync."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    return url


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def raise_for(response: httpx.Response) -> None:
    """Map an error status to its French exception (the protocol's status codes)."""
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    code, message = str(body.get("error") or ""), str(body.get("message") or "")
    if status == 401:
        raise AuthenticationFailed()
    if status == 403:
        raise DeviceRevoked(message) if code == "revoked" else AccessDenied(message, body)
    if status == 409 or code in ("code_used", "code_expired", "code_unknown", "invalid_code"):
        raise EnrollmentRefused(message or "Code d'enrôlement refusé (déjà utilisé, expiré ou inconnu).")
    if status == 413:
        raise PayloadTooLarge()
    if status == 426:
        raise UpdateRequired(message)
    if status >= 500:
        raise HubError(f"erreur {status}")
    raise HubError(message or f"requête refusée ({status} {code})".strip())


class HubClient:
    """One hub, one device token. Use as a context manager, or call close()."""

    def __init__(self, base_url: str, token: str | None = None, *, protocol: int = PROTOCOL,
                 timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None):
        self.base_url = normalize_url(base_url)
        self.token = token
        self.protocol = protocol
        try:
            self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                      verify=_shared_ssl_context(), headers={"User-Agent": "TandemDesktop"})
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
                 params: dict[str, Any] | None = None) -> Any:
        headers = {"Tandem-Protocol": str(self.protocol)}
        if auth:
            if not self.token:
                raise AuthenticationFailed()
            headers["Authorization"] = f"Bearer {self.token}"
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise HubUnreachable("délai dépassé") from exc
        except httpx.TransportError as exc:  # connection refused, DNS, TLS, cut connection…
            raise HubUnreachable() from exc
        except httpx.InvalidURL as exc:
            raise HubUnreachable(f"adresse invalide «\u00a0{self.base_url}\u00a0»") from exc
        raise_for(response)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise HubError("réponse illisible") from exc

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
        return hello

    def enroll(self, code: str, device_name: str, csr_pem: str) -> dict[str, Any]:
        return self._request("POST", "/v1/enroll", auth=False,
                             body={"code": code, "device_name": device_name, "csr_pem": csr_pem})

    def device(self) -> dict[str, Any]:
        return self._request("GET", "/v1/device")

    def push(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self._request("POST", "/v1/push", body={"ops": ops})
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise HubError("réponse d'envoi illisible")
        return answer

    def pull(self, cursor: int, limit: int) -> dict[str, Any]:
        answer = self._request("GET", "/v1/pull", params={"cursor": cursor, "limit": limit})
        if not isinstance(answer, dict) or not isinstance(answer.get("entries"), list) or "cursor" not in answer:
            raise HubError("page de changements illisible")
        return answer

    def summary(self) -> dict[str, Any]:
        return self._request("GET", "/v1/summary")


def probe(hub_url: str, timeout: float = 2.0) -> bool:
    """True if a Tandem hub answers GET /v1/hello at this address within `timeout` seconds."""
    try:
        with HubClient(hub_url, timeout=httpx.Timeout(timeout)) as client:
            client.hello()
    except SyncError:
        return False
    return True
