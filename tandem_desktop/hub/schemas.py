"""JSON shapes of the protocol (PROTOCOL.md) as Pydantic models: request checks and the OpenAPI text.

Requests are checked strictly (no silent coercion): a structurally broken body is a 400 for the
whole request; what is wrong inside one well-formed operation is refused for that operation only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from ..domain.kinds import KINDS

TOKEN = r"^[\x21-\x7e]+$"
UUID7 = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
HLC = r"^[0-9]{13}-[0-9]{5}-[\x21-\x7e]{1,100}$"
FIELD_NAMES = sorted({"deleted", *(name for spec in KINDS.values() for name in spec.field_names)})


def _or_any(**what_is_expected: Any) -> dict[str, Any]:
    """Schema text for a string checked per operation, not per request: it names what the hub
    expects (so readers and fuzzers know), while any string still gets a 200 with the op refused."""
    return {"anyOf": [what_is_expected, {"not": what_is_expected}]}


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Op(_Strict):
    """One outbox row: one write of one record, one field-level operation per entry of `changes`."""

    # op_id and record_id are looked up before the op is validated: plain printable ASCII only, so
    # no NUL byte or other junk ever reaches the database (what else is wrong is refused per op).
    op_id: str = Field(min_length=1, max_length=64, pattern=TOKEN)
    action: str = Field(max_length=16, description="create | update | delete",
                        json_schema_extra=_or_any(enum=["create", "update", "delete"]))
    kind: str = Field(max_length=40, json_schema_extra=_or_any(enum=sorted(KINDS)))
    record_id: str = Field(min_length=1, max_length=64, pattern=TOKEN, json_schema_extra=_or_any(pattern=UUID7))
    changes: dict[str, Any] = Field(description="field -> new value (each checked by the domain, per op)",
                                    json_schema_extra={"properties": {name: {} for name in FIELD_NAMES}})
    base_versions: dict[str, str | None] = Field(default_factory=dict,
                                                 description="field -> version the change was based on")
    hlc: str = Field(min_length=1, max_length=128, json_schema_extra=_or_any(pattern=HLC))


class PushBody(_Strict):
    ops: list[Op] = Field(description="at most 500 operations, body at most 4 MiB (decompressed)")
    devices: Any = Field(None, description="protocol 5: number -> device id, the devices the compact stamps "
                                           "`W.C.N` of the ops name",
                         json_schema_extra={"type": "object", "additionalProperties": {"type": "string"}})


class EnrollBody(_Strict):
    code: str = Field(max_length=64)
    device_name: str = Field(default="", max_length=200)  # empty: « counsellor – structure »
    csr_pem: str = Field(max_length=16_000)
    stamp_device: str | None = Field(None, max_length=100, description="protocol 5: the id the device stamps "
                                                                       "with, numbered now (device_number)")


class Hello(BaseModel):
    protocol: int
    min_protocol: int
    schema_: str = Field(alias="schema")
    hub_id: str
    time_ms: int | None = Field(None, description="the hub's clock (ms since 1970, UTC); protocol 4")
    encodings: list[str] | None = Field(None, description="body encodings the hub takes and gives; protocol 5")


class EnrollAnswer(BaseModel):
    device_id: str
    token: str
    structure_id: str
    counsellor_id: str
    is_admin: bool
    certificate_pem: str
    ca_pem: str
    device_name: str  # the name given, or « counsellor – structure » when none was
    device_number: int | None = Field(None, description="the number of `stamp_device`, when given")


class DeviceInfo(BaseModel):
    device_id: str
    structure_id: str
    counsellor_id: str
    is_admin: bool
    revoked: bool
    device_number: int | None = Field(None, description="protocol 5: the number of the id this device stamps "
                                                        "with, once the hub knows it")


class OpResult(BaseModel):
    op_id: str
    status: Literal["applied", "conflict", "refused"]
    code: str | None = None
    message: str | None = None
    retry: bool | None = Field(None, description="refused only: true if the device keeps the operation and "
                                                 "sends it again, false if it is about the record's content")
    current: dict[str, Any] | None = Field(None, description="refused for content: {fields, versions} the hub "
                                                            "holds for the fields the operation named")


class Flag(BaseModel):
    id: str
    type: str
    mentor_id: str
    capacity: int
    tandems: int


class PushAnswer(BaseModel):
    results: list[OpResult]
    flags: list[Flag]


class PullAnswer(BaseModel):
    entries: list[dict[str, Any]] = Field(description="field, conflict or flag entries, in seq order")
    cursor: int
    more: bool
    devices: dict[str, str] | None = Field(None, description="protocol 5: number -> device id of the compact "
                                                             "stamps of this page")


class HistoryAnswer(BaseModel):
    kind: str
    record_id: str
    created: dict[str, Any] | None = Field(None, description="the record's first stamp and who made it")
    entries: list[dict[str, Any]] = Field(description="{seq, op_id, hlc, action, changes: {field: [old, new]}, "
                                                      "device_id, device_name, counsellor_id, counsellor_name}, "
                                                      "oldest first")


class RulesAnswer(BaseModel):
    retention: dict[str, Any] = Field(description="the retention rules (domain/retention.py), version 1")


class Summary(BaseModel):
    seq: int | None = Field(None, description="the feed position this summary describes; protocol 4")
    counts: dict[str, int]
    digests: dict[str, str]


# -- charters and their files (protocol 6) ------------------------------------------------------------

CHARTER_NUMBER = "^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$"
SHA256 = "^[0-9a-f]{64}$"
UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ROLE = {"anyOf": [{"enum": ["pdf", "scan"]}, {"type": "string", "pattern": "^[a-z_]{1,20}$"}]}


class AttachmentIn(BaseModel):
    """One file of a charter (checked per charter: a wrong value refuses that charter, `invalid_value`)."""

    model_config = ConfigDict(extra="allow")

    role: Any = Field(None, json_schema_extra=_or_any(**ROLE))
    sha256: Any = Field(None, json_schema_extra=_or_any(type="string", pattern=SHA256))
    size: Any = Field(None, description="bytes, 1 to 20 MiB",
                      json_schema_extra=_or_any(type="integer", minimum=1, maximum=20 * 1024 * 1024))
    media_type: Any = Field(None, json_schema_extra=_or_any(enum=["application/pdf", "image/png", "image/jpeg"]))
    name: Any = Field(None, json_schema_extra=_or_any(type=["string", "null"], maxLength=200))


class CharterIn(BaseModel):
    """One charter as a device announces it. Only `id` is checked for the whole request (it is echoed
    back); every other value is checked per charter, so a wrong one refuses that charter only."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=64, pattern=TOKEN, json_schema_extra=_or_any(pattern=UUID))
    tandem_id: Any = Field(None, json_schema_extra=_or_any(type="string", pattern=UUID))
    number: Any = Field(None, json_schema_extra=_or_any(type="string", pattern=CHARTER_NUMBER))
    mode: Any = Field(None, json_schema_extra=_or_any(enum=["screen", "ink"]))
    template: Any = Field(None, json_schema_extra=_or_any(type="string", minLength=1, maxLength=80))
    signed_on: Any = Field(None, description="YYYY-MM-DD", json_schema_extra=_or_any(type="string", format="date"))
    signed_place: Any = Field(None, json_schema_extra=_or_any(type=["string", "null"], maxLength=200))
    created_at: Any = Field(None, description="ISO 8601, UTC",
                            json_schema_extra=_or_any(type="string", format="date-time"))
    self_signed: Any = Field(None, json_schema_extra=_or_any(type=["boolean", "null"]))
    attachments: Any = Field(None, description="exactly one `pdf`, at most one per role",
                             json_schema_extra=_or_any(type="array", minItems=1, maxItems=8,
                                                       items={"$ref": "#/components/schemas/AttachmentIn"}))


class CharterBody(_Strict):
    charters: list[CharterIn] = Field(description="at most 100 charters (413 beyond), body at most 1 MiB")


class CharterResult(BaseModel):
    id: str
    status: Literal["applied", "refused"]
    code: str | None = Field(None, description="unknown_tandem, forbidden, erased, invalid_value, number_taken, "
                                               "charter_exists")
    message: str | None = None
    retry: bool | None = Field(None, description="refused only: true for unknown_tandem (the tandem may still be "
                                                 "on its way)")


class CharterAnswer(BaseModel):
    results: list[CharterResult]


class AttachmentAtHub(BaseModel):
    role: str
    sha256: str
    size: int
    media_type: str
    name: str | None = None
    at_hub: bool
    at: str | None = Field(None, description="when the file completed at the hub (ISO 8601, UTC)")


class CharterEntry(BaseModel):
    id: str
    tandem_id: str
    number: str
    mode: str
    template: str
    signed_on: str
    signed_place: str | None = None
    created_at: str
    self_signed: bool | None = None
    attachments: list[AttachmentAtHub]
    seq: int
    structure_id: str
    device_id: str
    received_at: str | None = None


class CharterFeed(BaseModel):
    charters: list[CharterEntry]
    cursor: int
    more: bool


class BlobStatus(BaseModel):
    sha256: str
    size: int
    chunk_size: int
    chunks: int
    received: list[int]
    complete: bool


class ChunkAnswer(BaseModel):
    received: list[int]
    complete: bool


class VerifiedStructure(BaseModel):
    id: str
    name: str | None = None


class VerifiedCertificate(BaseModel):
    serial: str = Field(description="hex")
    sha256: str = Field(description="SHA-256 of the certificate (DER)")
    issued_by_hub: bool


class VerifiedScan(BaseModel):
    deposited_at: str | None = None


class VerifiedCharter(BaseModel):
    mode: str
    sealed_at: str | None = None
    signed_on: str
    structure: VerifiedStructure
    certificate: VerifiedCertificate | None = None
    device_revoked: bool
    revoked_at: str | None = None
    sha256: str = Field(description="SHA-256 of the charter's PDF")
    pdf_received: bool
    seal: Literal["hub", "local"] | None = None
    scan: VerifiedScan | None = None


class VerifyAnswer(BaseModel):
    number: str
    found: bool
    charters: list[VerifiedCharter]


class ErrorBody(BaseModel):
    error: str
    message: str


REQUEST_MODELS: tuple[type[BaseModel], ...] = (PushBody, EnrollBody, CharterBody, AttachmentIn)


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra for an endpoint that reads its body itself (size limit, 400 on bad JSON); the
    schema itself is added to the components by `component_schemas`."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def component_schemas() -> dict[str, Any]:
    _, schemas = models_json_schema([(model, "validation") for model in REQUEST_MODELS],
                                    ref_template="#/components/schemas/{model}")
    return schemas["$defs"]
