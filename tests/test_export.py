"""CSV and XLSX exports, read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tandem_desktop.domain.kinds import MENTEE
from tandem_desktop.services.export import export_kind
from tandem_desktop.services.records import Actor, Records


@pytest.fixture
def filled(store):  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Adie Provence-Alpes-Côte d’Azur", "type": "adie"})
    mentee = store.create("mentee", {
        "first_name": "Hélène", "last_name": "Khatchadourian", "email": "helene.k@exemple.fr",
        "birth_date": "21/06/2004", "project_type": "business_creation", "languages": "français, arménien",
        "postal_code": "13003", "commune": "Marseille", "structure_id": structure, "mobility_km": "12",
        "consent_given": "oui", "consent_date": "01/09/2026", "consent_scope": "processing, hub_sharing",
        "notes": "=HYPERLINK(\"http://exemple.invalid\")",
    })
    gone = store.create("mentee", {"first_name": "Supprimé", "last_name": "Fantôme"})
    store.delete("mentee", gone)
    mentor = store.create("mentor", {"first_name": "Jean-Marc", "last_name": "Rossi", "capacity": "2"})
    tandem = Records(store, Actor()).create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    Records(store, Actor()).add_meeting(tandem, {"date": "2026-10-02", "mode": "video",
                                                 "summary": "Relecture du prévisionnel"})
    return {"structure": structure, "mentee": mentee, "mentor": mentor, "tandem": tandem}


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_csv_has_french_headers_labels_and_dates(store, filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mentores.csv"
    assert export_kind(store, "mentee", "csv", path) == 1  # the deleted mentee is not exported
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=";"))
    assert header == ["Identifiant", *(f.label for f in MENTEE.fields)]
    [row] = _read_csv(path)
    assert row["Identifiant"] == filled["mentee"]
    assert row["Prénom"] == "Hélène" and row["Nom"] == "Khatchadourian"
    assert row["Type de projet"] == "Création d’entreprise"
    assert row["Date de naissance"] == "21/06/2004"
    assert row["Langues"] == "français, arménien"
    assert row["Portée du consentement"] == ("Traitement des données pour le mentorat, "
                                             "Partage avec le hub Tandem")
    assert row["Consentement recueilli"] == "Oui" and row["Date du consentement"] == "01/09/2026"
    assert row["Structure prescriptrice"] == "Adie Provence-Alpes-Côte d’Azur"
    assert row["Statut"] == "En tandem" and row["Déplacement possible (km)"] == "12"
    assert row["Notes"] == "'=HYPERLINK(\"http://exemple.invalid\")"  # never run as a formula
    assert row["Téléphone"] == ""


def test_tandem_and_meeting_exports_name_the_people(store, filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export_kind(store, "tandem", "csv", tmp_path / "t.csv")
    [tandem] = _read_csv(tmp_path / "t.csv")
    assert tandem["Mentor"] == "Jean-Marc Rossi" and tandem["Mentoré·e"] == "Hélène Khatchadourian"
    assert tandem["Étape"] == "Proposé"
    export_kind(store, "meeting", "csv", tmp_path / "r.csv")
    [meeting] = _read_csv(tmp_path / "r.csv")
    assert meeting["Tandem"] == "Hélène Khatchadourian – Jean-Marc Rossi"
    assert meeting["Modalité"] == "Visio" and meeting["Date"] == "02/10/2026"


def test_xlsx_same_content_bold_header_typed_cells(store, filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mentores.xlsx"
    assert export_kind(store, "mentee", "xlsx", path) == 1
    sheet = load_workbook(path).active
    assert sheet.title == "Mentorés"
    header = [c.value for c in sheet[1]]
    assert header == ["Identifiant", *(f.label for f in MENTEE.fields)]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.max_row == 2
    row = dict(zip(header, (c.value for c in sheet[2]), strict=True))
    assert row["Prénom"] == "Hélène" and row["Type de projet"] == "Création d’entreprise"
    assert row["Langues"] == "français, arménien"
    assert row["Date de naissance"] == datetime(2004, 6, 21)
    assert sheet.cell(2, header.index("Date de naissance") + 1).number_format == "DD/MM/YYYY"
    assert row["Déplacement possible (km)"] == 12
    assert row["Notes"] == "=HYPERLINK(\"http://exemple.invalid\")"
    assert sheet.cell(2, header.index("Notes") + 1).data_type == "s"  # text, not a formula
    assert row["Téléphone"] is None
    assert sheet.freeze_panes == "A2"
    widths = {h: sheet.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(header[:26])}
    assert widths["Nom"] >= len("Khatchadourian") and widths["E-mail"] >= len("helene.k@exemple.fr")
    assert widths["Prénom"] < widths["E-mail"]  # sized to what the column holds, not the same for all


def test_export_replaces_atomically_and_rejects_unknown_format(store, filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "exports"
    out.mkdir()
    path = out / "mentors.csv"
    path.write_text("ancien contenu", encoding="utf-8")
    export_kind(store, "mentor", "csv", path)
    assert [r["Nom"] for r in _read_csv(path)] == ["Rossi"]
    assert sorted(p.name for p in out.iterdir()) == ["mentors.csv"]  # no temporary file left
    with pytest.raises(ValueError, match="Format d’export inconnu"):
        export_kind(store, "mentor", "ods", out / "x.ods")
    with pytest.raises(OSError):
        export_kind(store, "mentor", "csv", out / "absent" / "x.csv")
    assert sorted(p.name for p in out.iterdir()) == ["mentors.csv"]


def test_empty_kind_exports_the_header_only(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert export_kind(store, "meeting", "xlsx", tmp_path / "r.xlsx") == 0
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in sheet[1]][:3] == ["Identifiant", "Tandem", "Date"] and sheet.max_row == 1


def test_a_failed_export_keeps_the_previous_file(store, filled, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.services import export

    out = tmp_path / "exports"
    out.mkdir()
    path = out / "mentores.csv"
    path.write_text("export d’hier", encoding="utf-8")

    def broken(target: Path, headers, rows) -> None:  # type: ignore[no-untyped-def]
        target.write_text("à moitié", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_csv", broken)
    with pytest.raises(OSError):
        export_kind(store, "mentee", "csv", path)
    assert path.read_text(encoding="utf-8") == "export d’hier"
    assert sorted(p.name for p in out.iterdir()) == ["mentores.csv"]
