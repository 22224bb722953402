"""A spreadsheet file as rows of cells: CSV in any common encoding and delimiter, XLSX, XLS, ODS.

What was detected (encoding, delimiter, sheet) is returned with the rows, so the dialog can show it
and the counsellor correct it; a file that cannot be read raises `ImportFileError` with a French
message, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.errors import DomainError

MAX_FILE_BYTES = 200 * 1024 * 1024  # a structure's list is a few MB; past this, a wrong file
# A workbook is a zip: what it unpacks to, and the cells of a sheet, are bounded before reading, so a
# hostile file (a few kB that unpack to gigabytes, a cell at XFD1048576) cannot exhaust the memory.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_CELLS = 20_000_000
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
DELIMITERS = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
# The encodings offered for correction, by the names Python knows them and as the dialog shows them.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "cp1252": "Windows-1252 (Excel sous Windows)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "utf-16": "UTF-16",
}
_SAMPLE = 256 * 1024
_LATIN = {"cp1252", "latin-1", "iso8859-15", "iso8859-1", "cp1250", "iso8859-2", "mac-roman", "cp850"}
_ISO_ONLY = {0xA4, 0xBC, 0xBD, 0xBE}


class ImportFileError(DomainError):
    """The file cannot be read as a table; the message is French and says what to do."""


@dataclass(frozen=True)
class Source:
    """One sheet of a file as rows of cells (str, float, int, bool, date, datetime or None)."""

    path: Path
    format: str  # "csv", "xlsx", "xls" or "ods"
    rows: list[list[Any]]
    sheets: tuple[str, ...] = ()  # a workbook's sheet names
    sheet: str | None = None
    encoding: str | None = None  # a CSV's, as detected or as given
    delimiter: str | None = None
    notes: tuple[str, ...] = field(default=())  # what the reader guessed, in French

    @property
    def file_name(self) -> str:
        return self.path.name


def read_source(path: str | Path, *, sheet: str | None = None, encoding: str | None = None,
                delimiter: str | None = None) -> Source:
    """The file at `path` read as a table; `sheet`, `encoding` and `delimiter` override the guesses."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFileError(f"Fichier introuvable ou illisible\u00a0: «\u00a0{path.name}\u00a0».") from None
    if size > MAX_FILE_BYTES:
        raise ImportFileError(f"Fichier trop volumineux ({size // (1024 * 1024)}\u00a0Mo, "
                              f"{MAX_FILE_BYTES // (1024 * 1024)}\u00a0Mo au plus).")
    if path.suffix.lower() in SPREADSHEETS:
        return _read_workbook(path, sheet)
    return _read_csv(path, path.read_bytes(), encoding, delimiter)


# -- workbooks ----------------------------------------------------------------------------------


def _read_workbook(path: Path, sheet: str | None) -> Source:
    from python_calamine import CalamineWorkbook

    fmt = path.suffix.lower().lstrip(".").replace("xlsm", "xlsx")
    if fmt in ("xlsx", "ods"):
        _check_unpacked_size(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = tuple(book.sheet_names)
        if sheet is not None and sheet not in names:
            shown = ", ".join(f"«\u00a0{n}\u00a0»" for n in names)
            raise ImportFileError(f"Feuille «\u00a0{sheet}\u00a0» absente du classeur. Feuilles\u00a0: {shown}.")
        chosen = sheet if sheet is not None else _first_filled_sheet(book, names)
        found = book.get_sheet_by_name(chosen)
        if found.height * found.width > MAX_CELLS:
            raise ImportFileError(f"Feuille «\u00a0{chosen}\u00a0» trop grande ({found.height} lignes × {found.width} "
                                  "colonnes)\u00a0: copiez le tableau utile dans un nouveau classeur.")
        cells = found.to_python(skip_empty_area=False)
    except ImportFileError:
        raise
    except Exception as exc:  # calamine's errors: a damaged file, a password, another format
        reason = "protégé par un mot de passe" if "assword" in type(exc).__name__ else "endommagé ou d’un autre format"
        raise ImportFileError(f"Classeur illisible ({reason})\u00a0: «\u00a0{path.name}\u00a0». "
                              "Ouvrez-le dans votre tableur et enregistrez-le à nouveau en XLSX ou en CSV.") from None
    rows = [[None if cell == "" else cell for cell in row] for row in cells]
    return Source(path, fmt, rows, sheets=names, sheet=chosen)


def _check_unpacked_size(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: calamine says the file is unreadable
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(f"Classeur refusé\u00a0: il se décompresse en {unpacked // (1024 * 1024)}\u00a0Mo "
                              f"({MAX_UNPACKED_BYTES // (1024 * 1024)}\u00a0Mo au plus). Enregistrez le tableau utile "
                              "dans un nouveau classeur.")


def _first_filled_sheet(book: Any, names: Sequence[str]) -> str:
    if not names:
        raise ImportFileError("Ce classeur ne contient aucune feuille.")
    for name in names:
        if book.get_sheet_by_name(name).height > 0:
            return name
    return names[0]


# -- CSV ----------------------------------------------------------------------------------------


def _read_csv(path: Path, data: bytes, encoding: str | None, delimiter: str | None) -> Source:
    notes = []
    if encoding is None:
        encoding = detect_encoding(data)
        notes.append(f"Encodage détecté\u00a0: {ENCODINGS.get(encoding, encoding)}.")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ImportFileError(f"Ce fichier n’est pas en {ENCODINGS.get(encoding, encoding)}\u00a0: "
                              "choisissez un autre encodage.") from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ImportFileError("Ce fichier n’est pas un CSV (il contient des caractères nuls)\u00a0: "
                              "enregistrez-le en CSV depuis votre tableur, ou choisissez l’encodage UTF-16.")
    if delimiter is None:
        delimiter = detect_delimiter(text)
        notes.append(f"Séparateur détecté\u00a0: {DELIMITERS[delimiter]}.")
    try:
        rows = [[cell if cell.strip() else None for cell in row]
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error:
        raise ImportFileError("CSV mal formé (guillemets non refermés)\u00a0: "
                              "enregistrez-le à nouveau depuis votre tableur.") from None
    return Source(path, "csv", rows, encoding=encoding, delimiter=delimiter, notes=tuple(notes))


def detect_encoding(data: bytes) -> str:
    """The encoding of a CSV's bytes: its BOM, else UTF-8 if it decodes, else charset-normalizer's
    guess, told apart between the two Latin encodings French spreadsheets write (latin_encoding)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SAMPLE]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(data) > _SAMPLE:  # a character cut by the sample
            return "utf-8"
    if _looks_utf16(sample):
        return "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guessed = codecs.lookup(best.encoding).name if best is not None else "cp1252"
    if guessed not in _LATIN:  # another alphabet (Cyrillic, Arabic…): as charset-normalizer reads it
        return guessed
    return latin_encoding(sample)


def latin_encoding(sample: bytes) -> str:
    """Windows-1252 or ISO-8859-15, which differ in few bytes: one in 0x80–0x9F is a letter in
    Windows-1252 only (’, œ, €, …); without any, € Œ œ Ÿ at their ISO-8859-15 places (¤ ¼ ½ ¾ in
    Windows-1252, never seen in a list of people) mean ISO-8859-15."""
    if any(0x80 <= b <= 0x9F for b in sample):
        return "cp1252"
    return "iso8859-15" if any(b in _ISO_ONLY for b in sample) else "cp1252"


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a BOM: Latin text has a zero byte in every other position."""
    return len(sample) >= 4 and sample.count(0) >= len(sample) // 3


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns, most of all."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ";", -1.0
    for candidate in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if not counts or max(counts) < 2:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) / len(counts) * common
        if score > best_score:
            best, best_score = candidate, score
    return best
