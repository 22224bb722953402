"""A commune is one of the reference communes and its postal code fits it: the domain (through the
store) and the CLI refuse a typo with a suggestion; records stored before still open and save."""

from __future__ import annotations

import pytest

from tandem_desktop import cli
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.reference import check_place, close_communes, commune_names, load_reference, place_key

from .conftest import PASSPHRASE

NBSP = "\u00a0"
MARSEILE = f"Commune inconnue{NBSP}: «{NBSP}Marseile{NBSP}». Vouliez-vous dire «{NBSP}Marseille{NBSP}»{NBSP}?"


def errors_of(store, kind: str, values: dict, record_id: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        if record_id is None:
            store.create(kind, values)
        else:
            store.update(kind, record_id, values)
    return info.value.errors


def test_reference_helpers_forgive_typos() -> None:
    ref = load_reference()
    assert close_communes(ref, "Marseile", 1) == ["Marseille"]
    assert close_communes(ref, "martigue", 1) == ["Martigues"]
    assert close_communes(ref, "aix", 1) == ["Aix-en-Provence"]
    names = commune_names(ref)
    assert names.count("Marseille") == 1 and "Éguilles" in names and "Toulon" in names
    assert names == sorted(names, key=place_key), "accents and case ignored: « Éguilles » among the E"
    assert check_place(ref, "Le Tholonet", "13001")[1] == {
        "postal_code": "Le code postal 13001 est celui de Marseille, pas du Tholonet (13100)."}


def test_an_unknown_commune_is_refused_with_a_suggestion(store) -> None:  # type: ignore[no-untyped-def]
    person = {"first_name": "Inès", "last_name": "Haddad"}
    assert errors_of(store, "mentee", {**person, "commune": "Marseile"}) == {"commune": MARSEILE}
    assert errors_of(store, "mentor", {**person, "commune": "Atlantis"})["commune"].startswith(
        f"Commune inconnue{NBSP}: «{NBSP}Atlantis{NBSP}». Choisissez-la dans la liste")
    assert store.count("mentee") == 0 and store.count("mentor") == 0
    record_id = store.create("mentee", {**person, "commune": "AIX EN PROVENCE", "postal_code": "13090"})
    assert store.get("mentee", record_id)["commune"] == "Aix-en-Provence", "stored as the reference spells it"


def test_a_postal_code_must_fit_the_commune(store) -> None:  # type: ignore[no-untyped-def]
    values = {"name": "Mission locale", "type": "mission_locale", "commune": "Marseille"}
    assert errors_of(store, "structure", {**values, "postal_code": "13100"}) == {
        "postal_code": "Le code postal 13100 est celui d’Aix-en-Provence, pas de Marseille (13001 à 13016)."}
    assert errors_of(store, "structure", {**values, "commune": "Aubagne", "postal_code": "83000"}) == {
        "postal_code": "Le code postal 83000 est celui de Toulon, pas d’Aubagne (13400)."}
    assert errors_of(store, "structure", {**values, "postal_code": "84999"}) == {
        "postal_code": "Le code postal 84999 n’est pas un code des Bouches-du-Rhône, où se trouve Marseille "
                       "(13001 à 13016)."}
    structure = store.create("structure", {**values, "postal_code": "13008"})
    assert errors_of(store, "structure", {"postal_code": "13400"}, structure) == {
        "postal_code": "Le code postal 13400 est celui d’Aubagne, pas de Marseille (13001 à 13016)."}
    store.update("structure", structure, {"commune": "Aubagne", "postal_code": "13400"})
    assert store.get("structure", structure)["postal_code"] == "13400"


def test_records_stored_before_with_an_unknown_commune_still_open_and_save(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(store, "check_place", lambda commune, postal_code: ({}, {}))  # the app before the rule
    record_id = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "commune": "Marseile"})
    monkeypatch.undo()
    record = store.get("mentee", record_id)
    assert record["commune"] == "Marseile"
    # A form sends every field back: the untouched commune does not block the save.
    assert store.update("mentee", record_id, {**{k: v for k, v in record.items() if k in
                                                 ("first_name", "last_name", "commune")}, "phone": "0612345678"})
    assert errors_of(store, "mentee", {"commune": "Marseile 2"}, record_id)["commune"].startswith("Commune inconnue")
    store.update("mentee", record_id, {"commune": "Marseille"})
    assert store.get("mentee", record_id)["commune"] == "Marseille"


@pytest.fixture
def cli_profile(settings, profile, monkeypatch):  # type: ignore[no-untyped-def]
    profile.close()
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    return settings


def test_the_cli_refuses_an_unknown_commune_in_french(cli_profile, capsys) -> None:  # type: ignore[no-untyped-def]
    code = cli.main(["add", "mentee", "first_name=Inès", "last_name=Haddad", "commune=Marseile"])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and "Traceback" not in err
    assert "Vouliez-vous dire «\u00a0Marseille\u00a0»\u00a0?" in err
    code = cli.main(["add", "mentee", "first_name=Inès", "last_name=Haddad", "commune=Marseille",
                     "postal_code=13100"])
    out, err = capsys.readouterr()
    assert code == 1 and "est celui d’Aix-en-Provence, pas de Marseille" in err
    assert cli.main(["add", "mentee", "first_name=Inès", "last_name=Haddad", "commune=marseille",
                     "postal_code=13003"]) == 0
    capsys.readouterr()
    assert cli.main(["list", "mentee"]) == 0
    assert "Marseille" in capsys.readouterr().out
