"""The hub's CA key at rest: encrypted with a secret key kept outside the database, so a copy of the
database (or its backup) alone issues no certificate; a wrong or missing key refuses to start."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, select, text

from tandem_desktop.hub import admin, cli
from tandem_desktop.hub.ca import SEALED_PREFIX, unseal_ca_key
from tandem_desktop.hub.config import HubOptions
from tandem_desktop.hub.db import hub_ca, hub_id, utcnow
from tandem_desktop.hub.secret_key import SecretKeyError
from tandem_desktop.hub.server import RunningHub, run_in_thread

from .helpers import TEST_OPTIONS, World

PLAIN_MARKERS = (b"BEGIN PRIVATE KEY", b"BEGIN EC PRIVATE KEY", b"PRIVATE KEY-----")


def _enroll(hub: RunningHub, engine: Engine) -> x509.Certificate:
    """A device enrolled over HTTP; its certificate."""
    world = World(hub.url, engine)
    device = world.device(world.structure())
    device.close()
    return x509.load_pem_x509_certificate(device.enrollment["certificate_pem"].encode())


def _ca_cert(engine: Engine) -> x509.Certificate:
    with engine.connect() as conn:
        return x509.load_pem_x509_certificate(conn.execute(select(hub_ca.c.cert_pem)).scalar_one().encode())


def _stored_key(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(hub_ca.c.key_pem)).scalar_one()


def _raw_bytes(db_url: str, engine: Engine) -> bytes:
    """Everything the database holds about its CA as stored: the SQLite files byte for byte, or the
    PostgreSQL table rendered as text."""
    if engine.dialect.name == "sqlite":
        database = Path(engine.url.database or "")
        return b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*")
                        if not path.name.endswith(".key"))
    with engine.connect() as conn:
        return "\n".join(conn.execute(text("SELECT hub_ca::text FROM hub_ca")).scalars()).encode()


def test_the_ca_key_is_stored_encrypted(db_url: str, engine: Engine) -> None:
    with run_in_thread(db_url, options=TEST_OPTIONS) as hub:
        device_cert = _enroll(hub, engine)
    stored = _stored_key(engine)
    assert stored.startswith(SEALED_PREFIX)
    raw = _raw_bytes(db_url, engine)
    assert _ca_cert(engine).public_bytes(serialization.Encoding.PEM) in raw  # the scan does see the CA row
    for marker in PLAIN_MARKERS:
        assert marker not in raw
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(stored.encode(), password=None)
    device_cert.verify_directly_issued_by(_ca_cert(engine))


def test_a_copy_of_the_database_without_its_key_issues_nothing(db_url: str, engine: Engine, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with run_in_thread(db_url, options=TEST_OPTIONS) as hub:
        first = _enroll(hub, engine)
    ca_cert, stored, hub_identity = _ca_cert(engine), _stored_key(engine), hub_id(engine)
    copy_url = db_url
    if engine.dialect.name == "sqlite":  # a backup of the database file alone, elsewhere
        copy = tmp_path / "copie" / "hub.db"
        copy.parent.mkdir()
        source, target = sqlite3.connect(engine.url.database or ""), sqlite3.connect(copy)
        source.backup(target)
        source.close()
        target.close()
        copy_url = f"sqlite:///{copy}"
    with pytest.raises(SecretKeyError, match="clé secrète") as missing:
        run_in_thread(copy_url)
    assert "\u00a0:" in str(missing.value)
    assert not list(tmp_path.glob("copie/*.key")), "no new key is made for an encrypted CA"
    with pytest.raises(SecretKeyError, match="n’ouvre pas"):
        run_in_thread(copy_url, options=HubOptions(secret_key=os.urandom(32)))
    with pytest.raises(SecretKeyError, match="n’ouvre pas"):
        unseal_ca_key(stored, os.urandom(32), hub_identity, ca_cert)  # nor by hand, with any other key
    # The command says so in French and exits non-zero; nothing was changed.
    assert cli.main(["serve", "--db", copy_url, "--port", "9"]) == 1
    assert "clé secrète" in capsys.readouterr().err
    assert cli.main(["serve", "--db", copy_url, "--port", "9", "--secret-key-file", str(tmp_path / "absent")]) == 1
    assert "introuvable" in capsys.readouterr().err
    assert _stored_key(engine) == stored
    # With its key, the hub issues again, from the same authority.
    with run_in_thread(copy_url, options=TEST_OPTIONS) as hub:
        copy_engine = admin.connect(copy_url)
        second = _enroll(hub, copy_engine)
        copy_engine.dispose()
    first.verify_directly_issued_by(ca_cert)
    second.verify_directly_issued_by(ca_cert)


def test_a_sqlite_trial_makes_its_key_beside_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'essai' / 'hub.db'}"
    key_file = tmp_path / "essai" / "hub.db.key"
    with run_in_thread(db_url) as hub:
        engine = admin.connect(db_url)
        first = _enroll(hub, engine)
    assert "Clé secrète du hub créée" in capsys.readouterr().err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    assert _stored_key(engine).startswith(SEALED_PREFIX)
    with run_in_thread(db_url) as hub:  # a second start uses the same key, says nothing
        second = _enroll(hub, engine)
    assert capsys.readouterr().err == ""
    second.verify_directly_issued_by(_ca_cert(engine))
    first.verify_directly_issued_by(_ca_cert(engine))
    key_file.rename(tmp_path / "ailleurs.key")
    with pytest.raises(SecretKeyError, match="introuvable"):
        run_in_thread(db_url)
    assert not key_file.exists()
    moved_key = bytes.fromhex((tmp_path / "ailleurs.key").read_text())
    with run_in_thread(db_url, options=HubOptions(secret_key=moved_key)) as hub:
        _enroll(hub, engine).verify_directly_issued_by(_ca_cert(engine))
    engine.dispose()


def _previous_release_ca(engine: Engine) -> x509.Certificate:
    """A CA row as the previous release wrote it: the key as a plain PKCS#8 PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tandem hub CA ancien")])
    now = utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    with engine.begin() as conn:
        conn.execute(hub_ca.insert().values(id=1, key_pem=key_pem, cert_pem=cert.public_bytes(
            serialization.Encoding.PEM).decode(), created_at=now))
    return cert


def test_a_plaintext_ca_key_of_the_previous_release_is_encrypted_at_first_start(db_url: str, engine: Engine) -> None:
    old_ca = _previous_release_ca(engine)
    assert b"BEGIN PRIVATE KEY" in _raw_bytes(db_url, engine)
    with run_in_thread(db_url, options=TEST_OPTIONS) as hub:
        device_cert = _enroll(hub, engine)
        assert _stored_key(engine).startswith(SEALED_PREFIX)
    device_cert.verify_directly_issued_by(old_ca)  # the same authority as before the upgrade
    assert _ca_cert(engine) == old_ca
    for marker in PLAIN_MARKERS:
        assert marker not in _raw_bytes(db_url, engine)
    with pytest.raises(SecretKeyError, match="n’ouvre pas"):
        run_in_thread(db_url, options=HubOptions(secret_key=os.urandom(32)))


def test_secret_key_files_and_values(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    made = tmp_path / "secrets" / "hub.key"
    assert cli.main(["secret-key", "--out", str(made)]) == 0
    assert "Clé secrète créée" in capsys.readouterr().err
    assert stat.S_IMODE(made.stat().st_mode) == 0o600 and len(bytes.fromhex(made.read_text())) == 32
    before = made.read_text()
    assert cli.main(["secret-key", "--out", str(made)]) == 1  # never overwritten
    assert "existe déjà" in capsys.readouterr().err and made.read_text() == before
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    weak = tmp_path / "faible.key"
    weak.write_text("motdepasse")
    for argv, env, words in (
        (["--secret-key-file", str(weak)], {}, "invalide"),
        ([], {"TANDEM_HUB_SECRET_KEY": "abcd"}, "invalide"),
        ([], {"TANDEM_HUB_SECRET_KEY_FILE": str(tmp_path / "absent.key")}, "introuvable"),
        (["--tls-cert", str(made)], {}, "--tls-key"),
        (["--tls-cert", str(made), "--tls-key", str(made)], {}, "TLS inutilisable"),
        (["--body-timeout", "0"], {}, "positives"),
    ):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert cli.main(["serve", "--db", db_url, "--port", "9", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err
        for name in env:
            monkeypatch.delenv(name)
    # Hex and base64 keys from the environment both work (and are the same key).
    import base64

    from tandem_desktop.hub.secret_key import configured_secret_key

    raw = os.urandom(32)
    assert configured_secret_key(None, {"TANDEM_HUB_SECRET_KEY": raw.hex()}) == raw
    assert configured_secret_key(None, {"TANDEM_HUB_SECRET_KEY": base64.b64encode(raw).decode()}) == raw
    assert configured_secret_key(None, {"TANDEM_HUB_SECRET_KEY": base64.urlsafe_b64encode(raw).decode()}) == raw
    assert configured_secret_key(None, {}) is None
    # A URL-safe key with « - » and « _ » in a multiple of four (it failed one run in a few before).
    tricky = bytes([0xFB, 0xFF, 0xBF]) * 11
    assert base64.urlsafe_b64encode(tricky).decode() == "-_-_" * 11
    assert configured_secret_key(None, {"TANDEM_HUB_SECRET_KEY": "-_-_" * 11}) == tricky
