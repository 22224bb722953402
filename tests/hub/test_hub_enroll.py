"""Handshake, enrollment (one-time expiring codes, certificates from the hub's CA), device status."""

from __future__ import annotations

import time

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import Engine, text

from tandem_desktop.domain.ids import is_record_id
from tandem_desktop.hub import admin
from tandem_desktop.hub.app import PROTOCOL
from tandem_desktop.hub.auth import CODE_ALPHABET
from tandem_desktop.hub.ca import DOCUMENT_SIGNING
from tandem_desktop.hub.server import RunningHub

from .helpers import World, head_revision, make_csr, row_counts


def test_hello_needs_no_credentials(hub: RunningHub) -> None:
    answer = httpx.get(f"{hub.url}/v1/hello").json()
    assert answer["protocol"] == PROTOCOL == 6 and answer["min_protocol"] == 1
    assert "gzip" in answer["encodings"]
    assert answer["schema"] == head_revision()
    assert abs(answer["time_ms"] - time.time_ns() // 1_000_000) < 60_000  # the clock devices follow
    assert len(answer["hub_id"]) == 36


def test_openapi_describes_every_endpoint(hub: RunningHub) -> None:
    spec = httpx.get(f"{hub.url}/openapi.json").json()
    assert {"/v1/hello", "/v1/enroll", "/v1/device", "/v1/push", "/v1/pull", "/v1/summary"} <= set(spec["paths"])
    assert "Op" in spec["components"]["schemas"]
    assert "422" not in spec["paths"]["/v1/pull"]["get"]["responses"]  # the hub answers 400, never 422


def test_enrollment_gives_a_token_and_a_certificate_chained_to_the_hub_ca(world: World, engine: Engine) -> None:
    structure = world.structure("Adie")
    code = world.code(structure)
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    key, csr = make_csr("ignored by the hub")
    response = httpx.post(f"{world.url}/v1/enroll", json={"code": code, "device_name": "Portable de Camille",
                                                          "csr_pem": csr})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert is_record_id(answer["device_id"]) and answer["structure_id"] == structure
    assert answer["is_admin"] is False and len(answer["token"]) >= 43
    ca = x509.load_pem_x509_certificate(answer["ca_pem"].encode())
    cert = x509.load_pem_x509_certificate(answer["certificate_pem"].encode())
    cert.verify_directly_issued_by(ca)
    ca.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # The subject is the hub's own record (counsellor, device, structure), never the CSR's « ignored by the hub ».
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.startswith("Camille Martin")
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "Portable de Camille"
    assert "ignored" not in cert.subject.rfc4514_string()
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value.startswith("Adie")
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in eku and ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(serialization.Encoding.PEM, spki) == \
        key.public_key().public_bytes(serialization.Encoding.PEM, spki)
    # Secrets are stored only as digests.
    with engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM devices")) for v in row)
        stored += " ".join(str(v) for row in conn.execute(text("SELECT * FROM enroll_codes")) for v in row)
    assert answer["token"] not in stored and code not in stored
    # The same CA signs the next device.
    other = world.device(structure)
    assert other.enrollment["ca_pem"] == answer["ca_pem"]
    device = httpx.get(f"{world.url}/v1/device", headers={"Authorization": f"Bearer {answer['token']}",
                                                          "Tandem-Protocol": "2"}).json()
    assert device == {"device_id": answer["device_id"], "structure_id": structure,
                      "counsellor_id": answer["counsellor_id"], "is_admin": False, "revoked": False}


def test_a_code_serves_once(world: World, engine: Engine) -> None:
    code = world.code(world.structure())
    assert world.enroll_raw(code).status_code == 200
    before = row_counts(engine)
    again = world.enroll_raw(code.lower()[:5] + "-" + code.lower()[5:])  # same code, typed differently
    assert again.status_code == 409 and again.json()["error"] == "code_used"
    assert "déjà servi" in again.json()["message"]
    assert row_counts(engine) == before


def test_an_expired_code_is_refused_and_writes_nothing(world: World, engine: Engine) -> None:
    code = world.code(world.structure(), valid_hours=0)
    before = row_counts(engine)
    response = world.enroll_raw(code)
    assert response.status_code == 409 and response.json()["error"] == "code_expired"
    assert row_counts(engine) == before


def test_unknown_code_and_bad_csr_are_refused(world: World, engine: Engine) -> None:
    code = world.code(world.structure())
    before = row_counts(engine)
    unknown = world.enroll_raw("AAAAAAAAAA")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_code"
    bad = world.enroll_raw(code, csr_pem="-----BEGIN CERTIFICATE REQUEST-----\nxyz\n")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_csr"
    assert row_counts(engine) == before
    assert world.enroll_raw(code).status_code == 200  # the code was not spent by the refused request


def test_protocol_versions(world: World) -> None:
    device = world.device(world.structure())
    for version, status in (("1", 200), ("2", 200), ("3", 200), ("4", 200), ("5", 200), ("6", 200), ("0", 426),
                            ("7", 400), ("deux", 400)):
        response = device.http.get("/v1/device", headers={**device.headers(), "Tandem-Protocol": version})
        assert response.status_code == status, (version, response.text)
    old = device.http.get("/v1/pull", headers={**device.headers(), "Tandem-Protocol": "0"})
    assert old.json()["error"] == "upgrade_required" and "jour" in old.json()["message"]
    missing = device.http.get("/v1/device", headers={"Authorization": f"Bearer {device.token}"})
    assert missing.status_code == 400


def test_a_revoked_device_is_refused_everywhere(world: World, engine: Engine) -> None:
    device = world.device(world.structure())
    assert [d["id"] for d in admin.list_devices(engine)] == [device.id]
    admin.revoke_device(engine, device.id)
    admin.revoke_device(engine, device.id)  # twice changes nothing
    assert admin.list_devices(engine)[0]["revoked"] is True
    for method, path in (("GET", "/v1/device"), ("GET", "/v1/pull"), ("GET", "/v1/summary"), ("POST", "/v1/push")):
        response = device.http.request(method, path, headers=device.headers(), json={"ops": []})
        assert response.status_code == 403, path
        assert response.json()["error"] == "revoked" and "révoqué" in response.json()["message"]


def test_one_code_used_twice_at_the_same_moment_enrolls_one_device(world: World, engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    code = world.code(world.structure())
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(lambda _: world.enroll_raw(code).status_code, range(4)))
    assert statuses == [200, 409, 409, 409]
    assert len(admin.list_devices(engine)) == 1
