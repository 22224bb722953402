"""The HTTP routes of charters and their files (protocol 6, PROTOCOL.md "Charters and attachments").

Kept out of app.py, which calls `install` with what every route shares (the engine, the CA, the
device dependency, the JSON body reader). No `from __future__ import annotations` here: FastAPI reads
the routes' annotations at run time, and `Device` is a local of `install`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..texts.french import NBSP
from . import blobs as blob_store
from . import charters as charter_store
from . import verify_page
from .bodies import read_capped
from .ca import CertificateAuthority, to_pem
from .charter_checks import CHUNK_SIZE, MAX_BODY, charters_of, normalize_number
from .errors import HubError, bad_request
from .guard import AttemptLimiter, client_address
from .pull import parse_cursor
from .schemas import BlobStatus, CharterAnswer, CharterBody, CharterFeed, ChunkAnswer, ErrorBody, VerifyAnswer
from .schemas import request_body as json_request_body

VERIFY_ATTEMPTS = 30  # lookups by number per client address...
VERIFY_WINDOW_S = 60.0  # ...in any minute
OCTETS = "application/octet-stream"
MSG_CHUNK_TOO_LARGE = f"Morceau trop volumineux{NBSP}: 1{NBSP}Mio au plus par requête."
MSG_CHUNK_TYPE = f"Un morceau de fichier s’envoie en octets bruts (Content-Type{NBSP}: {OCTETS})."
DESCRIPTIONS = {
    400: "Requête, numéro, empreinte ou morceau invalide.",
    401: "Jeton absent ou inconnu.",
    403: "Appareil révoqué.",
    404: "Fichier inconnu du hub, hors du périmètre de l’appareil, ou pas encore complet.",
    408: "Corps de la requête trop lent à arriver.",
    409: "Fichier reçu différent de celui annoncé (empreinte ou sceau)\u00a0: il n’est pas gardé.",
    413: "Corps ou lot trop volumineux.",
    415: "Encodage ou type du corps non pris en charge.",
    426: "Protocole trop ancien\u00a0: mettre à jour l’application.",
    429: "Trop de vérifications depuis cette adresse.",
}
Reader = Callable[[Request, int], Awaitable[Any]]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in statuses}


AUTHENTICATED = (400, 401, 403, 426)
BINARY = {OCTETS: {"schema": {"type": "string", "format": "binary"}}}
CHUNK_BODY = {"requestBody": {"required": True, "content": BINARY}}
CHUNK_OUT = {200: {"description": "Les octets du morceau.", "content": BINARY}}
Sha = Annotated[str, Path(description="SHA-256 du fichier, en hexadécimal minuscule.",
                          json_schema_extra={"pattern": "^[0-9a-f]{64}$"})]
Index = Annotated[str, Path(description="Numéro du morceau, à partir de 0.",
                            json_schema_extra={"pattern": "^[0-9]{1,4}$"})]


async def read_octets(request: Request, limit: int) -> bytes:
    """A raw body of at most `limit` bytes (413 beyond, even without Content-Length); never compressed."""
    content_encoding = request.headers.get("content-encoding")
    if content_encoding is not None and content_encoding.strip().lower() != "identity":
        raise HubError(415, "unsupported_encoding", MSG_CHUNK_TYPE)
    content_type = request.headers.get("content-type")
    if content_type is not None and content_type.split(";")[0].strip().lower() != OCTETS:
        raise HubError(415, "unsupported_media_type", MSG_CHUNK_TYPE)
    return await read_capped(request, limit, MSG_CHUNK_TOO_LARGE)


def too_many_message(wait_s: int) -> str:
    minutes = max(1, -(-wait_s // 60))
    return (f"Trop de vérifications depuis cette adresse{NBSP}: réessayez dans {minutes} minute"
            f"{'s' if minutes > 1 else ''}.")


def install(app: FastAPI, engine: Any, authority: CertificateAuthority, device: Any, read_json: Reader,
            trust_proxy: bool = False, quota_mb: int | None = None) -> None:
    """Add the charter routes to `app`; `device` is the authenticated-device dependency (app.Device)."""
    ca_pem = to_pem(authority.cert)
    limiter = AttemptLimiter(VERIFY_ATTEMPTS, VERIFY_WINDOW_S)
    app.state.verify_limiter = limiter
    Device = device  # a type, as in app.py

    def limited(request: Request) -> int | None:
        """Count one lookup of this address; the seconds to wait when it has had its share."""
        return limiter.take(client_address(request.scope, trust_proxy))

    @app.post("/v1/charters", response_model=CharterAnswer, responses=_errors(*AUTHENTICATED, 408, 413, 415),
              openapi_extra=json_request_body(CharterBody), tags=["chartes"])
    async def announce(request: Request, who: Device) -> Response:
        """Announce signed charters (never replaced: the same id sent again must be the same charter)."""
        items = charters_of(await read_json(request, MAX_BODY))
        answer = await run_in_threadpool(charter_store.announce, engine, who.actor, items, quota_mb)
        return _json(answer)

    @app.get("/v1/charters", response_model=CharterFeed, responses=_errors(*AUTHENTICATED), tags=["chartes"])
    def charter_feed(
        who: Device,
        cursor: Annotated[str | None, Query(description="Dernier seq de charte enregistré par l’appareil (0 au "
                                                        "début).", json_schema_extra={"pattern": r"^[0-9]{0,18}$"})
                          ] = None,
        limit: Annotated[str | None, Query(description="Chartes par page, 500 au plus.",
                                           json_schema_extra={"pattern": r"^[0-9]{0,3}$"})] = None,
    ) -> Response:
        """The charters of the device's scope after `cursor`, in seq order, with where their files are."""
        page = charter_store.feed_page(engine, who.actor, parse_cursor(cursor),
                                       charter_store.parse_feed_limit(limit))
        return _json(page)

    @app.get("/v1/charters/verify/{number}", response_model=VerifyAnswer, responses=_errors(400, 429),
             tags=["chartes"])
    def verify_number(request: Request, number: Annotated[str, Path(
            description="Numéro imprimé sur la charte, « K7Q4-9XPM » (espaces, tirets et minuscules admis).",
            json_schema_extra={"maxLength": 40})]) -> Response:
        """What the hub knows of a charter by its number; no authentication, nothing personal."""
        if (wait := limited(request)) is not None:
            return _json({"error": "too_many_attempts", "message": too_many_message(wait)}, 429,
                         {"Retry-After": str(wait)})
        normalized = normalize_number(number)
        if normalized is None:
            raise bad_request(verify_page.MSG_INVALID)
        return _json(charter_store.lookup(engine, normalized))

    @app.get("/charte", include_in_schema=False)
    def verify_form(request: Request,
                    numero: Annotated[str | None, Query(description="Numéro de la charte.")] = None) -> Response:
        """The public page: a form, or the answer for the number typed in it."""
        if numero is None or not numero.strip():
            return verify_page.form_page()
        return _page_for(request, numero)

    @app.get("/charte/{number}", include_in_schema=False)
    def verify_html(request: Request, number: str) -> Response:
        """The page the charter's QR code points to."""
        return _page_for(request, number)

    def _page_for(request: Request, typed: str) -> Response:
        if (wait := limited(request)) is not None:
            return verify_page.too_many_page(too_many_message(wait), wait)
        normalized = normalize_number(typed)
        if normalized is None:
            return verify_page.invalid_page(typed)
        return verify_page.result_page(charter_store.lookup(engine, normalized))

    @app.get("/v1/blobs/{sha256}", response_model=BlobStatus, responses=_errors(*AUTHENTICATED, 404),
             tags=["chartes"])
    def blob_status(who: Device, sha256: Sha) -> Response:
        """Size, chunks and which of them the hub holds, for a file a charter of the device's scope names."""
        return _json(blob_store.status(engine, who.actor, blob_store.checked_sha(sha256)))

    @app.put("/v1/blobs/{sha256}/chunks/{index}", response_model=ChunkAnswer,
             responses=_errors(*AUTHENTICATED, 404, 408, 409, 413, 415), openapi_extra=CHUNK_BODY, tags=["chartes"])
    async def put_chunk(request: Request, who: Device, sha256: Sha, index: Index) -> Response:
        """One chunk of a file, raw bytes: exactly `chunk_size`, the last one the rest."""
        sha, n = blob_store.checked_sha(sha256), blob_store.checked_index(index)
        data = await read_octets(request, CHUNK_SIZE)
        return _json(await run_in_threadpool(blob_store.put_chunk, engine, who.actor, sha, n, data, ca_pem,
                                             quota_mb))

    @app.get("/v1/blobs/{sha256}/chunks/{index}", responses={**CHUNK_OUT, **_errors(*AUTHENTICATED, 404)},
             response_class=Response, tags=["chartes"])
    def get_chunk(who: Device, sha256: Sha, index: Index) -> Response:
        """One chunk of a complete file."""
        data = blob_store.get_chunk(engine, who.actor, blob_store.checked_sha(sha256), blob_store.checked_index(index))
        return Response(data, media_type=OCTETS)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)
