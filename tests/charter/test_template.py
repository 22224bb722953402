"""Charter templates and the values they are filled with: every mistake named with its file and line,
every missing piece of data named at once, in French."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tandem_desktop.charter.context import MissingData, build_context, french_date
from tandem_desktop.charter.template import (
    KNOWN_FIELDS,
    QUOTE,
    SIGNATURES,
    TemplateError,
    french_typography,
    list_templates,
    load_template,
    parse_template,
)
from tandem_desktop.domain.errors import DomainError
from tandem_desktop.services.charters import load_records

TODAY = date(2026, 11, 26)
HEADER = "id: essai\nversion: {version}\ntitre: Charte d’essai\n---\n"


def make_records(store: Any, *, mentor: dict[str, Any] | None = None, mentee: dict[str, Any] | None = None,
                 tandem: dict[str, Any] | None = None, counsellor: bool = True) -> dict[str, str]:
    """A structure, its counsellor, a mentor, a mentee and their tandem, with accents everywhere."""
    ids: dict[str, str] = {}
    ids["structure"] = store.create("structure", {
        "name": "Mission locale de Marseille", "type": "mission_locale", "commune": "Marseille",
        "postal_code": "13001", "email": "contact@ml-marseille.example"})
    if counsellor:
        ids["counsellor"] = store.create("counsellor", {
            "first_name": "Sophie", "last_name": "Lambert", "email": "sophie.lambert@ml-marseille.example",
            "structure_id": ids["structure"]})
    ids["mentor"] = store.create("mentor", {
        "first_name": "Jean-Baptiste", "last_name": "Martin", "employer": "CMA CGM",
        "job_title": "Responsable logistique", **(mentor or {})})
    ids["mentee"] = store.create("mentee", {
        "first_name": "Hélène", "last_name": "Dürand-Œuvray", "counsellor_id": ids.get("counsellor"),
        **(mentee or {})})
    ids["tandem"] = store.create("tandem", {
        "mentor_id": ids["mentor"], "mentee_id": ids["mentee"], "duration_months": 6,
        "objectives": "Préparer les entretiens : élargir le réseau !", **(tandem or {})})
    return ids


def write(folder: Path, version: str, body: str, template_id: str = "essai") -> Path:
    path = folder / template_id / f"{version}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


# -- the bundled template -------------------------------------------------------------------


def test_bundled_template_is_the_newest_and_uses_only_known_fields() -> None:
    template = load_template()
    assert (template.id, template.version) == ("charte-tandem", "2026.2")
    assert {("charte-tandem", "2026.1"), ("charte-tandem", "2026.2")} <= set(list_templates()), "2026.1 is kept"
    assert template.fields <= KNOWN_FIELDS
    assert {"mentee.full_name", "mentor.employer", "mentor.job_title", "counsellor.full_name", "structure.name",
            "tandem.objectives", "tandem.duration_months", "charter.place", "charter.date"} <= template.fields
    assert [b.kind for b in template.blocks].count(SIGNATURES) == 1
    assert any(b.kind == QUOTE and "{{tandem.objectives}}" in b.text for b in template.blocks)


def test_bundled_template_has_french_typography() -> None:
    text = " ".join(block.text for block in load_template().blocks)
    assert " :" not in text and " ;" not in text and "« " not in text and " »" not in text
    assert "\u00a0:" in text and "\u202f;" in text and "«\u00a0" in text and "\u00a0»" in text
    assert "'" not in text and "’" in text
    for words in ("au moins une fois par mois", "Confidentialité", "bénévole", "obligation d’embauche",
                  "rencontre de clôture", "RGPD", "Responsable du traitement", "Durée de conservation", "œ"):
        assert words in text, words


# -- syntax errors --------------------------------------------------------------------------


def test_unknown_placeholder_is_refused_with_file_and_line(tmp_path: Path) -> None:
    body = HEADER.format(version="1") + "Bonjour {{ mentee.first_name }},\n\nvous avez {{ mentee.age }} ans.\n"
    write(tmp_path, "1", body + "\n[signatures]\n")
    with pytest.raises(TemplateError) as caught:
        load_template("essai", directory=tmp_path)
    message = str(caught.value)
    assert message.startswith("Modèle essai/1.txt, ligne 7\u00a0: champ inconnu «\u00a0{{ mentee.age }}\u00a0»")
    assert caught.value.line == 7
    assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize(("body", "line", "words"), [
    ("Bonjour {{ mentee.first_name\n\n[signatures]\n", 5, "«\u00a0{{\u00a0» sans «\u00a0}}\u00a0»"),
    ("Bonjour mentee.first_name }}\n\n[signatures]\n", 5, "accolade isolée"),
    ("Un **gras\nsur deux lignes\n\n[signatures]\n", 5, "gras non fermé"),
    ("### Trop profond\n\n[signatures]\n", 5, "un ou deux #"),
    ("#Collé\n\n[signatures]\n", 5, "un ou deux #"),
    ("[annexe]\n\n[signatures]\n", 5, "instruction inconnue «\u00a0[annexe]\u00a0»"),
    ("Texte\n\n[signatures]\n\n[signatures]\n", 9, "plusieurs fois"),
    ("Texte sans signatures\n", None, "il manque la ligne [signatures]"),
    ("Bonjour {{ Mentee.First_Name }}\n\n[signatures]\n", 5, "champ inconnu"),
])
def test_syntax_errors_name_the_line(tmp_path: Path, body: str, line: int | None, words: str) -> None:
    write(tmp_path, "1", HEADER.format(version="1") + body)
    with pytest.raises(TemplateError) as caught:
        load_template("essai", directory=tmp_path)
    where = f"Modèle essai/1.txt, ligne {line}\u00a0:" if line else "Modèle essai/1.txt\u00a0:"
    assert str(caught.value).startswith(where), str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize(("header", "words"), [
    ("id: essai\ntitre: Sans version\n---\n", "il manque\u00a0: «\u00a0version:\u00a0»"),
    ("id: essai\nversion: 1\n---\n", "«\u00a0titre:\u00a0»"),
    ("id: essai\nversion: 1\ntitre: Sans fin d’en-tête\n", "«\u00a0---\u00a0»"),
    ("id: essai\nversion: 1\nauteur: Moi\ntitre: T\n---\n", "ligne d’en-tête inattendue"),
    ("id: essai\nversion: 2\ntitre: Mauvais fichier\n---\n", "devrait s’appeler essai/2.txt"),
])
def test_header_errors(tmp_path: Path, header: str, words: str) -> None:
    write(tmp_path, "1", header + "Texte\n\n[signatures]\n")
    with pytest.raises(TemplateError, match=r"Modèle essai/1\.txt") as caught:
        load_template("essai", directory=tmp_path)
    assert words in str(caught.value)


def test_a_template_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "1", "")
    path.write_bytes((HEADER.format(version="1") + "Déjà\n\n[signatures]\n").encode("cp1252"))  # a Windows editor
    with pytest.raises(TemplateError, match="UTF-8"):
        load_template("essai", directory=tmp_path)


def test_parsing_blocks_and_normalising_placeholders() -> None:
    template = parse_template(
        "// un commentaire\nid: essai\nversion: 1\ntitre: Titre\nsous-titre: Sous-titre\n---\n"
        "# Section\n## Sous-section\nUne ligne\net sa suite avec {{mentor.first_name}}.\n\n"
        "- une puce\n  qui continue\n- **une autre** {{  mentee.full_name  }}\n// ignoré\n"
        "> {{ tandem.objectives }}\n\n[saut de page]\n[signatures]\n")
    kinds = [(b.kind, b.text) for b in template.blocks]
    assert kinds == [
        ("heading", "Section"), ("subheading", "Sous-section"),
        ("paragraph", "Une ligne et sa suite avec {{mentor.first_name}}."),
        ("bullet", "une puce qui continue"), ("bullet", "**une autre** {{mentee.full_name}}"),
        ("quote", "{{tandem.objectives}}"), ("page_break", ""), ("signatures", ""),
    ]
    assert template.subtitle == "Sous-titre"
    assert template.fields == {"mentor.first_name", "mentee.full_name", "tandem.objectives"}


# -- versions -------------------------------------------------------------------------------


def test_newest_version_is_picked_and_versions_sort_like_numbers(tmp_path: Path) -> None:
    for version in ("2026.1", "2026.2", "2026.10"):
        write(tmp_path, version, HEADER.format(version=version).replace("Charte d’essai", f"V{version}")
              + "Texte\n\n[signatures]\n")
    assert list_templates(tmp_path) == [("essai", "2026.1"), ("essai", "2026.2"), ("essai", "2026.10")]
    assert load_template("essai", directory=tmp_path).version == "2026.10"
    assert load_template("essai", "2026.2", directory=tmp_path).title == "V2026.2"
    with pytest.raises(TemplateError, match=r"introuvable.*essai 2026\.3.*essai 2026\.10"):
        load_template("essai", "2026.3", directory=tmp_path)
    with pytest.raises(TemplateError, match="introuvable\u00a0: «\u00a0autre\u00a0»"):
        load_template("autre", directory=tmp_path)


def test_an_edited_template_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "1", HEADER.format(version="1") + "Avant\n\n[signatures]\n")
    assert load_template("essai", directory=tmp_path).blocks[0].text == "Avant"
    path.write_text(HEADER.format(version="1") + "Après la modification\n\n[signatures]\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load_template("essai", directory=tmp_path).blocks[0].text == "Après la modification"


def test_french_typography() -> None:
    assert french_typography("Objectifs : l’emploi ; vraiment ? Oui ! « Bien »") == (
        "Objectifs\u00a0: l’emploi\u202f; vraiment\u202f? Oui\u202f! «\u00a0Bien\u00a0»")
    assert french_typography("à 10:30, voir https://exemple.fr/?q=1") == "à 10:30, voir https://exemple.fr/?q=1"


# -- the context ----------------------------------------------------------------------------


def test_context_values_are_formatted_in_french(store: Any) -> None:
    ids = make_records(store, tandem={"accepted_on": "2027-03-01"})
    context = build_context(load_records(store, ids["tandem"]), TODAY, load_template())
    values = context.values
    assert values["mentee.full_name"] == "Hélène Dürand-Œuvray"
    assert values["mentor.job_title"] == "responsable logistique"  # lower-cased inside a sentence
    assert values["counsellor.full_name"] == "Sophie Lambert"  # through the mentee's counsellor
    assert values["structure.name"] == "Mission locale de Marseille"  # through the counsellor's structure
    assert values["tandem.duration_months"] == "6\u00a0mois"
    assert values["tandem.objectives"] == "Préparer les entretiens\u00a0: élargir le réseau\u202f!"
    assert values["tandem.accepted_on"] == "1er mars 2027"
    assert values["charter.date"] == "26 novembre 2026"
    assert values["charter.place"] == "Marseille"  # the structure's commune by default
    assert context.issued_on == TODAY
    records = load_records(store, ids["tandem"])
    assert build_context(records, TODAY, place=" Aubagne ").values["charter.place"] == "Aubagne"
    assert french_date(date(2026, 8, 15)) == "15 août 2026"


def test_missing_data_lists_everything_the_template_needs(store: Any) -> None:
    ids = make_records(store, mentor={"employer": None, "job_title": None}, tandem={"objectives": None},
                       counsellor=False)
    with pytest.raises(MissingData) as caught:
        build_context(load_records(store, ids["tandem"]), TODAY, load_template())
    error = caught.value
    assert isinstance(error, DomainError)
    assert error.missing == ["Employeur du mentor", "Poste du mentor",
                             "Conseiller ou conseillère référent·e du tandem", "Structure du tandem",
                             "Objectifs du tandem"]
    assert str(error) == (
        "Charte impossible\u00a0: il manque l’employeur du mentor, le poste du mentor, le conseiller ou la "
        "conseillère référent·e, la structure du tandem et les objectifs du tandem.")


def test_missing_data_only_counts_what_the_template_uses(store: Any, tmp_path: Path) -> None:
    ids = make_records(store, mentor={"employer": None})
    write(tmp_path, "1", HEADER.format(version="1") + "{{ mentor.full_name }} à {{ charter.place }}\n\n[signatures]\n")
    context = build_context(load_records(store, ids["tandem"]), TODAY, load_template("essai", directory=tmp_path))
    assert context.values["mentor.employer"] == ""
    write(tmp_path, "2", HEADER.format(version="2") + "Chez {{ mentor.employer }}.\n\n[signatures]\n")
    with pytest.raises(MissingData, match=r"il manque l’employeur du mentor\.$"):
        build_context(load_records(store, ids["tandem"]), TODAY, load_template("essai", directory=tmp_path))


def test_a_structure_without_commune_needs_a_place(store: Any, tmp_path: Path) -> None:
    ids = make_records(store)
    store.update("structure", ids["structure"], {"commune": None})
    write(tmp_path, "1", HEADER.format(version="1") + "Fait à {{ charter.place }}.\n\n[signatures]\n")
    template = load_template("essai", directory=tmp_path)
    with pytest.raises(MissingData) as caught:
        build_context(load_records(store, ids["tandem"]), TODAY, template)
    assert caught.value.missing == ["Lieu de signature (commune de la structure)"]
    context = build_context(load_records(store, ids["tandem"]), TODAY, template, place="La Ciotat")
    assert context.values["charter.place"] == "La Ciotat"


def test_the_tandems_own_counsellor_and_structure_come_first(store: Any) -> None:
    ids = make_records(store)
    other = store.create("structure", {"name": "Adie Aubagne", "type": "adie", "commune": "Aubagne",
                                       "email": "aubagne@adie.example"})
    counsellor = store.create("counsellor", {"first_name": "Karim", "last_name": "Benali",
                                             "email": "k.benali@adie.example", "structure_id": other})
    store.update("tandem", ids["tandem"], {"counsellor_id": counsellor})
    values = build_context(load_records(store, ids["tandem"]), TODAY, load_template()).values
    assert (values["counsellor.full_name"], values["structure.name"]) == ("Karim Benali", "Adie Aubagne")
    assert values["charter.place"] == "Aubagne"
    store.update("tandem", ids["tandem"], {"structure_id": ids["structure"]})
    values = build_context(load_records(store, ids["tandem"]), TODAY, load_template()).values
    assert (values["counsellor.full_name"], values["structure.name"]) == ("Karim Benali", "Mission locale de Marseille")
