"""The header row and the data rows of a sheet as people make them: a title row or two on top (often
merged across the columns), a blank line, the headers, then the rows with blank lines between.

The header is the first row, among the first ones, whose filled cells are texts and cover most of
the columns the sheet uses; rows above it are titles, blank rows anywhere are dropped. Row numbers
are the spreadsheet's own (1 for its first line), so a report points at what the counsellor sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .sources import ImportFileError

HEADER_SEARCH = 20  # the header is among this many first filled rows
_WIDTH_SHARE = 0.6  # of the widest row's filled cells


@dataclass(frozen=True)
class DataRow:
    number: int  # the spreadsheet's row number
    cells: tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    header_row: int  # spreadsheet row number of the headers
    headers: tuple[str, ...]  # one per column; a column without header gets « Colonne N »
    rows: tuple[DataRow, ...]

    def column_values(self, index: int, limit: int | None = None) -> list[Any]:
        rows = self.rows if limit is None else self.rows[:limit]
        return [row.cells[index] if index < len(row.cells) else None for row in rows]


def _filled(row: Sequence[Any]) -> list[int]:
    return [i for i, cell in enumerate(row) if cell is not None and str(cell).strip()]


def find_table(rows: Sequence[Sequence[Any]], header_row: int | None = None) -> Table:
    """The table of `rows` (cells as read); `header_row` (1-based) overrides the guess."""
    filled = [(number, row) for number, row in enumerate(rows, 1) if _filled(row)]
    if not filled:
        raise ImportFileError("Ce fichier ne contient aucune ligne remplie.")
    if header_row is None:
        header_row = _guess_header(filled)
    elif not any(number == header_row for number, _ in filled):
        raise ImportFileError(f"La ligne {header_row} est vide\u00a0: elle ne peut pas porter les en-têtes.")
    header_cells = next(row for number, row in filled if number == header_row)
    width = max(len(row) for number, row in filled if number >= header_row)
    headers = tuple(_header_text(header_cells[i] if i < len(header_cells) else None, i) for i in range(width))
    data = tuple(DataRow(number, tuple(_trimmed(row, width))) for number, row in filled if number > header_row)
    if not data:
        raise ImportFileError(f"Aucune ligne à importer sous les en-têtes de la ligne {header_row}.")
    return Table(header_row, _unique(headers), data)


def _guess_header(filled: list[tuple[int, Sequence[Any]]]) -> int:
    widest = max(len(_filled(row)) for _, row in filled[: HEADER_SEARCH * 5])
    for number, row in filled[:HEADER_SEARCH]:
        cells = [row[i] for i in _filled(row)]
        if len(cells) >= max(2, _WIDTH_SHARE * widest) and all(isinstance(c, str) for c in cells):
            return number
    return filled[0][0]


def _header_text(cell: Any, index: int) -> str:
    text = " ".join(str(cell).split()) if cell is not None else ""
    return text or f"Colonne {index + 1}"


def _unique(headers: tuple[str, ...]) -> tuple[str, ...]:
    """Two columns with the same header are told apart by a number (« Téléphone », « Téléphone (2) »)."""
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        out.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return tuple(out)


def _trimmed(row: Sequence[Any], width: int) -> list[Any]:
    cells = [cell.strip() or None if isinstance(cell, str) else cell for cell in row[:width]]
    return cells + [None] * (width - len(cells))
