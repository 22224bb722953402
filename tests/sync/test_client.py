"""The HTTP client's mapping of hub answers to French errors, and the engine's split of big batches."""

from __future__ import annotations

import httpx
import pytest

from tandem_desktop.services import sync as sync_service
from tandem_desktop.sync.client import PROTOCOL, HubClient
from tandem_desktop.sync.enroll import load_token
from tandem_desktop.sync.errors import (
    AccessDenied,
    AuthenticationFailed,
    DeviceRevoked,
    EnrollmentRefused,
    HubError,
    HubUnreachable,
    PayloadTooLarge,
    UpdateRequired,
)

from .conftest import outbox_rows


def _client(status: int, body: bytes | dict, token: str | None = "jeton") -> HubClient:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Tandem-Protocol"] == str(PROTOCOL)
        if token and not request.url.path.endswith(("/hello", "/enroll")):
            assert request.headers["Authorization"] == f"Bearer {token}"
        if isinstance(body, dict):
            return httpx.Response(status, json=body)
        return httpx.Response(status, content=body)

    return HubClient("https://hub.exemple", token, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("status", "body", "error", "text"), [
    (401, {"error": "unauthorized", "message": "x"}, AuthenticationFailed, "ne reconnaît pas"),
    (403, {"error": "revoked", "message": "Cet appareil a été révoqué."}, DeviceRevoked, "révoqué"),
    (403, {"error": "forbidden", "message": "Autre structure."}, AccessDenied, "Autre structure"),
    (409, {"error": "code_used", "message": "Ce code a déjà servi."}, EnrollmentRefused, "déjà servi"),
    (413, {"error": "too_large", "message": "x"}, PayloadTooLarge, "volumineux"),
    (426, {"error": "upgrade_required", "message": "x"}, UpdateRequired, "mise à jour"),
    (500, b"Internal Server Error", HubError, "erreur 500"),
    (503, {"error": "unavailable"}, HubError, "erreur 503"),
    (200, b"<html>pas du JSON</html>", HubError, "illisible"),
    (400, {"error": "bad_request", "message": "Curseur invalide."}, HubError, "Curseur invalide"),
])
def test_hub_answers_become_french_errors(status, body, error, text) -> None:  # type: ignore[no-untyped-def]
    with _client(status, body) as client, pytest.raises(error, match=text) as info:
        client.pull(0, 10)
    assert "Vos modifications sont gardées" in str(info.value) or error in (EnrollmentRefused, DeviceRevoked,
                                                                            AccessDenied)


def test_network_failures_are_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connexion refusée", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("trop lent", request=request)

    for handler, text in ((refuse, "injoignable"), (slow, "délai dépassé")):
        with HubClient("hub.exemple", "t", transport=httpx.MockTransport(handler)) as client:
            assert client.base_url == "https://hub.exemple"
            with pytest.raises(HubUnreachable, match=text):
                client.summary()
    with HubClient("https://hub.exemple", None) as anonymous, pytest.raises(AuthenticationFailed):
        anonymous.summary()  # no token: refused before any request


def test_a_hub_too_new_or_too_old_for_this_release() -> None:
    newer = {"protocol": 9, "min_protocol": 7, "schema": "x", "hub_id": "h"}
    with _client(200, newer) as client, pytest.raises(UpdateRequired):
        client.negotiate()
    with _client(200, {"protocol": 1, "min_protocol": 1, "schema": "x", "hub_id": "h"}) as client:
        client.negotiate()
        assert client.protocol == 1  # an older hub: speak its version
    with _client(200, {"nothing": True}) as client, pytest.raises(HubError, match="protocole Tandem"):
        client.hello()


class SmallBodies(HubClient):
    """A hub that accepts at most two operations per request (413 beyond)."""

    sizes: list[int]

    def push(self, ops):  # type: ignore[no-untyped-def]
        self.sizes.append(len(ops))
        if len(ops) > 2:
            raise PayloadTooLarge()
        return super().push(ops)


def test_a_batch_too_large_for_the_hub_is_split_and_nothing_is_lost(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    profile = world.device(structure)
    profile.store.create_many("mentor", [{"first_name": f"P{i}", "last_name": "N"} for i in range(7)])
    client = SmallBodies(world.url, load_token(profile))
    client.sizes = []
    with client:
        report = sync_service.sync_now(profile, client=client)
    assert report.pushed == 7 and outbox_rows(profile) == 0 and report.mismatches == {}
    assert max(size for size in client.sizes if size <= 2) == 2 and client.sizes[0] == 7
