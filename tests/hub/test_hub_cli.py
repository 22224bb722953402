"""The `tandem-hub` command: ids and codes alone on stdout, French errors (in-process, tests/cli_run.py);
`serve` runs in real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tandem_desktop.domain.ids import is_record_id
from tandem_desktop.hub.app import PROTOCOL
from tandem_desktop.hub.auth import CODE_ALPHABET
from tandem_desktop.hub.server import run_in_thread

from ..cli_run import CliResult, run_main
from .helpers import TEST_OPTIONS, TEST_SECRET_KEY, Device, head_revision, make_csr, make_tls_files

SCRIPT = Path(sys.executable).with_name("tandem-hub")


def _command() -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT)]
    found = shutil.which("tandem-hub")
    return [found] if found else [sys.executable, "-m", "tandem_desktop.hub"]


def hub_cli(*args: str, env: dict[str, str] | None = None) -> CliResult:
    from tandem_desktop.hub.cli import main

    return run_main(main, args, {**os.environ, **(env or {})})


def test_commands_print_ids_alone_and_manage_devices(db_url: str, engine: Engine) -> None:
    made = hub_cli("structure", "add", "Mission locale de Marseille", "--db", db_url)
    assert made.returncode == 0, made.stderr
    structure = made.stdout.strip()
    assert made.stdout == structure + "\n" and is_record_id(structure)
    # --db before the command, or TANDEM_HUB_DB, work the same.
    made = hub_cli("--db", db_url, "counsellor", "add", "--structure", structure, "Camille Martin",
                   "camille.martin@exemple.fr", "--admin")
    counsellor = made.stdout.strip()
    assert made.returncode == 0 and is_record_id(counsellor) and made.stdout == counsellor + "\n"
    made = hub_cli("enroll-code", "--counsellor", counsellor, env={"TANDEM_HUB_DB": db_url})
    code = made.stdout.strip()
    assert made.returncode == 0 and made.stdout == code + "\n"
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    listed = hub_cli("devices", "--json", "--db", db_url)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []

    with run_in_thread(db_url, options=TEST_OPTIONS) as hub:
        response = httpx.post(f"{hub.url}/v1/enroll",
                              json={"code": code, "device_name": "Poste accueil", "csr_pem": make_csr()[1]})
        assert response.status_code == 200, response.text
        device = Device(hub.url, response.json())
        assert device.http.get("/v1/device", headers=device.headers()).json()["is_admin"] is True
        devices = json.loads(hub_cli("devices", "--json", "--db", db_url).stdout)
        assert [(d["id"], d["name"], d["revoked"]) for d in devices] == [(device.id, "Poste accueil", False)]
        table = hub_cli("devices", "--db", db_url)
        assert "Poste accueil" in table.stdout and "actif" in table.stdout
        revoked = hub_cli("revoke", device.id, "--db", db_url)
        assert revoked.returncode == 0 and revoked.stdout == "" and "révoqué" in revoked.stderr
        assert device.http.get("/v1/device", headers=device.headers()).status_code == 403
        device.close()
    assert "révoqué" in hub_cli("devices", "--db", db_url).stdout
    names = json.loads(hub_cli("structure", "list", "--json", "--db", db_url).stdout)
    assert names == [{"id": structure, "name": "Mission locale de Marseille"}]


def test_errors_are_french_and_exit_non_zero(db_url: str, engine: Engine) -> None:
    for args, words in (
        (("counsellor", "add", "--structure", "0190aaaa-0000-7000-8000-000000000000", "Camille", "c@exemple.fr"),
         "Structure inconnue"),
        (("counsellor", "add", "--structure", "nimporte", "Camille", "c@exemple.fr"), "Structure inconnue"),
        (("structure", "add", "   "), "obligatoire"),
        (("enroll-code", "--counsellor", "0190aaaa-0000-7000-8000-000000000000"), "Conseiller inconnu"),
        (("revoke", "0190aaaa-0000-7000-8000-000000000000"), "Appareil inconnu"),
    ):
        done = hub_cli(*args, "--db", db_url)
        assert done.returncode != 0 and done.stdout == "", args
        assert words in done.stderr and "\u00a0:" in done.stderr, done.stderr
    structure = hub_cli("structure", "add", "Adie", "--db", db_url).stdout.strip()
    bad_email = hub_cli("counsellor", "add", "--structure", structure, "Camille", "pas-une-adresse", "--db", db_url)
    assert bad_email.returncode == 1 and "e-mail" in bad_email.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_over_http(db_url: str, engine: Engine) -> None:
    port = _free_port()
    process = subprocess.Popen([*_command(), "serve", "--port", str(port), "--db", db_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TANDEM_HUB_SECRET_KEY": TEST_SECRET_KEY.hex()})
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve stopped: {process.communicate()[1]}")
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/hello", timeout=2).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert answer["protocol"] == PROTOCOL and answer["schema"] == head_revision()
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_serve_over_https_with_its_own_certificate(db_url: str, engine: Engine, tmp_path: Path) -> None:
    ca_pem, tls = make_tls_files(tmp_path / "tls")
    port = _free_port()
    process = subprocess.Popen([*_command(), "serve", "--port", str(port), "--db", db_url, "--tls-cert",
                                str(tls.cert_file), "--tls-key", str(tls.key_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TANDEM_HUB_SECRET_KEY": TEST_SECRET_KEY.hex()})
    trusted = ssl.create_default_context(cadata=ca_pem)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve stopped: {process.communicate()[1]}")
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/v1/hello", timeout=2, verify=trusted)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["protocol"] >= 3
        with pytest.raises(httpx.TransportError):  # nothing in clear on that port
            httpx.get(f"http://127.0.0.1:{port}/v1/hello", timeout=2)
        with pytest.raises(httpx.ConnectError):  # and the certificate is not trusted without its authority
            httpx.get(f"https://127.0.0.1:{port}/v1/hello", timeout=2)
    finally:
        process.terminate()
        err = process.communicate(timeout=30)[1]
    assert f"Hub Tandem sur https://127.0.0.1:{port}" in err
