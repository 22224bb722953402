"""The one door for record writes (services/records.py): lifecycle side effects and the Changes it reports,
on a real SQLCipher profile, and through the `tandem` command in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem_desktop import cli
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.services.matching import MatchingService
from tandem_desktop.services.records import ENDED_TANDEM_MEETING, Actor, Changes, Records
from tandem_desktop.store.profile import Profile, open_profile

from .conftest import PASSPHRASE


@pytest.fixture
def records(store) -> Records:  # type: ignore[no-untyped-def]
    return Records(store, Actor())


def _pair(records: Records) -> tuple[str, str]:
    store = records.store
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale"})
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont", "capacity": 2})
    mentee = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "structure_id": structure})
    return mentor, mentee


def test_creating_a_tandem_proposes_it_and_reports_the_mentee_it_moved(records: Records) -> None:
    mentor, mentee = _pair(records)
    changes = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee})
    tandem = records.store.get("tandem", changes.record_id)
    assert tandem["status"] == "proposed"
    assert tandem["structure_id"] == records.store.get("mentee", mentee)["structure_id"], "inherits the structure"
    assert records.store.get("mentee", mentee)["status"] == "in_tandem"
    assert changes.kinds == {"tandem", "mentee"}
    assert changes.ids("mentee") == {mentee}
    assert changes.created_ids("tandem") == {changes.record_id}
    assert changes.created_ids("mentee") == frozenset()


def test_ending_the_last_live_tandem_makes_the_mentee_exited(records: Records) -> None:
    mentor, mentee = _pair(records)
    first = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    second = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    changes = records.move_tandem(first, "ended", outcome="job")
    assert changes.fields and "status" in changes.fields
    assert records.store.get("mentee", mentee)["status"] == "in_tandem", "another tandem is still live"
    assert changes.ids("mentee") == frozenset()
    changes = records.update("tandem", second, {"status": "ended", "outcome": "training"})  # as the form does
    assert records.store.get("mentee", mentee)["status"] == "exited"
    assert changes.ids("mentee") == {mentee} and changes.record_id == second


def test_deleting_a_tandem_puts_the_mentee_back_on_the_waiting_list(records: Records) -> None:
    """The old code left the mentee `in_tandem`: out of matching forever."""
    mentor, mentee = _pair(records)
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    meeting = records.add_meeting(tandem, {"date": "2026-11-20", "summary": "Premier échange"}).record_id
    changes = records.delete("tandem", tandem)
    assert records.store.get("mentee", mentee)["status"] == "waiting"
    assert changes.deleted_ids("tandem") == {tandem}
    assert changes.deleted_ids("meeting") == {meeting}, "its meetings go with it"
    assert changes.ids("mentee") == {mentee}
    assert mentee in {m["id"] for m in records.store.live_records("mentee", status="waiting")}
    assert MatchingService(records.store).data().mentees.row.get(mentee) is not None, "back in matching"


def test_deleting_an_ended_tandem_leaves_an_exited_mentee_alone(records: Records) -> None:
    mentor, mentee = _pair(records)
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    records.move_tandem(tandem, "ended", outcome="job")
    changes = records.delete("tandem", tandem)
    assert records.store.get("mentee", mentee)["status"] == "exited"
    assert changes.kinds == {"tandem"}


def test_giving_a_tandem_to_another_mentee_moves_both_statuses(records: Records) -> None:
    mentor, first = _pair(records)
    second = records.store.create("mentee", {"first_name": "Sofiane", "last_name": "Benali"})
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": first}).record_id
    changes = records.update("tandem", tandem, {"mentee_id": second})
    assert records.store.get("mentee", first)["status"] == "waiting"
    assert records.store.get("mentee", second)["status"] == "in_tandem"
    assert changes.ids("mentee") == {first, second}


def test_a_meeting_is_refused_on_an_ended_tandem_and_nothing_is_written(records: Records) -> None:
    mentor, mentee = _pair(records)
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    records.add_meeting(tandem, {"date": "2026-11-20"})
    records.move_tandem(tandem, "ended", outcome="stopped_early")
    pending = records.store.outbox_writes()
    with pytest.raises(ValidationError) as refused:
        records.add_meeting(tandem, {"date": "2026-11-25", "summary": "Bilan"})
    assert refused.value.errors == {"tandem_id": ENDED_TANDEM_MEETING}
    assert ENDED_TANDEM_MEETING == "Ce tandem est terminé, aucune rencontre ne peut plus y être ajoutée."
    assert records.store.outbox_writes() == pending
    assert len(records.store.live_records("meeting", tandem_id=tandem)) == 1
    other = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    meeting = records.add_meeting(other, {"date": "2026-11-21"}).record_id
    with pytest.raises(ValidationError):
        records.update("meeting", meeting, {"tandem_id": tandem})  # nor moved onto it
    assert records.update("meeting", meeting, {"summary": "Corrigé"}).fields == ("summary",)


def test_a_resent_tandem_write_keeps_the_mentee_status_rule(records: Records) -> None:
    """Conflict resolution sends a refused write again through the same door, rules included."""
    mentor, mentee = _pair(records)
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    changes, sent = records.resend("tandem", tandem, {"status": "ended", "outcome": "job"})
    assert sent["status"] == "ended" and changes.ids("mentee") == {mentee}
    assert records.store.get("mentee", mentee)["status"] == "exited"


def test_an_update_that_changes_nothing_reports_nothing(records: Records) -> None:
    mentor, _ = _pair(records)
    changes = records.update("mentor", mentor, {"first_name": "Hélène"})
    assert not changes and changes.fields == () and changes.record_id == mentor


def test_a_refused_delete_writes_nothing(records: Records) -> None:
    mentor, mentee = _pair(records)
    records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee})
    pending = records.store.outbox_writes()
    with pytest.raises(ValidationError):
        records.delete("mentor", mentor)
    assert records.store.outbox_writes() == pending


def test_changes_merge_over_calls() -> None:
    a = Changes.one("tandem", "t1", ("status",), created=True)
    b = Changes.one("mentee", "m1", ("status",)) | Changes.one("tandem", "t2", deleted=True)
    merged = a | b
    assert merged.record_id == "t1" and merged.fields == ("status",)
    assert merged.ids("tandem") == {"t1", "t2"} and merged.ids("mentee") == {"m1"}
    assert merged.created_ids("tandem") == {"t1"} and merged.deleted_ids("tandem") == {"t2"}
    assert (Changes() | a).record_id == "t1"
    assert not Changes()


def test_the_actor_is_the_enrolled_counsellor_named_from_their_record(store) -> None:  # type: ignore[no-untyped-def]
    assert Actor.of_store(store) == Actor()
    structure = store.create("structure", {"name": "Adie Provence", "type": "adie"})
    counsellor = store.create("counsellor", {"first_name": "Claire", "last_name": "Martin",
                                             "structure_id": structure})
    store.remote.set_state(counsellor_id=counsellor)
    assert Actor.of_store(store) == Actor(counsellor, "Claire Martin")
    store.remote.set_state(counsellor_id="0190-inconnu")
    assert Actor.of_store(store) == Actor("0190-inconnu")


def test_matching_decisions_report_their_changes(store) -> None:  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    mentor, mentee = _pair(records)
    service = MatchingService(store, records=records)
    accepted = service.accept(mentee, mentor)
    assert accepted.created_ids("tandem") == {accepted.record_id} and accepted.ids("mentee") == {mentee}
    undone = service.undo_accept(accepted.record_id)
    assert undone.deleted_ids("tandem") == {accepted.record_id}
    assert store.get("mentee", mentee)["status"] == "waiting"
    assert service.decline(mentee, mentor).ids("mentee") == {mentee}
    assert not service.decline(mentee, mentor), "declined already: nothing written"


# -- through the `tandem` command, in-process --------------------------------------------------------


@pytest.fixture
def cli_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "profil-cli"
    monkeypatch.setenv("TANDEM_DATA_DIR", str(data))
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    assert cli.main(["init"]) == 0
    return data


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.strip()


def _opened(data: Path) -> Profile:
    from tandem_desktop.settings import load_settings

    return open_profile(load_settings(data, environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase(PASSPHRASE))


def test_cli_tandem_delete_puts_the_mentee_back_on_the_waiting_list(cli_profile: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    mentor = _run(capsys, "add", "mentor", "first_name=Hélène", "last_name=Dupont")
    mentee = _run(capsys, "add", "mentee", "first_name=Inès", "last_name=Haddad")
    tandem = _run(capsys, "add", "tandem", f"mentor_id={mentor}", f"mentee_id={mentee}")
    with _opened(cli_profile) as profile:
        assert profile.store.get("mentee", mentee)["status"] == "in_tandem"
        assert profile.store.get("tandem", tandem)["status"] == "proposed"
    assert "supprimée" in _run(capsys, "delete", "tandem", tandem)
    with _opened(cli_profile) as profile:
        assert profile.store.get("mentee", mentee)["status"] == "waiting"


def test_cli_set_ends_a_tandem_and_the_mentee_exits(cli_profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mentor = _run(capsys, "add", "mentor", "first_name=Hélène", "last_name=Dupont")
    mentee = _run(capsys, "add", "mentee", "first_name=Inès", "last_name=Haddad")
    tandem = _run(capsys, "add", "tandem", f"mentor_id={mentor}", f"mentee_id={mentee}")
    out = _run(capsys, "set", "tandem", tandem, "status=ended", "outcome=job")
    assert out.startswith("Fiche modifiée") and "Étape" in out
    assert _run(capsys, "set", "tandem", tandem, "outcome=job") == "Aucun changement."
    with _opened(cli_profile) as profile:
        assert profile.store.get("mentee", mentee)["status"] == "exited"
    capsys.readouterr()
    assert cli.main(["add", "meeting", f"tandem_id={tandem}", "date=2026-11-26"]) == 1
    err = capsys.readouterr().err
    assert "Ce tandem est terminé" in err and "Traceback" not in err


def test_cli_match_accept_creates_through_the_door(cli_profile: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import json

    mentor = _run(capsys, "add", "mentor", "first_name=Hélène", "last_name=Dupont", "capacity=2")
    mentees = [_run(capsys, "add", "mentee", f"first_name={n}", "last_name=Haddad") for n in ("Inès", "Sofia")]
    proposal = tmp_path / "proposition.json"
    proposal.write_text(json.dumps({"pairs": [{"mentee_id": m, "mentor_id": mentor} for m in mentees]}),
                        encoding="utf-8")
    assert _run(capsys, "match", "accept", str(proposal)).startswith("2 tandems créés")
    with _opened(cli_profile) as profile:
        assert {profile.store.get("mentee", m)["status"] for m in mentees} == {"in_tandem"}
