"""Exports of a kind's live records to CSV or XLSX, as a counsellor reads them in a spreadsheet.

French column headers (the field labels), choice labels rather than codes, dates as JJ/MM/AAAA,
lists joined by ", ", references shown by the name of the record they point at. Files are written
to a temporary file beside the destination, then renamed: a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.fields import FieldSpec, FieldType, KindSpec
from ..domain.kinds import kind_spec
from ..store.errors import NotFound
from ..store.files import create_private
from ..texts import records as texts

if TYPE_CHECKING:  # the CLI's parser reads FORMATS: importing this module must not load the store
    from ..store.queries import ListQuery
    from ..store.repository import Store

FORMATS = ("csv", "xlsx")
ID_HEADER = "Identifiant"
_PAGE = 2000
_WIDTH_SAMPLE = 500  # rows read to size the columns of an XLSX
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def display_value(field: FieldSpec, value: Any, titles: dict[str, str] | None = None) -> str:
    """The text a counsellor reads for a stored value; references by the titles given (else their id)."""
    return texts.display_value(field, value, lambda _kind, rid: (titles or {}).get(rid or "", rid or ""))


def iter_records(store: Store, kind: str, query: ListQuery | None = None) -> Iterator[dict[str, Any]]:
    """Every live record of a kind, in the list's natural order, page by page."""
    from ..store.queries import ListQuery

    query = query or ListQuery()
    offset = 0
    while page := store.find(kind, query, offset, _PAGE):
        yield from page
        offset += len(page)


def record_titles(store: Store, kind: str, cache: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """id -> readable title for every live record of a kind ('Prénom Nom', a structure's name…)."""
    cache = {} if cache is None else cache
    if kind in cache:
        return cache[kind]
    spec = kind_spec(kind)
    refs = {spec.by_name[name].ref or "" for name in ("mentee_id", "mentor_id", *spec.title_fields)
            if name in spec.by_name and spec.by_name[name].ref}
    known = {ref: record_titles(store, ref, cache) for ref in refs}

    def ref_title(ref: str, rid: str | None) -> str:
        return known.get(ref, {}).get(rid or "", rid or "")

    titles = {record["id"]: texts.record_title(kind, record, ref_title) for record in iter_records(store, kind)}
    cache[kind] = titles
    return titles


def title_of(store: Store, kind: str, record: dict[str, Any]) -> str:
    """One record's readable title (texts.records.record_title); a missing reference reads as its id."""
    def ref_title(ref: str, rid: str | None) -> str:
        if not rid:
            return ""
        try:
            return title_of(store, ref, store.get(ref, rid))
        except NotFound:
            return rid

    return texts.record_title(kind, record, ref_title)


def describe(store: Store, kind: str, record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for every field of one record, references shown by name (for `tandem show`)."""
    spec = kind_spec(kind)
    rows = [(ID_HEADER, record["id"])]
    for field in spec.fields:
        value = record.get(field.name)
        text = display_value(field, value)
        if field.ref and value:
            try:
                text = f"{title_of(store, field.ref, store.get(field.ref, value))} ({value})"
            except NotFound:
                text = f"{value} (introuvable)"
        rows.append((field.label, text))
    return rows


def _ref_titles(store: Store, spec: KindSpec) -> dict[str, str]:
    cache: dict[str, dict[str, str]] = {}
    merged: dict[str, str] = {}
    for field in spec.fields:
        if field.ref:
            merged.update(record_titles(store, field.ref, cache))
    return merged


def atomic_write(dest: Path, write: Callable[[Path], None]) -> None:
    """`write` fills a 0600 temporary file (names in clear: private, wherever it goes), renamed at the end."""
    dest = Path(dest).expanduser().resolve()
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    tmp.unlink(missing_ok=True)
    create_private(tmp)  # the csv and xlsx writers then reuse the file, and its mode
    try:
        write(tmp)
        os.replace(tmp, dest)
    except OSError as exc:  # the temporary file's name would only puzzle: say the one asked for
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(dest)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_kind(store: Store, kind: str, fmt: str, dest: str | os.PathLike[str],
                query: ListQuery | None = None) -> int:
    """Write the live records of `kind` to `dest` as csv or xlsx, all of them or what a list shows
    (`query`: its search, filters and sort); returns the number of records."""
    spec = kind_spec(kind)
    if fmt not in FORMATS:
        raise ValueError(f"Format d’export inconnu\u00a0: « {fmt} ». Possibles\u00a0: {', '.join(FORMATS)}.")
    titles = _ref_titles(store, spec)
    headers = [ID_HEADER, *(f.label for f in spec.fields)]
    count = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal count
        for record in iter_records(store, kind, query):
            count += 1
            yield [record["id"], *(_cell(f, record.get(f.name), titles, fmt) for f in spec.fields)]

    if fmt == "csv":
        atomic_write(Path(dest), lambda tmp: write_csv(tmp, headers, rows()))
    else:
        atomic_write(Path(dest), lambda tmp: write_xlsx(tmp, spec.plural, headers, rows()))
    return count


def _cell(field: FieldSpec, value: Any, titles: dict[str, str], fmt: str) -> Any:
    if field.type is FieldType.INT and value is not None:
        return value if fmt == "xlsx" else str(value)  # a number, not « 1 234 » with its spaces
    if fmt == "xlsx" and value is not None and field.type is FieldType.DATE:
        return date.fromisoformat(value)
    text = display_value(field, value, titles)
    return _safe_text(text) if fmt == "csv" and field.type is not FieldType.INT else text


def write_csv(path: Path, headers: list[str], rows: Iterator[list[Any]]) -> None:
    # UTF-8 with BOM and ";": what Excel in French opens correctly with a double click.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)


def _shown_width(value: Any) -> int:
    """About how many characters a cell shows (a date as JJ/MM/AAAA, a long text on its first line)."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return len(str(value).split("\n", 1)[0])


def write_xlsx(path: Path, title: str, headers: list[str], rows: Iterator[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    first = list(itertools.islice(rows, _WIDTH_SAMPLE))  # widths that fit: set before the first row
    for index, header in enumerate(headers, start=1):
        widest = max([len(header) + 2, *(_shown_width(row[index - 1]) for row in first if index <= len(row))])
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(60, widest + 1))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in itertools.chain(first, rows):
        cells: list[Any] = []
        for value in row:
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text as typed, never a formula
                cells.append(cell)
            else:
                cells.append(value if value != "" else None)
        sheet.append(cells)
    workbook.save(path)
