"""How a device reaches its hub: plain http:// only to this machine unless explicitly allowed (the
choice kept with the enrollment), HTTPS checked against the system's authorities plus the hub's own
one given at enrollment; every refusal is French and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem_desktop import cli
from tandem_desktop.hub.server import RunningHub, run_in_thread
from tandem_desktop.services import sync as sync_service
from tandem_desktop.sync.client import HubClient, is_loopback
from tandem_desktop.sync.errors import HubUntrusted, InsecureHub, SyncError

from ..conftest import PASSPHRASE
from ..hub.helpers import TEST_OPTIONS, make_tls_files, non_loopback_address
from .conftest import World, outbox_rows

NBSP = "\u00a0"


def _enrollment(profile) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v for k, v in profile.store.remote.state().items()
            if k in ("hub_url", "device_id", "token", "token_source", "insecure_http", "tls_ca_pem")}


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST.", "[::1]", "::1", "::ffff:127.0.0.1"):
        assert is_loopback(host), host
    for host in ("192.0.2.2", "10.0.0.1", "hub.exemple", "localhost.exemple.fr", "::2", "0.0.0.0", ""):
        assert not is_loopback(host), host


def test_plain_http_to_another_machine_is_refused_and_nothing_is_stored(world: World) -> None:
    profile = world.new_profile()
    before = _enrollment(profile)
    code = world.code(world.structure("Mission locale"))
    for url in ("http://hub.exemple:8765", "http://192.0.2.77", "HTTP://10.1.2.3:8765/"):
        with pytest.raises(InsecureHub) as refused:
            sync_service.enroll(profile, url, code)
        message = str(refused.value)
        assert "non chiffrée" in message and "en clair" in message and "--insecure-http" in message
        assert f"{NBSP}:" in message and "https://" in message
        assert _enrollment(profile) == before
    with pytest.raises(InsecureHub):  # the one client refuses it too, before any request
        HubClient("http://hub.exemple", "jeton")
    assert sync_service.needs_insecure_http("http://hub.exemple") is True
    assert sync_service.needs_insecure_http("https://hub.exemple") is False
    assert sync_service.needs_insecure_http(world.url) is False  # http://127.0.0.1: this machine
    sync_service.enroll(profile, world.url, code)  # the code was not spent by the refusals
    assert "insecure_http" not in _enrollment(profile)


def test_the_enroll_command_refuses_plain_http_in_french(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passphrase = tmp_path / "phrase.txt"
    passphrase.write_text(PASSPHRASE)
    where = ["--data-dir", str(tmp_path / "profil"), "--passphrase-file", str(passphrase)]
    assert cli.main(["init", *where]) == 0
    capsys.readouterr()
    assert cli.main(["enroll", *where, "--hub", "http://hub.exemple:8765", "--code", "ABCDEFGHJK"]) == 1
    err = capsys.readouterr().err
    assert "Connexion non chiffrée refusée" in err and "--insecure-http" in err and "Traceback" not in err
    assert cli.main(["device", *where, "--json"]) == 0
    assert '"enrolled": false' in capsys.readouterr().out


@pytest.fixture
def lan_hub(hub_db_url: str) -> Iterator[RunningHub]:
    """A hub listening on a non-loopback address of this machine, over plain http."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    running = run_in_thread(hub_db_url, host=address, options=TEST_OPTIONS)
    yield running
    running.stop()


def test_insecure_http_chosen_at_enrollment_is_kept_for_every_sync(world: World, lan_hub: RunningHub) -> None:
    structure = world.structure("Mission locale")
    profile = world.new_profile()
    with pytest.raises(InsecureHub):
        sync_service.enroll(profile, lan_hub.url, world.code(structure))
    info = sync_service.enroll(profile, lan_hub.url, world.code(structure), insecure_http=True)
    assert info.insecure_http is True and _enrollment(profile)["insecure_http"] == "1"
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    report = sync_service.sync_now(profile)
    assert report.pushed == 1 and outbox_rows(profile) == 0
    assert sync_service.probe(lan_hub.url) is True
    # A device enrolled over plain http by the previous release, without that choice: its syncs stop,
    # with the explanation, and keep its edits.
    profile.store.remote.set_state(insecure_http=None)
    profile.store.create("mentor", {"first_name": "Luc", "last_name": "Martin"})
    with pytest.raises(InsecureHub, match="non chiffrée"):
        sync_service.sync_now(profile)
    assert outbox_rows(profile) == 1
    assert "non chiffrée" in (sync_service.sync_status(profile).last_error or "")
    assert sync_service.probe(lan_hub.url) is True  # the hub is there: the failing sync says what is wrong


@pytest.fixture
def tls_hub(hub_db_url: str, tmp_path: Path) -> Iterator[tuple[RunningHub, str]]:
    """The hub served over HTTPS with a certificate from an authority made for the test."""
    ca_pem, tls = make_tls_files(tmp_path / "tls")
    running = run_in_thread(hub_db_url, options=TEST_OPTIONS, tls=tls)
    yield running, ca_pem
    running.stop()


def test_https_with_the_hubs_own_authority(world: World, tls_hub: tuple[RunningHub, str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    hub, ca_pem = tls_hub
    assert hub.url.startswith("https://127.0.0.1:")
    structure = world.structure("Mission locale")
    profile = world.new_profile()
    before = _enrollment(profile)
    with pytest.raises(HubUntrusted) as untrusted:  # not an authority of the system: refused
        sync_service.enroll(profile, hub.url, world.code(structure))
    assert "n’est pas reconnu" in str(untrusted.value) and "autorité inconnue" in str(untrusted.value)
    assert "--hub-ca" in str(untrusted.value) and _enrollment(profile) == before
    other_ca, _ = make_tls_files(tmp_path / "autre")
    with pytest.raises(HubUntrusted):  # nor another authority
        sync_service.enroll(profile, hub.url, world.code(structure), tls_ca_pem=other_ca)
    wrong_name = hub.url.replace("127.0.0.1", "localhost")  # the certificate names 127.0.0.1 only
    with pytest.raises(HubUntrusted, match="nom du serveur"):
        sync_service.enroll(profile, wrong_name, world.code(structure), tls_ca_pem=ca_pem)
    assert _enrollment(profile) == before

    sync_service.enroll(profile, hub.url, world.code(structure), tls_ca_pem=ca_pem)
    assert _enrollment(profile)["tls_ca_pem"] == ca_pem
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    assert sync_service.sync_now(profile).pushed == 1  # later syncs use the authority kept at enrollment
    assert sync_service.probe(hub.url) is True

    # The same from the command line, with --hub-ca.
    passphrase = tmp_path / "phrase.txt"
    passphrase.write_text(PASSPHRASE)
    where = ["--data-dir", str(tmp_path / "profil-cli"), "--passphrase-file", str(passphrase)]
    assert cli.main(["init", *where]) == 0
    ca_file = tmp_path / "hub-ca.pem"
    ca_file.write_text(ca_pem)
    assert cli.main(["enroll", *where, "--hub", hub.url, "--code", world.code(structure)]) == 1
    assert "n’est pas reconnu" in capsys.readouterr().err
    assert cli.main(["enroll", *where, "--hub", hub.url, "--code", world.code(structure), "--hub-ca",
                     str(tmp_path / "absent.pem")]) == 1
    assert "illisible" in capsys.readouterr().err
    assert cli.main(["enroll", *where, "--hub", hub.url, "--code", world.code(structure), "--hub-ca",
                     str(ca_file)]) == 0
    assert "Poste relié au hub" in capsys.readouterr().out
    assert cli.main(["sync", *where, "--json"]) == 0
    assert '"pulled"' in capsys.readouterr().out


def test_an_enrolled_device_moves_to_https_only_on_the_same_hub(world: World, hub_db_url: str, tmp_path: Path) -> None:
    """The hub moves from plain http to HTTPS: the device re-enrolls at the new address with a new code
    and keeps its data and cursor; an address of another hub, or of one that only claims the same
    hub id, is refused and nothing changes."""
    from sqlalchemy import text

    from tandem_desktop.hub import admin

    structure = world.structure("Mission locale")
    profile = world.device(structure)
    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_service.sync_now(profile)
    before = _enrollment(profile)
    cursor = profile.store.remote.state()["cursor"]
    ca_pem, tls = make_tls_files(tmp_path / "tls")
    other_url = f"sqlite:///{tmp_path / 'autre-hub.db'}"
    other_engine = admin.connect(other_url)
    with run_in_thread(other_url, options=TEST_OPTIONS) as other:
        with pytest.raises(SyncError, match="déjà relié"):  # another hub
            sync_service.enroll(profile, other.url, "ABCDEFGHJK")
        with other_engine.begin() as conn:  # a hub that only claims to be ours (with an authority of its own)
            conn.execute(text("UPDATE hub_state SET hub_id = :h"), {"h": profile.store.remote.state()["hub_id"]})
            conn.execute(text("DELETE FROM hub_ca"))
        impostor_code = admin.make_enroll_code(other_engine, admin.add_counsellor(
            other_engine, admin.add_structure(other_engine, "Leurre"), "Faux Hub", "faux@exemple.fr"))
    with run_in_thread(other_url, options=TEST_OPTIONS) as impostor, pytest.raises(SyncError, match="déjà relié"):
        sync_service.enroll(profile, impostor.url, impostor_code)
    other_engine.dispose()
    assert _enrollment(profile) == before
    with run_in_thread(hub_db_url, options=TEST_OPTIONS, tls=tls) as secure:  # the same hub, now over HTTPS
        info = sync_service.enroll(profile, secure.url, world.code(structure), tls_ca_pem=ca_pem)
        state = profile.store.remote.state()
        assert state["hub_url"] == secure.url == info.hub_url and state["cursor"] == cursor
        assert state["device_id"] != before["device_id"]
        profile.store.create("mentor", {"first_name": "Luc", "last_name": "Martin"})
        report = sync_service.sync_now(profile)
        assert report.pushed == 1 and report.mismatches == {}
