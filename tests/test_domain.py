"""Domain rules: validation with French messages, the tandem lifecycle, ids and clocks."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_desktop.domain import validation as v
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.hlc import HybridClock, Stamp
from tandem_desktop.domain.ids import Uuid7Factory, is_record_id, new_id
from tandem_desktop.domain.kinds import KINDS, MENTEE, MENTOR, TANDEM
from tandem_desktop.domain.records import MAX_RECORD_BYTES, clean, record_bytes

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
        v.parse_date("le 3 février")


def test_a_well_written_date_that_does_not_exist_is_told_so() -> None:
    """« 31/02/2001 » follows JJ/MM/AAAA: the message says the day is not in the calendar."""
    cases = {
        "31/02/2001": "Cette date n’existe pas\u00a0: février 2001 n’a que 28\u00a0jours.",
        "29/02/2023": "Cette date n’existe pas\u00a0: février 2023 n’a que 28\u00a0jours.",
        "31/04/2026": "Cette date n’existe pas\u00a0: avril 2026 n’a que 30\u00a0jours.",
        "2026-06-31": "Cette date n’existe pas\u00a0: juin 2026 n’a que 30\u00a0jours.",
        "12/13/2020": "Cette date n’existe pas\u00a0: il n’y a pas de mois 13 (de 1 à 12).",
        "01/01/1850": v.MSG_YEAR,
    }
    for text, message in cases.items():
        with pytest.raises(v.InvalidValue) as info:
            MENTEE.spec("birth_date").parse(text)
        assert str(info.value) == message, text
    assert v.parse_date("29/02/2024") == date(2024, 2, 29)


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
    assert clean(MENTEE, {"first_name": "A", "last_name": "B", "project_type": "Création d’entreprise"},
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


# -- hostile values (issue 9): types, control characters, bounds ---------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
STORED_TYPE = {"int": int, "bool": bool, "list": list}
ALL_FIELDS = [field for spec in KINDS.values() for field in spec.fields]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(ALL_FIELDS), raw=JSON)
def test_every_parser_returns_the_stored_type_or_a_french_refusal(field, raw) -> None:  # type: ignore[no-untyped-def]
    try:
        value = field.parse(raw)
    except v.InvalidValue as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    if value is None:
        return
    assert type(value) is STORED_TYPE.get(field.type.value, str)
    texts = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    for text in texts:
        assert v.control_error(text) is None
        assert len(text) <= max(field.max_length, 20_000 if field.type.value == "long_text" else 0)
    if isinstance(value, list):
        assert len(value) <= field.max_items and all(isinstance(item, str) for item in value)


@pytest.mark.parametrize("name", ["Ctl\x1b[31mRED\x07", "\u202egpj.exe", "a\x00b", "x\x9by", "\u2066iso", "a\ud800"])
def test_names_refuse_control_characters_without_echoing_them(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean(MENTEE, {"first_name": name, "last_name": "B"}, today=TODAY)
    message = info.value.errors["first_name"]
    assert "interdit" in message or "mal encodé" in message
    assert v.escape_controls(message) == message  # not one control character in the message itself


def test_one_line_fields_fold_pasted_line_breaks_and_notes_keep_them() -> None:
    record = clean(MENTEE, {"first_name": "Inès\r\n", "last_name": "Ben\tAli", "notes": "l1\r\n\tl2\rl3"},
                   today=TODAY)
    assert (record["first_name"], record["last_name"]) == ("Inès", "Ben Ali")
    assert record["notes"] == "l1\n\tl2\nl3"
    with pytest.raises(ValidationError, match=r"U\+001B"):
        clean(MENTEE, {"first_name": "A", "last_name": "B", "notes": "rouge\x1b[31m"}, today=TODAY)


def test_lists_are_bounded_in_items_and_item_length() -> None:
    base = {"first_name": "A", "last_name": "B"}
    with pytest.raises(ValidationError) as info:
        clean(MENTEE, {**base, "skills": [f"s{i}" for i in range(51)], "needs": ["x" * 121]}, today=TODAY)
    assert info.value.errors == {"skills": "Liste trop longue (51 éléments, 50 au plus).",
                                 "needs": "Élément 1 trop long (121 caractères, 120 au plus)."}
    assert len(clean(MENTEE, {**base, "skills": [f"s{i}" for i in range(50)]}, today=TODAY)["skills"]) == 50


def test_a_record_is_bounded_in_size_and_may_shrink_when_already_too_big() -> None:
    base = {"first_name": "A", "last_name": "B"}
    with pytest.raises(ValidationError) as info:
        clean(MENTEE, {**base, "notes": "é" * 20_000, "project": "è" * 19_000}, today=TODAY)
    assert info.value.errors == {"notes": "Fiche trop volumineuse (77\u00a0Kio, 64\u00a0Kio au plus)\u00a0: "
                                          "raccourcissez les textes ou les listes."}
    too_big = {**base, "project_type": "job_search", "status": "waiting", "notes": "é" * 20_000,
               "project": "è" * 20_000}  # as an older version may have stored it
    assert record_bytes(too_big) > MAX_RECORD_BYTES
    assert clean(MENTEE, {"notes": "court"}, today=TODAY, current=too_big) == {"notes": "court"}
    with pytest.raises(ValidationError, match="trop volumineuse"):
        clean(MENTEE, {"trade": "Cuisine"}, today=TODAY, current=too_big)


def test_escaping_for_terminals_keeps_json_valid() -> None:
    import json

    value = "a\x1b[2J\u202e\x85\ud800\tb"
    assert v.escape_controls(value) == "a\\u001b[2J\\u202e\\u0085\\ud800\\tb"
    printed = v.escape_controls(json.dumps({"k": value}, ensure_ascii=False, indent=1), keep="\n")
    assert json.loads(printed) == {"k": value} and v.control_error(printed.replace("\n", "")) is None
