"""Domain rules: validation with French messages, the tandem lifecycle, ids and clocks."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tandem_desktop.domain import validation as v
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.hlc import HybridClock, Stamp
from tandem_desktop.domain.ids import Uuid7Factory, is_record_id, new_id
from tandem_desktop.domain.kinds import MENTEE, MENTOR, TANDEM
from tandem_desktop.domain.records import clean

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("06 12 34 56 78", "06 12 34 56 78"), ("0612345678", "06 12 34 56 78"),
     ("+33 6 12 34 56 78", "06 12 34 56 78"), ("+33 (0)4 91 00 00 00", "04 91 00 00 00"),
     ("04.91.13.85.00", "04 91 13 85 00"), ("0033491000000", "04 91 00 00 00")],
)
def test_french_phone_numbers_are_normalised(typed: str, stored: str) -> None:
    assert v.normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "06 12 34 56", "+44 20 7946 0958", "00 12 34 56 78", "téléphone"])
def test_bad_phone_numbers_are_refused_in_french(typed: str) -> None:
    with pytest.raises(v.InvalidValue, match="Numéro de téléphone invalide"):
        v.normalize_phone(typed)


@pytest.mark.parametrize("code", ["13001", "13100", "84000", "97411", "20000"])
def test_postal_codes_accepted(code: str) -> None:
    assert v.normalize_postal_code(code) == code


@pytest.mark.parametrize("code", ["1300", "130011", "00100", "96000", "ABCDE"])
def test_postal_codes_refused(code: str) -> None:
    with pytest.raises(v.InvalidValue, match="Code postal invalide"):
        v.normalize_postal_code(code)


def test_email_rules() -> None:
    assert v.normalize_email(" Helene.Durand@Exemple.FR ") == "Helene.Durand@exemple.fr"
    for bad in ("helene", "helene@", "@exemple.fr", "h d@exemple.fr", "h@exemple"):
        with pytest.raises(v.InvalidValue) as info:
            v.normalize_email(bad)
        assert str(info.value) == v.MSG_EMAIL


def test_dates_in_french_or_iso_form() -> None:
    assert v.parse_date("21/06/2018") == date(2018, 6, 21)
    assert v.parse_date("2018-06-21") == date(2018, 6, 21)
    with pytest.raises(v.InvalidValue, match="JJ/MM/AAAA"):
        v.parse_date("31/02/2018")


def test_clean_collects_every_error_at_once_with_french_messages() -> None:
    with pytest.raises(ValidationError) as info:
        clean(MENTOR, {"first_name": " ", "email": "pas-un-mail", "capacity": "beaucoup"}, today=TODAY)
    errors = info.value.errors
    assert errors == {
        "first_name": v.MSG_REQUIRED,
        "last_name": v.MSG_REQUIRED,
        "email": v.MSG_EMAIL,
        "capacity": v.MSG_INT,
    }


def test_clean_fills_defaults_and_parses_typed_values() -> None:
    record = clean(
        MENTEE,
        {"first_name": "Inès", "last_name": "Haddad", "skills": "cuisine; vente, cuisine", "consent_given": "oui"},
        today=TODAY,
    )
    assert record["project_type"] == "job_search"
    assert record["status"] == "waiting"
    assert record["waiting_since"] == "2026-11-26"
    assert record["skills"] == ["cuisine", "vente"]
    assert record["consent_given"] is True
    assert record["consent_date"] == "2026-11-26"  # consent is dated when it is given


def test_choice_accepts_code_or_french_label() -> None:
    assert clean(MENTEE, {"first_name": "A", "last_name": "B", "project_type": "Création d'entreprise"},
                 today=TODAY)["project_type"] == "business_creation"
    with pytest.raises(ValidationError) as info:
        clean(MENTEE, {"first_name": "A", "last_name": "B", "project_type": "astronaute"}, today=TODAY)
    assert "Choix invalide" in info.value.errors["project_type"]


def test_unknown_field_is_reported_not_ignored() -> None:
    with pytest.raises(ValidationError) as info:
        clean(MENTOR, {"first_name": "A", "last_name": "B", "shoe_size": "42"}, today=TODAY)
    assert "shoe_size" in info.value.errors


TANDEM_NOW = {"mentor_id": new_id(), "mentee_id": new_id(), "status": "proposed", "proposed_on": "2026-11-01"}


def test_tandem_moves_one_step_and_dates_it() -> None:
    changes = clean(TANDEM, {"status": "accepted"}, today=TODAY, current=TANDEM_NOW)
    assert changes == {"status": "accepted", "accepted_on": "2026-11-26"}


def test_tandem_cannot_skip_steps_or_restart() -> None:
    with pytest.raises(ValidationError) as info:
        clean(TANDEM, {"status": "active"}, today=TODAY, current=TANDEM_NOW)
    assert info.value.errors["status"] == "Un tandem «\u00a0Proposé\u00a0» ne peut pas passer à «\u00a0Actif\u00a0»."
    ended = {**TANDEM_NOW, "status": "ended", "outcome": "job", "ended_on": "2026-11-20"}
    with pytest.raises(ValidationError, match="terminé"):
        clean(TANDEM, {"status": "active"}, today=TODAY, current=ended)


def test_ending_a_tandem_needs_an_outcome() -> None:
    with pytest.raises(ValidationError) as info:
        clean(TANDEM, {"status": "ended"}, today=TODAY, current=TANDEM_NOW)
    assert "issue" in info.value.errors["outcome"]
    changes = clean(TANDEM, {"status": "ended", "outcome": "Emploi"}, today=TODAY, current=TANDEM_NOW)
    assert changes == {"status": "ended", "outcome": "job", "ended_on": "2026-11-26"}


def test_step_dates_must_follow_each_other() -> None:
    with pytest.raises(ValidationError) as info:
        clean(TANDEM, {"status": "accepted", "accepted_on": "01/10/2026"}, today=TODAY, current=TANDEM_NOW)
    assert "accepted_on" in info.value.errors


def test_uuid7_ids_are_valid_and_time_ordered() -> None:
    now = [1_700_000_000_000]
    factory = Uuid7Factory(now_ms=lambda: now[0])
    ids = [factory.new() for _ in range(5000)]  # thousands in one millisecond stay ordered
    now[0] -= 10_000  # the clock steps back ten seconds
    ids += [factory.new() for _ in range(10)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert int(ids[0].replace("-", "")[:12], 16) == 1_700_000_000_000
    assert all(is_record_id(i) for i in ids)


def test_hybrid_clock_never_goes_back_and_passes_remote_stamps() -> None:
    wall = [1_000]
    clock = HybridClock("device-a", wall_ms=lambda: wall[0])
    first = clock.now()
    wall[0] = 500  # the laptop's clock is set back
    second = clock.now()
    assert second > first and str(second) > str(first)
    remote = Stamp(5_000, 3, "device-b")  # a stamp from a device whose clock is ahead
    seen = clock.observe(remote)
    assert seen > remote
    assert clock.now() > seen
    assert Stamp.parse(str(seen)) == seen
