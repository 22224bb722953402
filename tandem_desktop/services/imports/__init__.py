"""Importing a structure's spreadsheet: read, map, check, decide on duplicates, write all or nothing, undo.

The steps, as the dialog and `tandem import` take them::

    source, table = read_table(path)                  # encoding, delimiter, sheet, header row guessed
    mapping = guess_mapping(kind_spec(kind), table.headers)   # or a saved template, or the counsellor's
    plan = prepare(store, kind, table, mapping, file_name=source.file_name)
    plan.decide(row_number, "merge", take=frozenset({"phone"}))   # a duplicate's decision
    result = apply_plan(records, plan)                 # one transaction; ImportRefused / ImportCancelled
    undo_batch(records, result.batch_id)

Each import is one batch (store/imports.py) listed by `list_batches`. The rules of duplicates are
importing.duplicates.RULES; the reading rules are importing's modules.
"""

from __future__ import annotations

from pathlib import Path

from ...domain.errors import DomainError
from ...importing.mapping import apply_template, guess_mapping, mapping_from_json, missing_required, template_name
from ...importing.sources import ImportFileError, Source, read_source
from ...importing.table import Table, find_table
from ...store.imports import ImportBatch, get_batch, list_batches, list_templates, save_template
from ...store.repository import Store
from .plan import DECISION_LABELS, ON_DUPLICATE, ImportCancelled, ImportPlan, PlannedRow, prepare
from .refs import References
from .report import duplicate_text, report_lines, save_report
from .write import ImportRefused, ImportResult, UndoResult, apply_plan, merge_values, undo_batch

__all__ = [
    "DECISION_LABELS",
    "ON_DUPLICATE",
    "DomainError",
    "ImportBatch",
    "ImportCancelled",
    "ImportFileError",
    "ImportPlan",
    "ImportRefused",
    "ImportResult",
    "PlannedRow",
    "Source",
    "Table",
    "UndoResult",
    "apply_plan",
    "apply_template",
    "duplicate_text",
    "get_batch",
    "guess_mapping",
    "list_batches",
    "list_templates",
    "mapping_from_json",
    "merge_values",
    "missing_required",
    "prepare",
    "read_table",
    "report_lines",
    "resolve_structure",
    "save_report",
    "save_template",
    "template_name",
    "undo_batch",
]


def resolve_structure(store: Store, text: str) -> str:
    """The id of the structure `text` names (its id or its name); ImportFileError in French if none."""
    from ...domain.validation import InvalidValue

    try:
        return References(store).resolve("structure", text)
    except InvalidValue as exc:
        raise ImportFileError(str(exc)) from None


def read_table(path: str | Path, *, sheet: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, header_row: int | None = None) -> tuple[Source, Table]:
    """The file as read (what was detected) and its table (headers found below any title rows)."""
    source = read_source(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return source, find_table(source.rows, header_row)
