"""The retention rules are the hub administrator's (`tandem-hub retention`), and every device
receives them at its next sync (GET /v1/rules); a bad value is refused in French."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from tandem_desktop.domain.hlc import HybridClock
from tandem_desktop.hub import cli as hub_cli
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.privacy import retention
from tandem_desktop.services.records import Actor, Records

DAY_MS = 86_400_000


def test_rules_set_at_the_hub_reach_every_device_and_change_who_is_due(world, capsys) -> None:  # type: ignore[no-untyped-def]
    structure = world.structure("Mission locale")
    a = world.device(structure, "poste-a")
    assert retention.current_rules(a.store).programme("job_search").years == 2  # the CNIL's default
    store = a.store
    store.clock = HybridClock(store.device_id, wall_ms=lambda: time.time_ns() // 1_000_000 - 800 * DAY_MS)
    old = Records(store, Actor()).create("mentee", {"first_name": "Ancien", "last_name": "Dossier",
                                                    "structure_id": structure,
                                                    "waiting_since": (date.today() - timedelta(days=800)).isoformat()}
                                         ).record_id
    assert [line.due.record_id for line in retention.due(store, today=date.today())] == [old]
    code = hub_cli.main(["retention", "set", "--programme", "job_search", "--years", "3", "--db", world.db_url])
    assert code == 0, capsys.readouterr()
    assert "Règle enregistrée" in capsys.readouterr().err
    assert hub_cli.main(["retention", "show", "--json", "--db", world.db_url]) == 0
    assert json.loads(capsys.readouterr().out)["programmes"]["job_search"] == {"years": 3, "honorability": False}
    sync_service.sync_now(a)
    assert retention.current_rules(a.store).programme("job_search").years == 3
    assert retention.due(store, today=date.today()) == []  # 800 days < 3 years now
    b = world.device(structure, "poste-b")
    assert retention.current_rules(b.store).programme("job_search").years == 3


def test_bad_rules_are_refused_in_french_and_change_nothing(world, capsys) -> None:  # type: ignore[no-untyped-def]
    for argv, message in ((["--programme", "job_search", "--years", "0"], "de 1 à 10 ans"),
                          (["--programme", "sorcellerie", "--years", "2"], "Programme inconnu"),
                          (["--programme", "mentor", "--honorability", "oui"], "par programme"),
                          (["--programme", "orientation", "--honorability-months", "99"], "1 à 60 mois")):
        assert hub_cli.main(["retention", "set", *argv, "--db", world.db_url]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert hub_cli.main(["retention", "show", "--json", "--db", world.db_url]) == 0
    assert json.loads(capsys.readouterr().out)["programmes"]["job_search"]["years"] == 2
