"""The French wording of the sync state: plurals, times, warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tandem_desktop.gui.sync_texts import (
    conflicts_text,
    flags_detail,
    flags_text,
    last_sync_text,
    mentor_warning,
    mismatch_detail,
    mismatch_text,
    pending_text,
    phase_text,
    plural,
)

NBSP = "\u00a0"


def test_french_plurals_take_the_singular_for_zero_and_one() -> None:
    assert plural(0, "conflit") == f"0{NBSP}conflit"
    assert plural(1, "conflit") == f"1{NBSP}conflit"
    assert plural(2, "conflit") == f"2{NBSP}conflits"
    assert plural(12345, "conflit") == f"12\u202f345{NBSP}conflits"
    assert pending_text(0) == "Aucune modification en attente"
    assert pending_text(1) == f"1{NBSP}modification en attente"
    assert pending_text(3) == f"3{NBSP}modifications en attente"
    assert conflicts_text(0) == "Aucun conflit"
    assert conflicts_text(2) == f"2{NBSP}conflits"


def test_last_sync_reads_as_local_time_today_and_as_a_date_before() -> None:
    assert last_sync_text(None) == f"Dernière synchro{NBSP}: jamais"
    now = datetime.now(UTC).replace(microsecond=0)
    local = now.astimezone()
    assert last_sync_text(now.isoformat(), today=local.date()) == f"Dernière synchro{NBSP}: {local:%H:%M}"
    earlier = now - timedelta(days=3)
    text = last_sync_text(earlier.isoformat().replace("+00:00", "Z"), today=local.date())
    assert text == f"Dernière synchro{NBSP}: {earlier.astimezone():%d/%m/%Y} à {earlier.astimezone():%H:%M}"
    assert last_sync_text("pas une date", today=date(2026, 11, 26)).endswith("jamais")


def test_progress_names_the_phase_in_french() -> None:
    assert phase_text("push", 120, 500) == "Synchronisation… envoi 120/500"
    assert phase_text("pull", 1500, None) == "Synchronisation… réception (1\u202f500)"
    assert phase_text("connect", 0, None) == "Synchronisation… connexion"


def test_overbooking_and_mismatch_warnings() -> None:
    assert flags_text([]) == ""
    one = {"mentor_id": "m1", "mentor_name": "Hélène Dupont", "capacity": 1, "tandems": 2}
    assert flags_text([one]) == f"Mentor en surréservation{NBSP}: Hélène Dupont"
    assert flags_detail([one]) == f"Hélène Dupont{NBSP}: 2{NBSP}tandems en cours pour une capacité de 1"
    assert flags_text([one, {**one, "mentor_name": "Jean Martin"}]) == f"2{NBSP}mentors en surréservation"
    assert f"1{NBSP}tandem en cours" in mentor_warning({**one, "tandems": ["t1"]})
    assert mismatch_text({}) == ""
    mismatches = {"mentor": {"hub": {"count": 13, "digest": "a"}, "local": {"count": 12, "digest": "b"}},
                  "tandem": {"hub": {"count": 2, "digest": "a"}, "local": {"count": 2, "digest": "b"}}}
    assert mismatch_text(mismatches) == f"Écart avec le hub{NBSP}: mentors, tandems"
    detail = mismatch_detail(mismatches)
    assert f"mentors{NBSP}: 12 ici, 13 au hub" in detail
    assert f"tandems{NBSP}: même nombre, contenu différent" in detail
