"""JSON shapes of the protocol (PROTOCOL.md) as Pydantic models: request checks and the OpenAPI text.

Requests are checked strictly (no silent coercion): a structurally broken body is a 400 for the
whole request; what is wrong inside one well-formed operation is refused for that operation only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Op(_Strict):
    """One outbox row: one write of one record, one field-level operation per entry of `changes`."""

    op_id: str = Field(min_length=1, max_length=64)
    action: str = Field(max_length=16, description="create | update | delete")
    kind: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    changes: dict[str, Any] = Field(description="field -> new value")
    base_versions: dict[str, str | None] = Field(default_factory=dict,
                                                 description="field -> version the change was based on")
    hlc: str = Field(min_length=1, max_length=128)


class PushBody(_Strict):
    ops: list[Op] = Field(description="at most 500 operations, body at most 4 MiB")


class EnrollBody(_Strict):
    code: str = Field(max_length=64)
    device_name: str = Field(max_length=200)
    csr_pem: str = Field(max_length=16_000)


class Hello(BaseModel):
    protocol: int
    min_protocol: int
    schema_: str = Field(alias="schema")
    hub_id: str
    time_ms: int | None = Field(None, description="the hub's clock (ms since 1970, UTC); protocol 4")


class EnrollAnswer(BaseModel):
    device_id: str
    token: str
    structure_id: str
    counsellor_id: str
    is_admin: bool
    certificate_pem: str
    ca_pem: str


class DeviceInfo(BaseModel):
    device_id: str
    structure_id: str
    counsellor_id: str
    is_admin: bool
    revoked: bool


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


class Summary(BaseModel):
    seq: int | None = Field(None, description="the feed position this summary describes; protocol 4")
    counts: dict[str, int]
    digests: dict[str, str]


class ErrorBody(BaseModel):
    error: str
    message: str


REQUEST_MODELS: tuple[type[BaseModel], ...] = (PushBody, EnrollBody)


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra for an endpoint that reads its body itself (size limit, 400 on bad JSON); the
    schema itself is added to the components by `component_schemas`."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def component_schemas() -> dict[str, Any]:
    _, schemas = models_json_schema([(model, "validation") for model in REQUEST_MODELS],
                                    ref_template="#/components/schemas/{model}")
    return schemas["$defs"]
