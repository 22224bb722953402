"""A demo profile never reaches a hub (its 32,000 fake records would be pushed), and a device is named
after its counsellor and structure, not the machine's host name; through the real hub and `tandem`."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tandem_desktop.cli import main
from tandem_desktop.hub import admin
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.store.demo import DEMO_REFUSED, ENROLLED_REFUSED, is_demo
from tandem_desktop.sync.errors import SyncError

from ..conftest import PASSPHRASE


def test_a_device_is_named_after_its_counsellor_and_structure(world) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale de Marseille")
    profile = world.new_profile()
    counsellor = admin.add_counsellor(world.engine, structure, "Camille Martin", "camille@ml.example")
    info = sync_service.enroll(profile, world.url, admin.make_enroll_code(world.engine, counsellor))
    name = "Camille Martin \u2013 Mission locale de Marseille"
    assert info.device_name == name != socket.gethostname()
    assert profile.store.remote.state()["device_name"] == name
    assert [d["name"] for d in admin.list_devices(world.engine)] == [name]
    assert "Camille Martin" in info.certificate["subject"]
    other = world.new_profile()  # a name given is kept as typed
    given = sync_service.enroll(other, world.url, world.code(structure), device_name="  Portable   accueil ")
    assert given.device_name == "Portable accueil"


def test_a_demo_profile_refuses_enrollment_and_an_enrolled_one_refuses_demo_data(  # type: ignore[no-untyped-def]
        world, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    structure = world.structure("Adie")
    demo = world.new_profile("demo")
    generate_demo(demo.store, mentors=3, mentees=6, seed=2)
    assert is_demo(demo.store)
    folder = Path(demo.settings.data_dir)
    demo.close()
    code = world.code(structure)
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    capsys.readouterr()
    assert main(["--data-dir", str(folder), "enroll", "--hub", world.url, "--code", code]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == DEMO_REFUSED + "\n" and "Traceback" not in err
    assert admin.list_devices(world.engine) == []  # nothing reached the hub: the code is still good

    real = world.new_profile("vrai")
    assert sync_service.enroll(real, world.url, code).device_id
    with pytest.raises(SyncError, match="données de démonstration"):  # the service refuses it too
        generate_demo(world.new_profile("demo2").store, mentors=1, mentees=1)
        sync_service.enroll(world.profiles[-1], world.url, world.code(structure))
    records_before = real.store.count("mentee")
    real_folder = Path(real.settings.data_dir)
    real.close()
    world.profiles.remove(real)
    capsys.readouterr()
    assert main(["--data-dir", str(real_folder), "demo", "--mentors", "2", "--mentees", "3"]) == 1
    out, err = capsys.readouterr()
    assert ENROLLED_REFUSED in err and "Traceback" not in err
    code_json = main(["--data-dir", str(real_folder), "list", "mentee", "--json"])
    assert code_json == 0 and len(json.loads(capsys.readouterr().out)) == records_before
