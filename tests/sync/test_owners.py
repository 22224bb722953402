"""Issue 9, point 4: shared records have owners. From structure B's device, renaming structure A,
changing the e-mail printed on A's charters or moving A's counsellor into B is refused per write and
reported in French; B's copy goes back to the hub's, the refused value stays in B's conflict list
(to send again), and A's data never changes."""

from __future__ import annotations

import json

from tandem_desktop.services import sync as sync_service

from .conftest import outbox_rows


def _counsellor_of(profile) -> str:  # type: ignore[no-untyped-def]
    return profile.store.remote.state()["counsellor_id"]


def test_another_structure_cannot_change_a_structure_or_its_counsellors(world) -> None:  # type: ignore[no-untyped-def]
    s_a, s_b = world.structure("Mission locale"), world.structure("Adie")
    a, b = world.device(s_a, "a"), world.device(s_b, "b")
    admin = world.device(s_b, "admin", admin_role=True)
    sync_service.sync_now(b)
    counsellor = _counsellor_of(a)
    mentor = b.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    b.store.update("structure", s_a, {"name": "Piratée", "email": "pirate@exemple.fr"})
    b.store.update("counsellor", counsellor, {"first_name": "Camille", "structure_id": s_b})
    report = sync_service.sync_now(b)
    assert (report.refused, report.pushed, outbox_rows(b)) == (2, 1, 0)
    conflicts = {c.kind: c for c in sync_service.list_conflicts(b)}
    assert set(conflicts) == {"structure", "counsellor"}
    assert "ses propres postes" in conflicts["structure"].description
    assert conflicts["structure"].lost_value == {"name": "Piratée", "email": "pirate@exemple.fr"}
    assert "administrateur" in conflicts["counsellor"].message
    assert b.store.get("structure", s_a)["name"] == "Mission locale"  # as the hub has it…
    assert b.store.get("counsellor", counsellor)["structure_id"] == s_a
    assert conflicts["counsellor"].resendable  # …the refused values kept in the conflicts
    assert report.checked and report.mismatches == {}  # no lasting difference with the hub
    sync_service.sync_now(a)
    assert a.store.get("structure", s_a)["name"] == "Mission locale"
    assert a.store.get("structure", s_a)["email"] is None
    assert a.store.get("counsellor", counsellor)["structure_id"] == s_a
    assert a.store.get("mentor", mentor)["last_name"] == "Durand"  # the rest of b's batch went through
    # A's own device may change A; B then gets A's value.
    a.store.update("structure", s_a, {"email": "accueil@ml13.fr"})
    assert sync_service.sync_now(a).refused == 0
    sync_service.sync_now(b)
    assert b.store.get("structure", s_a)["email"] == "accueil@ml13.fr"
    # Only an administrator moves a counsellor to another structure.
    a.store.update("counsellor", counsellor, {"first_name": "Camille", "structure_id": s_b})
    assert sync_service.sync_now(a).refused == 1
    sync_service.sync_now(admin)
    admin.store.update("counsellor", counsellor, {"first_name": "Camille", "structure_id": s_b})
    assert sync_service.sync_now(admin).refused == 0


def test_a_mentor_is_deleted_only_by_the_structure_that_brought_it(world) -> None:  # type: ignore[no-untyped-def]
    s_a, s_b = world.structure("Mission locale"), world.structure("Adie")
    a, b = world.device(s_a, "a"), world.device(s_b, "b")
    mentor = a.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    sync_service.sync_now(a)
    sync_service.sync_now(b)
    b.store.update("mentor", mentor, {"employer": "CMA CGM"})  # the pool is edited by everyone
    b.store.delete("mentor", mentor)
    report = sync_service.sync_now(b)
    assert (report.pushed, report.refused) == (1, 1)
    assert b.store.get("mentor", mentor)["employer"] == "CMA CGM"  # the refused delete brought it back
    [refused] = sync_service.list_conflicts(b)
    assert refused.field == "deleted" and "inactif" in refused.message
    assert sync_service.sync_now(b).mismatches == {}
    sync_service.sync_now(a)
    assert a.store.get("mentor", mentor)["employer"] == "CMA CGM"
    a.store.delete("mentor", mentor)
    assert sync_service.sync_now(a).refused == 0
    sync_service.sync_now(b)
    assert b.store.count("mentor") == 0


CONFLICT_JSON_KEYS = [
    "id", "seq", "conflict_type", "kind", "record_id", "field", "kept_value", "kept_version", "lost_value",
    "lost_version", "kept_device", "lost_device", "message", "received_at", "resolved", "resolved_at",
    "kind_label", "field_label", "record_label", "type_label", "kept_text", "lost_text", "kept_by_me",
    "lost_by_me", "resendable", "reversible", "description"]


def test_the_command_lists_and_resends_a_refused_write(world, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.cli import main

    from ..conftest import PASSPHRASE

    s_a, s_b = world.structure("Mission locale"), world.structure("Adie")
    world.device(s_a, "a")
    b = world.device(s_b, "b")
    b.store.update("structure", s_a, {"email": "pirate@exemple.fr"})
    assert sync_service.sync_now(b).refused == 1
    b.close()
    for name, value in (("TANDEM_DATA_DIR", str(b.settings.data_dir)), ("TANDEM_PASSPHRASE", PASSPHRASE),
                        ("TANDEM_KDF_LOG2N", "14")):
        monkeypatch.setenv(name, value)
    assert main(["conflicts", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["conflict_type"] == "refused" and item["resendable"] and item["lost_value"] == "pirate@exemple.fr"
    assert list(item) == CONFLICT_JSON_KEYS  # the JSON printed before the service's answers were typed
    assert (item["kind"], item["record_id"], item["field"], item["resolved"], item["kind_label"]) == (
        "structure", s_a, "email", False, "Structure")
    assert main(["conflicts", "--resend", item["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"email": "pirate@exemple.fr"}
    assert main(["sync"]) == 0
    assert "Refusées\u00a0: 1" in capsys.readouterr().out  # refused again: kept again
    assert main(["conflicts", "--json"]) == 0
    [again] = json.loads(capsys.readouterr().out)
    assert main(["conflicts", "--resend", again["id"]]) == 0
    assert "renvoyée" in (out := capsys.readouterr().out) and "(1 champ(s))" in out
    assert main(["conflicts", "--resend", "inconnu"]) == 1
    err = capsys.readouterr().err
    assert "introuvable" in err and "Traceback" not in err
