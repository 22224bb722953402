"""Structured consent: the domain's rules (renewal, withdrawal, text version), the write door naming
the counsellor who took it, the shipped consent texts, and the import headers that feed its fields."""

from __future__ import annotations

from datetime import date

import pytest

from tandem_desktop.domain import consent
from tandem_desktop.domain.batch import clean_many
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.kinds import CONSENT_SCOPES, MENTEE, MENTOR
from tandem_desktop.domain.records import clean
from tandem_desktop.importing.mapping import guess_mapping
from tandem_desktop.services import consent as consent_texts
from tandem_desktop.services.records import Actor, Records

TODAY = date(2026, 12, 3)
PERSON = {"first_name": "Inès", "last_name": "Haddad"}
MSG_RENEWAL = "La date de renouvellement doit être postérieure à la date du consentement."


def _update(current: dict, raw: dict, today: date = TODAY) -> dict:  # type: ignore[type-arg]
    """The record after an edit, as a form sends it: every field, changed or not."""
    return {**current, **clean(MENTEE, {**current, **raw}, today=today, current=current)}


@pytest.mark.parametrize("spec", [MENTEE, MENTOR])
def test_the_consent_fields_and_the_photos_scope_exist_for_mentees_and_mentors(spec) -> None:  # type: ignore[no-untyped-def]
    labels = {name: spec.by_name[name].label for name in consent.FIELDS[3:]}
    assert labels == {"consent_by": "Recueilli par", "consent_text_version": "Version du texte présenté",
                      "consent_renewal": "À renouveler le", "consent_withdrawn_on": "Consentement retiré le"}
    assert spec.by_name["consent_by"].ref == "counsellor"
    assert ("photos", "Photos et témoignages") in CONSENT_SCOPES
    assert clean(spec, {**PERSON, "consent_scope": ["photos"]}, today=TODAY)["consent_scope"] == ["photos"]


def test_giving_consent_dates_it_sets_its_renewal_and_the_current_text_version() -> None:
    record = clean(MENTEE, {**PERSON, "consent_given": True}, today=TODAY)
    assert (record["consent_date"], record["consent_renewal"], record["consent_text_version"]) == (
        "2026-12-03", "2029-12-03", consent.CURRENT_TEXT_VERSION)
    typed = clean(MENTEE, {**PERSON, "consent_given": "oui", "consent_date": "15/01/2026",
                           "consent_renewal": "15/01/2027", "consent_text_version": "2025-02"}, today=TODAY)
    assert (typed["consent_renewal"], typed["consent_text_version"]) == ("2027-01-15", "2025-02"), "typed wins"
    assert "consent_renewal" not in clean(MENTEE, PERSON, today=TODAY), "no consent, no renewal"
    leap = clean(MENTEE, {**PERSON, "consent_given": True, "consent_date": "29/02/2024"}, today=TODAY)
    assert leap["consent_renewal"] == "2027-02-28"


def test_a_batch_of_new_records_gets_the_same_defaults_as_one_record() -> None:
    raws = [{**PERSON, "consent_given": True}, {**PERSON, "last_name": "Benali"}]
    assert clean_many(MENTEE, raws, today=TODAY) == [clean(MENTEE, raw, today=TODAY) for raw in raws]


def test_a_renewal_date_before_the_consent_date_is_refused_in_french() -> None:
    with pytest.raises(ValidationError) as refused:
        clean(MENTEE, {**PERSON, "consent_given": True, "consent_date": "03/12/2026",
                       "consent_renewal": "02/12/2026"}, today=TODAY)
    assert refused.value.errors == {"consent_renewal": MSG_RENEWAL}
    given = {**PERSON, **clean(MENTEE, {**PERSON, "consent_given": True}, today=TODAY)}
    with pytest.raises(ValidationError) as again:
        _update(given, {"consent_renewal": "2026-12-03"})
    assert again.value.errors == {"consent_renewal": MSG_RENEWAL}


def test_withdrawing_dates_the_withdrawal_and_giving_again_clears_it() -> None:
    given = {**PERSON, **clean(MENTEE, {**PERSON, "consent_given": True, "consent_date": "2025-03-01"}, today=TODAY)}
    assert given["consent_renewal"] == "2028-03-01"
    withdrawn = _update(given, {"consent_given": False})
    assert (withdrawn["consent_given"], withdrawn["consent_withdrawn_on"]) == (False, "2026-12-03")
    assert withdrawn["consent_date"] == "2025-03-01", "the history of the consent stays"
    later = date(2027, 2, 1)
    again = _update(withdrawn, {"consent_given": True}, today=later)
    assert again["consent_withdrawn_on"] is None
    assert (again["consent_date"], again["consent_renewal"]) == ("2027-02-01", "2030-02-01"), "a new consent"
    assert again["consent_text_version"] == consent.CURRENT_TEXT_VERSION
    untouched = _update(again, {"notes": "Relance faite."}, today=date(2027, 3, 1))
    assert (untouched["consent_date"], untouched["consent_withdrawn_on"]) == ("2027-02-01", None)


def test_a_withdrawal_date_typed_withdraws_and_a_contradiction_or_a_future_day_is_refused() -> None:
    given = {**PERSON, **clean(MENTEE, {**PERSON, "consent_given": True}, today=TODAY)}
    dated = _update(given, {"consent_withdrawn_on": "01/12/2026"})
    assert (dated["consent_given"], dated["consent_withdrawn_on"]) == (False, "2026-12-01")
    with pytest.raises(ValidationError) as both:
        clean(MENTEE, {**PERSON, "consent_given": True, "consent_withdrawn_on": "01/12/2026"}, today=TODAY)
    assert both.value.errors["consent_withdrawn_on"].startswith("Un consentement ne peut pas être recueilli et retiré")
    with pytest.raises(ValidationError) as future:
        _update(given, {"consent_given": False, "consent_withdrawn_on": "04/12/2026"})
    assert future.value.errors == {"consent_withdrawn_on": "La date de retrait ne peut pas être dans le futur."}


def test_renewing_by_a_new_consent_date_moves_the_renewal_date() -> None:
    given = {**PERSON, **clean(MENTEE, {**PERSON, "consent_given": True, "consent_date": "2023-01-10"}, today=TODAY)}
    assert consent.state(given, TODAY).code == consent.EXPIRED
    renewed = _update(given, {"consent_date": "03/12/2026"})
    assert renewed["consent_renewal"] == "2029-12-03" and consent.state(renewed, TODAY).current


def test_the_state_of_a_consent_and_its_french_reason() -> None:
    assert consent.state({}, TODAY).reason == "Consentement non recueilli"
    assert consent.state({"consent_given": False, "consent_withdrawn_on": "2026-12-03"}, TODAY).reason == \
        "Consentement retiré le 03/12/2026"
    assert consent.state({"consent_given": True, "consent_renewal": "2026-12-03"}, TODAY).reason == \
        "Consentement à renouveler depuis le 03/12/2026", "expired on its renewal day"
    assert consent.state({"consent_given": True, "consent_renewal": "2026-12-04"}, TODAY).current
    assert consent.state({"consent_given": True}, TODAY).current, "recorded before renewal dates: no expiry"
    merged = {"consent_given": True, "consent_withdrawn_on": "2026-11-30"}  # two devices' edits merged
    assert consent.state(merged, TODAY).code == consent.WITHDRAWN, "the safe side"


def test_the_write_door_names_the_acting_counsellor_who_took_the_consent(store) -> None:  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale"})
    nadia = store.create("counsellor", {"first_name": "Nadia", "last_name": "Ferhat", "structure_id": structure})
    paul = store.create("counsellor", {"first_name": "Paul", "last_name": "Roux", "structure_id": structure})
    records = Records(store, Actor(nadia, "Nadia Ferhat"))
    mentee = records.create("mentee", {**PERSON, "consent_given": True, "consent_by": None}).record_id
    assert store.get("mentee", mentee)["consent_by"] == nadia
    picked = records.create("mentor", {**PERSON, "consent_given": True, "consent_by": paul}).record_id
    assert store.get("mentor", picked)["consent_by"] == paul, "a counsellor picked in the form wins"
    without = records.create("mentee", PERSON).record_id
    assert store.get("mentee", without).get("consent_by") is None, "no consent, nobody took it"

    records.update("mentee", mentee, {"consent_given": False})
    form = {k: v for k, v in store.get("mentee", mentee).items() if k in MENTEE.by_name}  # what a form sends
    Records(store, Actor(paul)).update("mentee", mentee, {**form, "consent_given": True})
    again = store.get("mentee", mentee)
    assert (again["consent_given"], again["consent_by"], again.get("consent_withdrawn_on")) == (True, paul, None)
    Records(store, Actor(nadia)).update("mentee", mentee, {"notes": "Relance faite."})
    assert store.get("mentee", mentee)["consent_by"] == paul, "an edit that gives nothing names nobody"

    stranger = Records(store, Actor("01a23c7c-34d8-7388-a6ff-31082d323c28"))  # enrolled, record not here
    alone = stranger.create("mentee", {**PERSON, "consent_given": True}).record_id
    assert store.get("mentee", alone).get("consent_by") is None
    assert Records(store, Actor()).create("mentee", {**PERSON, "consent_given": True}).record_id


def test_the_shipped_consent_text_is_the_current_version_and_covers_every_scope() -> None:
    assert consent_texts.current_version() == consent.CURRENT_TEXT_VERSION
    text = consent_texts.load()
    assert text.version == consent.CURRENT_TEXT_VERSION
    for _, label in CONSENT_SCOPES:
        assert label.casefold() in text.text.casefold(), label
    assert "'" not in text.text and "« " not in text.text and " »" not in text.text, "French typography"
    with pytest.raises(FileNotFoundError, match="Texte de consentement introuvable"):
        consent_texts.load("1999-01")


def test_the_consent_text_versions_sort_as_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for version in ("2026-9", "2026-10", "2025-12"):
        (tmp_path / f"{version}.txt").write_text("Texte", encoding="utf-8")
    assert consent_texts.versions(tmp_path) == ["2025-12", "2026-9", "2026-10"]
    assert consent_texts.current_version(tmp_path) == "2026-10"


def test_import_headers_name_the_new_consent_fields() -> None:
    headers = ["Nom", "Prénom", "Consentement", "Date du consentement", "Recueilli par", "Version du consentement",
               "Renouvellement", "Retrait du consentement"]
    assert guess_mapping(MENTEE, headers) == {
        "Nom": "last_name", "Prénom": "first_name", "Consentement": "consent_given",
        "Date du consentement": "consent_date", "Recueilli par": "consent_by",
        "Version du consentement": "consent_text_version", "Renouvellement": "consent_renewal",
        "Retrait du consentement": "consent_withdrawn_on"}
    assert guess_mapping(MENTOR, ["Date de renouvellement", "Date de retrait"]) == {
        "Date de renouvellement": "consent_renewal", "Date de retrait": "consent_withdrawn_on"}


def test_a_consent_cannot_be_made_permanent(store) -> None:  # type: ignore[no-untyped-def]
    """What an attack found: clearing the renewal date kept a consent current for ever, and one that
    came from another device without a renewal date too."""
    from tandem_desktop.domain.errors import ValidationError
    from tandem_desktop.services.records import Actor, Records

    records = Records(store, Actor())
    mentee = records.create("mentee", {**PERSON, "consent_given": True}).record_id
    with pytest.raises(ValidationError, match="renouvellement"):
        records.update("mentee", mentee, {"consent_renewal": None})
    undated = {"consent_given": True, "consent_date": "2022-05-02", "consent_renewal": None}
    assert consent.state(undated, date(2025, 5, 1)).code == consent.CURRENT
    assert consent.state(undated, date(2025, 5, 2)).code == consent.EXPIRED
    assert consent.state({"consent_given": True}, date(2100, 1, 1)).code == consent.CURRENT  # never dated
