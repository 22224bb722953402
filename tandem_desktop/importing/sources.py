"""A spreadsheet file as rows of cells: CSV in any common encoding and delimiter, XLSX, XLS, ODS.

What was detected (encoding, delimiter, sheet) is returned with the rows, so the dialog can show it
and the counsellor correct it; a file that cannot be read raises `ImportFileError` with a French
message, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
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
MIXED = "utf-8+cp1252"  # a file whose lines are UTF-8 and others Windows-1252: each line read as it is
# The encodings offered for correction, by the names Python knows them and as the dialog shows them.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "cp1252": "Windows-1252 (Excel sous Windows)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "utf-16": "UTF-16",
    MIXED: "UTF-8 et Windows-1252 mêlés (ligne par ligne)",
}
_SAMPLE = 256 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # as services/export.py escapes them
csv.field_size_limit(MAX_FILE_BYTES)  # a cell may be long (then refused as « Texte trop long »), never a crash
_LATIN = {"cp1252", "latin-1", "iso8859-15", "iso8859-1", "cp1250", "iso8859-2", "mac-roman", "cp850"}
# What charset-normalizer may answer: the encodings spreadsheets of the hub's partners are saved in.
_CANDIDATES = ("cp1252", "iso8859_15", "utf_16", "cp850", "mac_roman", "cp1250", "cp1251", "cp1256")
_UTF8_LETTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|\xe2\x80[\x98\x99\x9c\x9d\xa6]|\xc5[\x92\x93]")
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
    if not path.is_file():  # a folder, a pipe (reading it would wait for ever), a device
        raise ImportFileError(f"«\u00a0{path.name}\u00a0» n’est pas un fichier\u00a0: choisissez un tableur.")
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
    if fmt == "xlsx":
        _check_extent(path)
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


_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')


def _check_extent(path: Path) -> None:
    """The reader holds a sheet as a full rectangle from its first cell to its last: one cell at
    XFD1048576 would ask for half a terabyte. Every sheet's cells are scanned first (a stream of its
    XML: the file's own <dimension> may lie)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and
                      i.filename.endswith(".xml")]
            for info in sheets:
                rows, columns = _extent(archive, info)
                if rows * columns > MAX_CELLS:
                    raise ImportFileError(f"Classeur refusé\u00a0: une feuille s’étend sur {rows} lignes × {columns} "
                                          "colonnes (une cellule remplie très loin du tableau). Copiez le tableau "
                                          "utile dans un nouveau classeur.")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # calamine says the file is unreadable


def _extent(archive: Any, info: Any) -> tuple[int, int]:
    low_row = low_col = 1 << 30
    high_row = high_col = 0
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            for letters, digits in _CELL_REF.findall(data):
                column = 0
                for letter in letters:
                    column = column * 26 + letter - 64
                row = int(digits)
                low_row, high_row = min(low_row, row), max(high_row, row)
                low_col, high_col = min(low_col, column), max(high_col, column)
            tail = data[-256:]  # a reference cut between two chunks is read whole with the next one
    if not high_row:
        return 0, 0
    return high_row - low_row + 1, high_col - low_col + 1


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
    if encoding is not None and encoding != MIXED:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"Encodage inconnu\u00a0: «\u00a0{encoding[:40]}\u00a0». Possibles\u00a0: "
                                  f"{', '.join(ENCODINGS)}.") from None
    if encoding is None:
        encoding = detect_encoding(data)
        notes.append(f"Encodage détecté\u00a0: {ENCODINGS.get(encoding, encoding)}.")
    try:
        text = _mixed(data) if encoding == MIXED else data.decode(encoding)
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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[Any]] = []
    ended = 0  # the line the last whole row ended on
    try:  # strict: a quote never closed is an error, not every later row swallowed into one cell
        for row in reader:
            rows.append([_unescaped(cell) if cell.strip() else None for cell in row])
            ended = reader.line_num
    except csv.Error:
        raise ImportFileError(f"CSV mal formé à la ligne {ended + 1} (guillemets non refermés ou mal "
                              "placés)\u00a0: enregistrez-le à nouveau depuis votre tableur.") from None
    return Source(path, "csv", rows, encoding=encoding, delimiter=delimiter, notes=tuple(notes))


def _unescaped(cell: str) -> str:
    """A cell as typed: our exports write « '=… » so that a spreadsheet never runs it (CSV injection)."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in _FORMULA_START else cell


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
    if len(_UTF8_LETTER.findall(sample)) >= 2:  # UTF-8 accents beside bytes that are not: two programs' lines
        return MIXED
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=list(_CANDIDATES)).best()
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


def _mixed(data: bytes) -> str:
    """Each line in UTF-8 if it is UTF-8, else in Windows-1252 (bytes it lacks kept as Latin-1)."""
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return "\n".join(lines)


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a BOM: Latin text has a zero byte in every other position."""
    return len(sample) >= 4 and sample.count(0) >= len(sample) // 3


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of columns, most of all."""
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ";", -1.0
    for candidate in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        except csv.Error:  # a quote opened on one of these lines and closed further down
            continue
        if not counts or max(counts) < 2:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) / len(counts) * common
        if score > best_score:
            best, best_score = candidate, score
    return best
