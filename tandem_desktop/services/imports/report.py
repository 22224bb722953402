"""An import's row-by-row report (row number, field, French message), shown in the dialog, printed by
the CLI and saved as CSV or XLSX with the export's writers (so it opens right in French Excel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...importing.duplicates import Match
from ..export import atomic_write, write_csv, write_xlsx
from .plan import ImportPlan

HEADERS = ["Ligne", "Champ", "Message"]
OUTCOMES = {"skip": "ligne ignorée", "merge": "fusionnée dans cette fiche", "import": "importée quand même"}


def report_lines(plan: ImportPlan) -> Iterator[tuple[int, str, str]]:
    """(row, field label, message) for every refused field and every duplicate, in row order."""
    column = {name: position for position, name in enumerate(plan.mapping.values())}  # the file's order
    for row in plan.rows:
        for name, message in sorted(row.errors.items(), key=lambda item: column.get(item[0], len(column))):
            yield row.number, plan.label(name), message
        if not row.refused and (match := row.duplicate) is not None:
            outcome = OUTCOMES[row.decision] if not (match.in_file and row.decision == "merge") else \
                "fusionnée dans cette ligne"
            yield row.number, "", f"{duplicate_text(plan, match)}\u00a0: {outcome}."


def duplicate_text(plan: ImportPlan, match: Match) -> str:
    """« Doublon de la ligne 4 (même adresse e-mail) » or « Doublon d’une fiche existante (…) »."""
    where = f"de la ligne {match.target}" if match.in_file else f"de la fiche {_title(plan, str(match.target))}"
    return f"Doublon {where} ({match.reason})"


def _title(plan: ImportPlan, record_id: str) -> str:
    record = plan.existing.get(record_id, {})
    name = " ".join(str(record.get(n) or "") for n in plan.spec.title_fields if not n.endswith("_id")).strip()
    return f"«\u00a0{name}\u00a0»" if name else "existante"


def save_report(plan: ImportPlan, dest: str | Path) -> Path:
    """Write the report to `dest`: XLSX if its name ends so, CSV (UTF-8 with BOM, « ; ») otherwise."""
    path = Path(dest)
    rows: list[list[Any]] = [list(line) for line in report_lines(plan)]
    if path.suffix.lower() == ".xlsx":
        atomic_write(path, lambda tmp: write_xlsx(tmp, "Rapport d’import", HEADERS, iter(rows)))
    else:
        atomic_write(path, lambda tmp: write_csv(tmp, HEADERS, iter(rows)))
    return path
