"""The tables of the import dialog: the columns and the field each feeds, the preview of the first
rows as they will be stored, the report, and the duplicates with their side-by-side comparison.

Plain widgets filled from plain data (a Table, an ImportPlan): they read nothing from the store.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..domain.fields import FieldSpec, KindSpec
from ..importing.mapping import importable_fields
from ..importing.table import Table
from ..services.imports import DECISION_LABELS, ImportPlan, PlannedRow, duplicate_text, merge_values, report_lines
from ..texts.french import number
from ..texts.records import display_value

NOT_IMPORTED = "(ne pas importer)"
# Rows a table shows at most: a file of 25,000 refused rows or duplicates (the wrong kind chosen, the
# same file twice) must not build 25,000 rows of widgets on the GUI thread. The saved report holds
# every line, and one decision can be given to every duplicate at once.
SHOWN = 500
EXAMPLES = 3
REFUSED_COLOR = QColor("#b00020")


def _item(text: str, tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tip:
        item.setToolTip(tip)
    return item


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def shown(spec: KindSpec, name: str, value: Any, titles: dict[str, str] | None = None) -> str:
    """A stored value as the counsellor reads it; a reference by its record's title when known."""
    field: FieldSpec | None = spec.by_name.get(name)
    if field is None:
        return "" if value is None else str(value)
    return display_value(field, value, lambda _kind, rid: (titles or {}).get(rid or "", rid or ""))


class MappingTable(QTableWidget):
    """One row per column of the file: its header, a few of its values, and the field it feeds."""

    mapping_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setObjectName("mapping_table")
        self.setHorizontalHeaderLabels(["Colonne du fichier", "Exemples", "Champ de Tandem Desktop"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.combos: list[QComboBox] = []
        self.headers: tuple[str, ...] = ()

    def set_columns(self, spec: KindSpec, table: Table, mapping: dict[str, str]) -> None:
        self.headers = table.headers
        self.combos = []
        self.setRowCount(len(table.headers))
        fields = importable_fields(spec)
        for row, header in enumerate(table.headers):
            values = [str(v) for v in table.column_values(row, 50) if v not in (None, "")][:EXAMPLES]
            self.setItem(row, 0, _item(header))
            self.setItem(row, 1, _item(" · ".join(values)))
            combo = QComboBox(self)
            combo.setObjectName(f"field_{row}")
            combo.addItem(NOT_IMPORTED, None)
            for name, label in fields:
                combo.addItem(label, name)
            combo.setCurrentIndex(max(combo.findData(mapping.get(header)), 0))
            combo.currentIndexChanged.connect(self.mapping_changed)
            self.setCellWidget(row, 2, combo)
            self.combos.append(combo)
        self.resizeColumnToContents(0)
        self.setColumnWidth(2, 260)

    def mapping(self) -> dict[str, str]:
        """{header: field} as chosen (a field chosen twice is kept for its first column only)."""
        chosen: dict[str, str] = {}
        for header, combo in zip(self.headers, self.combos, strict=True):
            name = combo.currentData()
            if name and name not in chosen.values():
                chosen[header] = name
        return chosen

    def choose(self, header: str, name: str | None) -> None:
        combo = self.combos[self.headers.index(header)]
        combo.setCurrentIndex(max(combo.findData(name), 0))


class PreviewTable(QTableWidget):
    """The first rows as they will be stored (references as the file names them); a refused value
    reads as its French message, in red."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 0, parent)
        self.setObjectName("preview_table")
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def show_rows(self, plan: ImportPlan, table: Table) -> None:
        spec = plan.spec
        labels = dict(importable_fields(spec))
        names = list(plan.mapping.values())
        self.setColumnCount(len(names) + 1)
        self.setHorizontalHeaderLabels(["Ligne", *(labels.get(n, n) for n in names)])
        self.setRowCount(len(plan.rows))
        cells = {row.number: row.cells for row in table.rows}
        columns = {name: table.headers.index(header) for header, name in plan.mapping.items()}
        for position, row in enumerate(plan.rows):
            self.setItem(position, 0, _item(str(row.number)))
            for column, name in enumerate(names, start=1):
                if name in row.errors:
                    item = _item(row.errors[name], row.errors[name])
                    item.setForeground(QBrush(REFUSED_COLOR))
                elif name in row.values and not (spec.by_name.get(name) and spec.by_name[name].ref):
                    item = _item(shown(spec, name, row.values[name]))
                else:
                    cell = cells.get(row.number, ())[columns[name]] if columns[name] < len(cells.get(row.number, ())) \
                        else None
                    item = _item("" if cell is None else str(cell))
                self.setItem(position, column, item)
        self.resizeColumnsToContents()


class ReportTable(QTableWidget):
    """Row, field, French message: what the saved report holds."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setObjectName("report_table")
        self.setHorizontalHeaderLabels(["Ligne", "Champ", "Message"])
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def show_plan(self, plan: ImportPlan) -> None:
        refused = (line for line in report_lines(plan) if line[1] or plan.row(line[0]).refused)
        lines = list(itertools.islice(refused, SHOWN))
        total = sum(len(row.errors) for row in plan.refused())
        if total > len(lines):
            more = number(total - len(lines))
            note = f"… et {more} autre(s)\u00a0: «\u00a0Enregistrer le rapport…\u00a0» les donne toutes."
            lines.append((0, "", note))
        self.setRowCount(len(lines))
        for position, (row_number, field, message) in enumerate(lines):
            for column, text in enumerate((str(row_number) if row_number else "", field, message)):
                item = _item(text, message)
                item.setForeground(QBrush(REFUSED_COLOR))
                self.setItem(position, column, item)
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)


class DuplicatesTable(QTableWidget):
    """One row per duplicate: the row, what it resembles and why, and the decision to take."""

    decision_changed = Signal(int)  # the row number

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setObjectName("duplicates_table")
        self.setHorizontalHeaderLabels(["Ligne", "Doublon", "Décision"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows: list[PlannedRow] = []
        self.combos: list[QComboBox] = []

    def show_plan(self, plan: ImportPlan) -> None:
        self.rows = plan.duplicates()[:SHOWN]
        self._positions = {row.number: position for position, row in enumerate(self.rows)}
        self.combos = []
        self.setRowCount(len(self.rows))
        for position, row in enumerate(self.rows):
            match = row.duplicate
            assert match is not None
            self.setItem(position, 0, _item(str(row.number)))
            self.setItem(position, 1, _item(duplicate_text(plan, match)))
            combo = QComboBox(self)
            combo.setObjectName(f"decision_{row.number}")
            for code in ("skip",) if row.skip_only else ("skip", "merge", "import"):
                combo.addItem(DECISION_LABELS[code], code)
            combo.setCurrentIndex(combo.findData(row.decision))
            combo.currentIndexChanged.connect(lambda _i, n=row.number: self.decision_changed.emit(n))
            self.setCellWidget(position, 2, combo)
            self.combos.append(combo)
        self.resizeColumnToContents(0)
        self.setColumnWidth(2, 190)

    def decision(self, row_number: int) -> str:
        return str(self.combos[self._positions[row_number]].currentData())

    def position(self, row_number: int) -> int:
        return self._positions[row_number]

    def selected_number(self) -> int | None:
        rows = self.selectionModel().selectedRows()
        return self.rows[rows[0].row()].number if rows else None


class CompareTable(QTableWidget):
    """The file's row beside the record it resembles, field by field; in a merge, the ticked fields
    take the file's value (ticked at first: what the record leaves empty)."""

    take_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setObjectName("compare_table")
        self.setHorizontalHeaderLabels(["Champ", "Dans le fichier", "Fiche existante"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.names: list[str] = []
        self._filling = False
        self.itemChanged.connect(self._changed)

    def show_pair(self, plan: ImportPlan, row: PlannedRow, other: dict[str, Any], merging: bool,
                  titles: dict[str, str] | None = None) -> None:
        self._filling = True
        spec = plan.spec
        self.names = [f.name for f in spec.fields if f.name in row.given or other.get(f.name) not in (None, "", [])]
        taken = row.take if row.take is not None else frozenset(merge_values(other, row))
        self.setRowCount(len(self.names))
        for position, name in enumerate(self.names):
            label = _item(spec.by_name[name].label)
            if merging and name in row.given:
                label.setFlags(label.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                label.setCheckState(Qt.CheckState.Checked if name in taken else Qt.CheckState.Unchecked)
                label.setToolTip("Coché : la fiche prend la valeur du fichier.")
            self.setItem(position, 0, label)
            mine, theirs = shown(spec, name, row.values.get(name), titles), shown(spec, name, other.get(name), titles)
            self.setItem(position, 1, _item(mine))
            self.setItem(position, 2, _item(theirs))
            if mine != theirs:
                for column in (1, 2):
                    font = self.item(position, column).font()
                    font.setBold(True)
                    self.item(position, column).setFont(font)
        self._filling = False

    def taken(self) -> frozenset[str]:
        return frozenset(name for position, name in enumerate(self.names)
                         if self.item(position, 0).checkState() == Qt.CheckState.Checked)

    def check(self, name: str, on: bool) -> None:
        self.item(self.names.index(name), 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == 0:
            self.take_changed.emit()
