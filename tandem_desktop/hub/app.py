"""The hub's HTTP API (PROTOCOL.md), with its OpenAPI description at /openapi.json.

Every refusal is a 4xx with `{"error", "message"}` (French), decided before anything is written.
Bodies are read here with a size cap and parsed here, so hostile input gets 400/413 — never
FastAPI's default 422 — and database work runs in the thread pool, off the event loop.
"""


from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.validation import shown
from . import charter_routes, encoding
from . import pull as pulling
from . import rules as hub_rules
from .access_log import AccessLog
from .admin import connect
from .auth import authenticate, enroll
from .bodies import read_capped
from .config import HubOptions, open_authority
from .db import hub_id, schema_revision
from .errors import MSG_BAD_JSON, MSG_TOO_LARGE, MSG_UPGRADE, NBSP, HubError, bad_request
from .guard import AttemptLimiter, RequestGuard
from .history import of_record as record_history_of
from .ledger import hub_now_ms
from .merge import Actor
from .push import MAX_OPS, push
from .schemas import (
    DeviceInfo,
    EnrollAnswer,
    EnrollBody,
    ErrorBody,
    Hello,
    HistoryAnswer,
    PullAnswer,
    PushAnswer,
    PushBody,
    RulesAnswer,
    Summary,
    component_schemas,
    request_body,
)
from .wire import device_table, expand_push

PROTOCOL = 6  # 6: charters and their files (charter_routes.py)
MIN_PROTOCOL = 1
COMPACT = 5  # compact stamps, device tables and compressed bodies
MAX_BODY = 4 * 1024 * 1024
MAX_ENROLL_BODY = 64 * 1024
STATUS_TEXTS = {
    400: "Requête mal formée (JSON, paramètre, en-tête ou valeur invalide).",
    401: "Jeton absent ou inconnu.",
    403: "Appareil révoqué, ou fiches d’une autre structure.",
    404: "Fiche inconnue du hub ou hors du périmètre de l’appareil.",
    408: "Corps de la requête trop lent à arriver.",
    409: "Code d’enrôlement déjà utilisé ou expiré.",
    413: "Corps ou lot trop volumineux (décompressé compris).",
    415: "Encodage du corps (Content-Encoding) non pris en charge.",
    426: "Protocole trop ancien\u00a0: mettre à jour l’application.",
    429: "Trop de tentatives d’enrôlement depuis cette adresse.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of an endpoint: each status the hub may give it, with ErrorBody."""
    return {status: {"model": ErrorBody, "description": STATUS_TEXTS[status]} for status in statuses}


ERRORS = errors(400, 401, 403, 426)  # every authenticated endpoint
DESCRIPTION = ("Hub central de Tandem Desktop\u00a0: enrôlement des appareils, envoi des opérations, "
               "réception des changements. Voir tandem_desktop/sync/PROTOCOL.md.")

bearer = HTTPBearer(auto_error=False, description="Jeton de l’appareil reçu à l’enrôlement.")


@dataclass(frozen=True)
class Caller:
    actor: Actor
    protocol: int


def protocol_version(
    tandem_protocol: Annotated[str | None, Header(alias="Tandem-Protocol",
                                                  description="Version du protocole parlée par l’appareil.")] = None,
) -> int:
    """PROTOCOL is current, down to MIN_PROTOCOL still served; below that the client must update (426)."""
    if tandem_protocol is None:
        raise bad_request("En-tête «\u00a0Tandem-Protocol\u00a0» manquant.")
    text = tandem_protocol.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise bad_request("En-tête «\u00a0Tandem-Protocol\u00a0» invalide.")
    version = int(text)
    if version < MIN_PROTOCOL:
        raise HubError(426, "upgrade_required", MSG_UPGRADE)
    if version > PROTOCOL:
        raise HubError(400, "protocol_unsupported",
                       f"Ce hub parle le protocole {PROTOCOL} au plus\u00a0: il doit être mis à jour.")
    return version


async def read_json(request: Request, limit: int, *, encoded: bool = False) -> Any:
    """The parsed body, read at most `limit` bytes far (413 beyond, even without Content-Length).
    `encoded`: the body may be compressed (Content-Encoding), and `limit` holds once decompressed too."""
    body = await read_capped(request, limit, MSG_TOO_LARGE)
    content_encoding = request.headers.get("content-encoding")
    if content_encoding is not None and content_encoding.strip().lower() != "identity":
        if not encoded:
            raise HubError(415, "unsupported_encoding", encoding.MSG_ENCODING)
        body = encoding.decompress(body, content_encoding, limit)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request(MSG_BAD_JSON) from None


def checked(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "corps"
        raise bad_request(f"Requête mal formée\u00a0: «\u00a0{shown(where)}\u00a0» manquant, de type inattendu ou "
                          "invalide.") from None


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def known_query_only(request: Request) -> None:
    """400 for a query parameter the route does not declare: nothing unknown is silently ignored, so
    what the hub accepts is exactly what its OpenAPI description says."""
    route = request.scope.get("route")
    declared = _query_names(route.dependant) if isinstance(route, APIRoute) else set()
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise bad_request(f"Paramètre inconnu{NBSP}: «{NBSP}{shown(unknown[0])}{NBSP}».")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def encoded_response(body: bytes, request: Request, protocol: int) -> Response:
    """A JSON answer compressed as the client accepts (protocol 5 on; older ones get it as before)."""
    response = Response(body, media_type="application/json")
    if protocol < COMPACT:
        return response
    response.headers["Vary"] = "Accept-Encoding"
    chosen = encoding.accepted(request.headers.get("accept-encoding"))
    if chosen is not None and len(body) >= encoding.MIN_SIZE:
        response.body = encoding.compress(body, chosen)
        response.headers["Content-Encoding"] = chosen
        response.headers["Content-Length"] = str(len(response.body))
    return response


def create_app(db_url: str, options: HubOptions | None = None) -> FastAPI:
    """The hub on this database (migrated to head first). Refuses to start (SecretKeyError, in
    French) when its secret key is missing or does not open the CA key."""
    options = options or HubOptions()
    engine = connect(db_url)
    try:
        authority = open_authority(engine, db_url, options)
    except BaseException:
        engine.dispose()
        raise
    identity = {"protocol": PROTOCOL, "min_protocol": MIN_PROTOCOL, "schema": schema_revision(engine),
                "hub_id": hub_id(engine), "encodings": list(encoding.ENCODINGS)}
    summaries = pulling.SummaryCache()
    access = AccessLog(engine)
    access.start()
    app = FastAPI(title="Tandem hub", version=str(PROTOCOL), description=DESCRIPTION, redoc_url=None,
                  dependencies=[Depends(known_query_only)])
    app.state.engine = engine
    app.state.options = options
    app.state.access_log = access
    app.state.enroll_limiter = AttemptLimiter(options.enroll_attempts, options.enroll_window_s)
    app.add_middleware(RequestGuard, options=options, limiter=app.state.enroll_limiter)
    _install_error_handlers(app)

    def caller(
        protocol: Annotated[int, Depends(protocol_version)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        return Caller(authenticate(engine, credentials.credentials if credentials else None), protocol)

    Device = Annotated[Caller, Depends(caller)]

    @app.get("/v1/hello", response_model=Hello, responses=errors(400), tags=["protocole"])
    def hello() -> Response:
        """Handshake: protocol versions served, the hub's schema and clock; no authentication."""
        return json_response({**identity, "time_ms": hub_now_ms()})

    @app.post("/v1/enroll", response_model=EnrollAnswer, responses=errors(400, 408, 409, 413, 429),
              openapi_extra=request_body(EnrollBody), tags=["appareils"])
    async def enroll_device(request: Request) -> Response:
        """Trade a one-time code and a CSR for a device id, a token and a certificate."""
        body = checked(EnrollBody, await read_json(request, MAX_ENROLL_BODY))
        answer = await run_in_threadpool(enroll, engine, body.code, body.device_name, body.csr_pem, ca=authority,
                                         stamp_device=body.stamp_device)
        return json_response(answer)

    @app.get("/v1/device", response_model=DeviceInfo, responses=ERRORS, tags=["appareils"])
    def device(who: Device) -> Response:
        """This device as the hub knows it (a revoked device gets 403 `revoked`)."""
        actor = who.actor
        answer: dict[str, Any] = {"device_id": actor.device_id, "structure_id": actor.structure_id,
                                  "counsellor_id": actor.counsellor_id, "is_admin": actor.is_admin, "revoked": False}
        if who.protocol >= COMPACT:
            answer["device_number"] = actor.number
        return json_response(answer)

    @app.post("/v1/push", response_model=PushAnswer, responses={**ERRORS, **errors(408, 413, 415)},
              openapi_extra=request_body(PushBody),
              tags=["synchronisation"])
    async def push_ops(request: Request, who: Device) -> Response:
        """Apply a batch of outbox operations (idempotent by op_id), with one result per operation."""
        data = await read_json(request, MAX_BODY, encoded=True)
        if not isinstance(data, dict) or not isinstance(data.get("ops"), list):
            raise bad_request("Requête mal formée\u00a0: un objet {\"ops\": [...]} est attendu.")
        if len(data["ops"]) > MAX_OPS:
            raise HubError(413, "too_large", f"Lot trop grand\u00a0: {MAX_OPS} opérations au plus par envoi.")
        if who.protocol >= COMPACT:
            data = expand_push(data)
        else:
            device_table(data.get("devices"))  # a table older clients never send is still checked, not ignored
        ops = [op.model_dump() for op in checked(PushBody, data).ops]
        answer = await run_in_threadpool(push, engine, who.actor, ops, who.protocol)
        return encoded_response(orjson.dumps(answer), request, who.protocol)

    @app.get("/v1/pull", response_model=PullAnswer, responses=ERRORS, tags=["synchronisation"])
    def pull_entries(
        request: Request,
        who: Device,
        cursor: Annotated[str | None, Query(description="Dernier seq enregistré par l’appareil (0 au début).",
                                            json_schema_extra={"pattern": r"^[0-9]{0,18}$"})] = None,
        limit: Annotated[str | None, Query(description="Entrées par page, 1000 au plus.",
                                           json_schema_extra={"pattern": r"^[0-9]{0,4}$"})] = None,
    ) -> Response:
        """Changes after `cursor`, in hub order, scoped to the device's structure."""
        body = pulling.pull(engine, who.actor, pulling.parse_cursor(cursor), pulling.parse_limit(limit), who.protocol,
                            access=access)
        return encoded_response(body, request, who.protocol)

    @app.get("/v1/history", response_model=HistoryAnswer, responses={**ERRORS, **errors(404)}, tags=["historique"])
    def record_history(
        request: Request,
        who: Device,
        kind: Annotated[str | None, Query(description="Type de fiche (mentee, mentor, tandem…).",
                                          json_schema_extra={"pattern": r"^[a-z]{1,20}$"})] = None,
        record_id: Annotated[str | None, Query(description="Identifiant de la fiche.",
                                               json_schema_extra={"pattern": r"^[0-9a-f-]{36}$"})] = None,
    ) -> Response:
        """Who changed which field of a record, from what to what, when (records in the device's scope)."""
        answer = record_history_of(engine, who.actor, kind, record_id)
        return encoded_response(orjson.dumps(answer), request, who.protocol)

    @app.get("/v1/rules", response_model=RulesAnswer, responses=ERRORS, tags=["protocole"])
    def retention_rules(request: Request, who: Device) -> Response:
        """The rules the hub's administrator set for every device: how long personal data is kept."""
        return encoded_response(orjson.dumps(hub_rules.answer(engine)), request, who.protocol)

    @app.get("/v1/summary", response_model=Summary, responses=ERRORS, tags=["synchronisation"])
    def summary(request: Request, who: Device) -> Response:
        """Per kind, live records and a digest of their field versions, in the device's scope."""
        return encoded_response(orjson.dumps(summaries.summary(engine, who.actor, who.protocol)), request, who.protocol)

    charter_routes.install(app, engine, authority, Device, read_json, trust_proxy=options.trust_proxy,
                           quota_mb=options.charter_quota_mb)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):  # this hub answers 400, never 422
                components.pop(name, None)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
                    for parameter in operation.get("parameters", []):
                        if parameter["name"] == "Tandem-Protocol":  # missing: 400, as documented
                            parameter["required"] = True
            components.update(component_schemas())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def hub_error(_request: Request, exc: HubError) -> Response:
        return json_response(exc.body(), exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, _exc: RequestValidationError) -> Response:
        return json_response({"error": "bad_request", "message": "Paramètres de la requête invalides."}, 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        known = {404: ("not_found", "Adresse inconnue sur ce hub."),
                 405: ("method_not_allowed", "Méthode non permise pour cette adresse.")}
        code, message = known.get(exc.status_code, ("http_error", "Requête refusée."))
        response = json_response({"error": code, "message": message}, exc.status_code)
        response.headers.update(exc.headers or {})  # 405 keeps its Allow header
        return response

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _exc: Exception) -> Response:
        return JSONResponse({"error": "internal", "message": "Erreur interne du hub\u00a0: réessayez plus tard."},
                            status_code=500)
