"""Spreadsheet files as structures send them, written by the tests: CSV in several encodings, XLSX with
a merged title row and blank rows, ODS (written by hand: no ODS writer is a dependency)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HEADERS = ["NOM DE FAMILLE", "Prénom", "E-mail", "Tél. portable", "Date de naissance", "Code postal", "Ville",
           "Métier visé"]
PEOPLE = [
    ["Durand", "Hélène", "helene.durand@exemple.fr", "06 12 34 56 78", "05/04/2001", "13001", "Marseille",
     "Cuisinière"],
    ["Benali", "Karim", "karim.benali@exemple.fr", "0698765432", "2000-11-23", "13090", "Aix-en-Provence",
     "Électricien"],
    ["Œuvray", "Zoé", "", "", "17/08/2003", "13013", "Marseille", "Vendeuse « prêt-à-porter »"],
]


def many_names(count: int) -> list[list[Any]]:
    """A header and `count` rows of distinct people: an import long enough to be written in chunks."""
    return [HEADERS, *([f"Nom{i}", "Prénom", "", "", "", "", "", ""] for i in range(count))]


def fail_writes_at(monkeypatch: Any, call: int, error: str) -> list[int]:
    """Records.create_many raises a full disk at its `call`-th call (the import half-way); returns
    the sizes of the calls made."""
    from tandem_desktop.services.records import Records

    calls: list[int] = []
    real = Records.create_many

    def failing(self: Records, kind: str, values: list[dict[str, Any]]) -> Any:
        calls.append(len(values))
        if len(calls) == call:
            raise OSError(28, error)
        return real(self, kind, values)

    monkeypatch.setattr(Records, "create_many", failing)
    return calls


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ";",
              bom: bool = False) -> Path:
    text = "\r\n".join(delimiter.join(_csv_cell(c, delimiter) for c in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = "\ufeff".encode(encoding) + data if encoding != "utf-8" else b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def _csv_cell(cell: Any, delimiter: str) -> str:
    text = "" if cell is None else str(cell)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in (delimiter, '"', "\n")) else text


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, title: str | None = None, blank_every: int = 0,
               sheet: str = "Mentorés", extra_sheets: Sequence[str] = ()) -> Path:
    """A workbook whose sheet starts with `title` merged across the columns and a blank row."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for name in extra_sheets:
        book.create_sheet(name)
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        ws.append([])
    for position, row in enumerate(rows):
        ws.append(list(row))
        if blank_every and position and position % blank_every == 0:
            ws.append([])
    book.save(path)
    return path


def write_ods(path: Path, rows: Sequence[Sequence[Any]], *, title: str | None = None) -> Path:
    """A minimal OpenDocument spreadsheet: strings, floats and dates, a merged title row."""
    def cell(value: Any) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.strftime('%d/%m/%Y')}</text:p></table:table-cell>")
        if isinstance(value, int | float):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    width = max(len(r) for r in rows)
    body = []
    if title:
        body.append(f'<table:table-row><table:table-cell table:number-columns-spanned="{width}" '
                    f'office:value-type="string"><text:p>{escape(title)}</text:p></table:table-cell>'
                    f'<table:covered-table-cell table:number-columns-repeated="{width - 1}"/></table:table-row>')
        body.append("<table:table-row><table:table-cell/></table:table-row>")
    body += ["<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows]
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Feuille1">'
        + "".join(body) + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path
