"""Test devices that speak the protocol with plain httpx and hand-written operations.

Deliberately not the real client (tandem_desktop.sync): these tests pin the hub to PROTOCOL.md.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import Engine, text

from tandem_desktop import paths
from tandem_desktop.domain.hlc import HybridClock
from tandem_desktop.domain.ids import new_id
from tandem_desktop.hub import admin
from tandem_desktop.hub.config import HubOptions, TLSFiles
from tandem_desktop.hub.db import HUB_TABLES

# The hubs of the tests get their secret key as `tandem-hub serve` gets it from its administrator
# (PostgreSQL hubs refuse to start without one); tests/hub/test_hub_secrets.py covers the rest.
TEST_SECRET_KEY = secrets.token_bytes(32)
TEST_OPTIONS = HubOptions(secret_key=TEST_SECRET_KEY)
MENTOR = {"first_name": "Hélène", "last_name": "Durand", "capacity": 1}
MENTEE = {"first_name": "Sofiane", "last_name": "Benali", "project_type": "job_search", "status": "waiting"}


def head_revision() -> str:
    """The newest hub migration (db/hub/versions), what a migrated hub reports as its schema."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir() / "hub"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def make_csr(name: str = "Portable") -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
           .sign(key, hashes.SHA256()))
    return key, csr.public_bytes(serialization.Encoding.PEM).decode()


def make_tls_files(folder: Path, hosts: tuple[str, ...] = ("127.0.0.1",)) -> tuple[str, TLSFiles]:
    """A test certificate authority made here and a server certificate it signed for `hosts` (IP
    addresses or names): (the authority's PEM, the server's certificate and key files)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Autorité de test du hub")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
               .not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    tls = TLSFiles(folder / "hub.crt", folder / "hub.key")
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return ca_cert.public_bytes(serialization.Encoding.PEM).decode(), tls


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (the hub can listen on it), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: sends nothing, only picks the outgoing address
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows of every hub table, plus the last seq: a refused request must change none of them."""
    with engine.connect() as conn:
        counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in HUB_TABLES}
        counts["last_seq"] = conn.execute(text("SELECT last_seq FROM hub_state")).scalar_one()
    return counts


class Device:
    """One enrolled device: its token, its clock (possibly wrong), and helpers to build operations."""

    def __init__(self, url: str, enrollment: dict[str, Any], protocol: int = 3, skew_ms: int = 0):
        self.url = url
        self.enrollment = enrollment
        self.id: str = enrollment["device_id"]
        self.token: str = enrollment["token"]
        self.structure_id: str = enrollment["structure_id"]
        self.protocol = protocol
        self.clock = HybridClock(self.id, wall_ms=lambda: time.time_ns() // 1_000_000 + skew_ms)
        self.http = httpx.Client(base_url=url, timeout=60)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Tandem-Protocol": str(self.protocol)}

    # -- operations --------------------------------------------------------------------------------

    def op(self, action: str, kind: str, record_id: str, changes: dict[str, Any],
           bases: dict[str, str | None] | None = None) -> dict[str, Any]:
        return {"op_id": new_id(), "action": action, "kind": kind, "record_id": record_id, "changes": changes,
                "base_versions": {k: v for k, v in (bases or {}).items() if v is not None},
                "hlc": str(self.clock.now())}

    def create(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self.op("create", kind, new_id(), dict(fields))

    def update(self, of: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """An update of the record `of` wrote last: a field `of` set is based on of's hlc, another on
        nothing (the field had no value), as a device that saw exactly `of` would send it."""
        bases = {name: of["hlc"] for name in changes if name in of["changes"]}
        return self.op("update", of["kind"], of["record_id"], changes, bases)

    def delete(self, of: dict[str, Any], base: str | None = None) -> dict[str, Any]:
        return self.op("delete", of["kind"], of["record_id"], {"deleted": True}, {"deleted": base})

    # -- requests ----------------------------------------------------------------------------------

    def push_raw(self, ops: list[dict[str, Any]]) -> httpx.Response:
        return self.http.post("/v1/push", json={"ops": ops}, headers=self.headers())

    def push(self, *ops: dict[str, Any]) -> dict[str, Any]:
        response = self.push_raw(list(ops))
        assert response.status_code == 200, response.text
        return response.json()

    def pull(self, cursor: int = 0, limit: int | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"cursor": cursor}
        if limit is not None:
            params["limit"] = limit
        response = self.http.get("/v1/pull", params=params, headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()

    def pull_all(self, cursor: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        entries: list[dict[str, Any]] = []
        while True:
            page = self.pull(cursor, limit)
            entries += page["entries"]
            assert page["cursor"] >= cursor
            cursor = page["cursor"]
            if not page["more"]:
                return entries, cursor

    def records(self) -> dict[str, dict[str, tuple[Any, str]]]:
        """record id -> field -> (value, version), replaying the whole feed as a device would."""
        state: dict[str, dict[str, tuple[Any, str]]] = {}
        for entry in self.pull_all()[0]:
            if entry["type"] == "record":
                state[entry["record_id"]] = {
                    name: (entry["deleted"] if name == "deleted" else entry["fields"].get(name), version)
                    for name, version in entry["versions"].items()}
            elif entry["type"] == "field":  # protocols 1 and 2
                state.setdefault(entry["record_id"], {})[entry["field"]] = (entry["value"], entry["version"])
        return state

    def summary(self) -> dict[str, Any]:
        response = self.http.get("/v1/summary", headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()


class World:
    """Structures and enrolled devices on one running hub."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self.devices: list[Device] = []
        self._n = 0

    def structure(self, name: str = "Mission locale") -> str:
        self._n += 1
        return admin.add_structure(self.engine, f"{name} {self._n}")

    def code(self, structure_id: str, is_admin: bool = False, valid_hours: float = 72) -> str:
        self._n += 1
        counsellor = admin.add_counsellor(self.engine, structure_id, f"Camille Martin{self._n}",
                                          f"camille{self._n}@exemple.fr", admin=is_admin)
        return admin.make_enroll_code(self.engine, counsellor, valid_hours=valid_hours)

    def enroll_raw(self, code: str, name: str = "Portable", csr_pem: str | None = None) -> httpx.Response:
        csr_pem = csr_pem if csr_pem is not None else make_csr(name)[1]
        return httpx.post(f"{self.url}/v1/enroll", json={"code": code, "device_name": name, "csr_pem": csr_pem},
                          timeout=30)

    def device(self, structure_id: str, *, is_admin: bool = False, protocol: int = 3, skew_ms: int = 0) -> Device:
        response = self.enroll_raw(self.code(structure_id, is_admin))
        assert response.status_code == 200, response.text
        device = Device(self.url, response.json(), protocol, skew_ms)
        self.devices.append(device)
        return device

    def close(self) -> None:
        for device in self.devices:
            device.close()
