"""`tandem import`, `tandem import undo`, `tandem import list`, called in-process on a throw-away
profile; and the export/import round trip."""

from __future__ import annotations

import json

from tandem_desktop.services import imports
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.export import export_kind
from tandem_desktop.store.queries import ListQuery

from ..cli_run import ok, refused, tandem
from .files import HEADERS, PEOPLE, write_csv, write_xlsx


def test_import_prints_the_counts_and_undo_takes_the_whole_batch_back(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    path = write_csv(tmp_path / "jeunes.csv", [HEADERS, *PEOPLE], encoding="cp1252")
    out = json.loads(ok(cli_env, "import", "mentee", str(path), "--json"))
    assert (out["encoding"], out["delimiter"], out["written"]) == ("cp1252", ";", True)
    assert out["counts"] == {"created": 3, "merged": 0, "skipped": 0, "refused": 0}
    assert len(json.loads(ok(cli_env, "list", "mentee", "--json"))) == 3

    again = tandem(cli_env, "import", "mentee", str(path))
    assert again.returncode == 0
    assert "0 créée(s), 0 fusionnée(s), 3 ignorée(s), 0 refusée(s)." in again.stdout
    assert ("Ligne 2\u00a0: Doublon de la fiche «\u00a0Hélène Durand\u00a0» (même adresse e-mail)\u00a0: "
            "ligne ignorée.") in again.stdout

    listed = json.loads(ok(cli_env, "import", "list", "--json"))
    assert [b["counts"]["created"] for b in listed] == [0, 3]
    assert ok(cli_env, "import", "undo", out["batch_id"]).strip() == \
        "Import annulé\u00a0: 3 fiche(s) supprimée(s), 0 fusion(s) défaite(s)."
    assert json.loads(ok(cli_env, "list", "mentee", "--json")) == []
    assert "déjà été annulé" in refused(cli_env, "import", "undo", out["batch_id"])


def test_a_refused_row_writes_nothing_and_the_report_says_why(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    rows = [HEADERS, PEOPLE[0], ["Sanchez", "", "", "07 00", "", "", "", ""]]
    path = write_xlsx(tmp_path / "jeunes.xlsx", rows)
    result = tandem(cli_env, "import", "mentee", str(path), "--report", str(tmp_path / "rapport.csv"))
    assert result.returncode == 1
    assert "Ligne 3 — Prénom\u00a0: Ce champ est obligatoire." in result.stderr
    assert "Ligne 3 — Téléphone\u00a0: Numéro de téléphone invalide" in result.stderr
    assert "Rien n’a été importé\u00a0: 1 créée(s), 0 fusionnée(s), 0 ignorée(s), 1 refusée(s)." in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(ok(cli_env, "list", "mentee", "--json")) == []
    assert (tmp_path / "rapport.csv").read_text(encoding="utf-8-sig").splitlines()[1] == \
        "3;Prénom;Ce champ est obligatoire."


def test_a_dry_run_writes_nothing_and_prints_the_same_report(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    path = write_csv(tmp_path / "jeunes.csv", [HEADERS, *PEOPLE])
    out = json.loads(ok(cli_env, "import", "mentee", str(path), "--dry-run", "--json"))
    assert (out["written"], out["batch_id"], out["counts"]["created"]) == (False, None, 3)
    assert json.loads(ok(cli_env, "list", "mentee", "--json")) == []
    assert json.loads(ok(cli_env, "import", "list", "--json")) == []


def test_a_mapping_file_or_a_saved_template_overrides_the_guess(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    rows = [["Col A", "Col B", "Courriel perso"], ["Durand", "Hélène", "h.durand@exemple.fr"]]
    path = write_csv(tmp_path / "bizarre.csv", rows)
    mapping = tmp_path / "modele.json"
    mapping.write_text(json.dumps({"kind": "mentee", "columns": {"Col A": "last_name", "Col B": "first_name",
                                                                 "Courriel perso": "email"}}), encoding="utf-8")
    out = json.loads(ok(cli_env, "import", "mentee", str(path), "--mapping", str(mapping), "--dry-run",
                        "--save-mapping", "Mission locale", "--json"))
    assert out["counts"]["created"] == 1 and out["mapping"]["Col A"] == "last_name"
    assert "Modèles\u00a0: aucun" in refused(cli_env, "import", "mentee", str(path), "--mapping", "Mission locale")
    ok(cli_env, "import", "mentee", str(path), "--mapping", str(mapping), "--save-mapping", "Mission locale")
    out = json.loads(ok(cli_env, "import", "mentee", str(path), "--mapping", "Mission locale", "--json"))
    assert out["written"] and out["mapping"]["Courriel perso"] == "email" and out["counts"]["skipped"] == 1
    message = refused(cli_env, "import", "mentee", str(path), "--mapping", "Autre")
    assert "Ni fichier ni modèle enregistré nommé «\u00a0Autre\u00a0»" in message


def test_bad_input_gets_a_french_message_never_a_traceback(cli_env, tmp_path) -> None:
    ok(cli_env, "init")
    good = write_csv(tmp_path / "jeunes.csv", [HEADERS, *PEOPLE])
    assert "Structure introuvable" in refused(cli_env, "import", "mentee", str(good), "--structure", "Inconnue")
    broken = tmp_path / "abime.xlsx"
    broken.write_bytes(b"PK\x03\x04 pas un classeur")
    for args in (("mentee", str(broken)), ("mentee", str(tmp_path / "absent.csv")), ("planet", str(broken)),
                 ("undo", "nimporte-quoi"), ("mentee", str(broken), "--sheet", "X")):
        result = tandem(cli_env, "import", *args)
        assert result.returncode in (1, 2), args
        assert "Traceback" not in result.stderr and result.stderr.strip(), args


def test_an_export_of_the_mentees_imported_again_creates_nothing(store, tmp_path) -> None:
    from tandem_desktop.domain.kinds import kind_spec
    from tandem_desktop.services.records import Actor, Records

    generate_demo(store, mentors=20, mentees=150, seed=3)
    before = store.count("mentee")
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"mentores.{fmt}"
        export_kind(store, "mentee", fmt, path)
        source, table = imports.read_table(path)
        plan = imports.prepare(store, "mentee", table, imports.guess_mapping(kind_spec("mentee"), table.headers),
                               file_name=source.file_name, on_duplicate="skip")
        assert [(r.number, r.errors) for r in plan.refused()] == []
        assert plan.counts() == {"created": 0, "merged": 0, "skipped": before, "refused": 0}
        imports.apply_plan(Records(store, Actor()), plan)
        assert store.count("mentee") == before


def test_an_export_holds_what_the_list_shows(store, tmp_path) -> None:
    generate_demo(store, mentors=5, mentees=60, seed=2)
    query = ListQuery(search="marseille", filters={"status": "waiting"}, sort="first_name", descending=True)
    shown = store.find("mentee", query, 0, 1000)
    count = export_kind(store, "mentee", "csv", tmp_path / "vue.csv", query)
    lines = (tmp_path / "vue.csv").read_text(encoding="utf-8-sig").splitlines()
    assert count == len(shown) == len(lines) - 1 and 0 < count < 60
    assert [line.split(";")[0] for line in lines[1:]] == [r["id"] for r in shown]


def test_an_export_of_the_meetings_and_tandems_imported_again_creates_nothing(store, tmp_path) -> None:
    from tandem_desktop.domain.kinds import kind_spec
    from tandem_desktop.services.records import Actor, Records

    generate_demo(store, mentors=20, mentees=150, seed=3)
    for kind in ("tandem", "meeting"):
        before = store.count(kind)
        path = tmp_path / f"{kind}.xlsx"
        export_kind(store, kind, "xlsx", path)
        source, table = imports.read_table(path)
        mapping = imports.guess_mapping(kind_spec(kind), table.headers)
        plan = imports.prepare(store, kind, table, mapping, file_name=source.file_name)
        assert [(r.number, r.errors) for r in plan.refused()] == []  # an ended tandem's meetings too
        assert plan.counts() == {"created": 0, "merged": 0, "skipped": before, "refused": 0}
        imports.apply_plan(Records(store, Actor()), plan)
        assert store.count(kind) == before
