"""One section's list: search as you type, filters, a sortable lazy table, and its buttons.

After a write the list changes in place: a broadcast naming records re-reads just those rows
(RecordTableModel.update_rows); one naming none (a pulled page) re-reads the loaded rows the view
needs, at most once per REFRESH_EVERY_MS. Counts and filter values are read on the database lane
too: nothing here reads the store on the GUI thread.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from ..store.queries import FTS_KINDS, ListQuery, labelled_columns, list_fields
from ..store.repository import Store
from ..texts.french import NBSP
from .display import kind_count, number, record_title
from .table_model import MOVES_IN_PLACE, RecordTableModel
from .tasks import TaskRunner
from .widgets import named_button, row_table

if TYPE_CHECKING:
    from .changes import ChangeBroadcaster, Changed

SEARCH_DELAY_MS = 150
REFRESH_EVERY_MS = 400  # while a sync stores page after page, a shown list reloads at most this often
TEXT_COLUMN_WIDTH = 150  # six columns fit the default window without sideways scrolling
SEARCH_HINTS = {
    "mentor": "Rechercher un mentor (nom, employeur, métier, compétence…)",
    "mentee": "Rechercher un·e mentoré·e (nom, projet, métier, compétence…)",
    "tandem": "Rechercher un tandem par le nom du mentor ou du mentoré",
    "structure": "Rechercher une structure",
}
ALL_TEXTS = {"Statut": "Tous les statuts", "Étape": "Toutes les étapes", "Actif·ve": "Actifs et inactifs"}
BOOL_CHOICES = ((True, "Actifs"), (False, "Inactifs"))
SUGGEST_TEXTS = {"mentee": ("Suggérer des mentors", "Les mentors qui conviennent le mieux, un par un (Ctrl+M)"),
                 "mentor": ("Suggérer des mentorés", "Les mentorés qui conviennent le mieux, un par un (Ctrl+M)")}


class ListPage(QWidget):
    """The list of one kind; the section decides what « Nouveau », « Modifier »… open."""

    new_requested = Signal()
    open_requested = Signal(str)
    edit_requested = Signal(str)
    delete_requested = Signal(str)
    suggest_requested = Signal(str)
    count_changed = Signal(str)
    message = Signal(str)  # a status line (an export written, or why it was not)

    def __init__(self, store: Store, runner: TaskRunner, kind: str, parent: QWidget | None = None,
                 broadcaster: ChangeBroadcaster | None = None):
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.spec = KINDS[kind]
        # What this list shows: its own kind and the kinds its columns and filters name.
        self.shows = frozenset({kind, *(f.ref for f in self.spec.fields if f.ref)})
        self.stale = False  # rows changed that no broadcast named: read the loaded rows again when shown
        self._extras_stale = False  # the count and the filter values
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_EVERY_MS)
        self._refresh_timer.timeout.connect(self._refresh_if_shown)
        self.setObjectName(f"{kind}_list")
        self.count_text = ""
        self._count_generation = 0

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(SEARCH_HINTS.get(kind, "Rechercher"))
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_query)
        self.search.textChanged.connect(self._debounce.start)

        self.filters: dict[str, QComboBox] = {}
        for name in (self.spec.status_field, self.spec.structure_field, self.spec.commune_field):
            if name:
                combo = QComboBox(self)
                combo.setObjectName(f"filter_{name}")
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
                combo.setMaximumWidth(260)
                combo.currentIndexChanged.connect(self.apply_query)
                self.filters[name] = combo
        self.reload_filters({})  # « Tous… » for now: the values come from the database lane
        self.refresh_filters()

        self.model = RecordTableModel(store, kind, parent=self, runner=runner)
        self.table = row_table(self, "table", self.model)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # natural order until a header is clicked
        self.table.setSortingEnabled(True)
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._size_columns()

        self.new_button = self._button("new_button", "Nouveau", "Créer une fiche (Ctrl+N)")
        self.open_button = self._button("open_button", "Ouvrir", "Ouvrir le suivi du tandem (Entrée)")
        self.edit_button = self._button("edit_button", "Modifier", "Modifier la fiche sélectionnée (Entrée)")
        self.delete_button = self._button("delete_button", "Supprimer", "Supprimer la fiche sélectionnée")
        self.open_button.setVisible(kind == "tandem")
        self.suggest_button = self._button("suggest_button", *SUGGEST_TEXTS.get(kind, ("", "")))
        self.suggest_button.setVisible(kind in SUGGEST_TEXTS)
        self.export_button = self._button("export_button", "Exporter…",
                                          "Exporter ce que la liste montre (recherche, filtres, tri) en XLSX ou CSV")
        self.export_button.clicked.connect(self.export)
        self.suggest_button.clicked.connect(lambda: self._emit_selected(self.suggest_requested))
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(lambda: self._emit_selected(self.open_requested))
        self.edit_button.clicked.connect(lambda: self._emit_selected(self.edit_requested))
        self.delete_button.clicked.connect(lambda: self._emit_selected(self.delete_requested))
        self.empty_label = QLabel(self)
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        for combo in self.filters.values():
            top.addWidget(combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.suggest_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        self._update_buttons()
        self.request_count()
        if broadcaster is not None:
            broadcaster.changed.connect(self.note)

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        return named_button(self, name, text, tip)

    def _size_columns(self) -> None:
        """Short values get a narrow column, names and texts a wider one; the last fills the rest. All
        can be resized by the counsellor, and the window remembers the widths (window_state.py)."""
        widths = {FieldType.INT: 90, FieldType.BOOL: 80, FieldType.DATE: 110, FieldType.CHOICE: 170}
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, spec in enumerate(self.model.columns):
            self.table.setColumnWidth(column, widths.get(spec.type, TEXT_COLUMN_WIDTH))

    # -- filters and search -------------------------------------------------------------------

    def refresh_filters(self) -> None:
        """Read the filter values again, on the database lane."""
        if self.filters:
            self.runner.submit(self._all_filter_choices, on_done=self._filters_read)

    def reload_filters(self, choices: dict[str, list[tuple[Any, str]]]) -> None:
        """Fill the filter combos from the choices read, keeping what is selected."""
        for name, combo in self.filters.items():
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self._all_text(name), None)
            for value, label in choices.get(name, []):
                combo.addItem(label, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def _all_text(self, name: str) -> str:
        field = self.spec.by_name[name]
        if field.ref:
            return "Toutes les structures"
        if name == self.spec.commune_field:
            return "Toutes les communes"
        return ALL_TEXTS.get(field.label, "Tous")

    def _all_filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        """Plain values read from the store (distinct communes over 25,000 rows: the database lane's work)."""
        return {name: self._filter_choices(name) for name in self.filters}

    def _filter_choices(self, name: str) -> list[tuple[Any, str]]:
        field = self.spec.by_name[name]
        if field.type is FieldType.BOOL:
            return list(BOOL_CHOICES)
        if field.choices:
            return list(field.choices)
        if field.ref:
            rows = self.store.find(field.ref, ListQuery(), 0, 1000, fields=list_fields(KINDS[field.ref]))
            choices = [(row["id"], record_title(self.store, field.ref, row)) for row in rows]
            return [*choices, ("__none__", "Sans structure")]
        return [(value, value) for value in self.store.distinct_values(self.spec.name, name)]

    def current_query(self) -> ListQuery:
        filters = {name: combo.currentData() for name, combo in self.filters.items()
                   if combo.currentData() is not None}
        return replace(self.model.query, search=self.search.text().strip(), filters=filters)

    def apply_query(self) -> None:
        """Search and filters changed: reload the first page now, count in the background."""
        self._debounce.stop()
        query = self.current_query()
        if query != self.model.query:
            self.model.set_query(query)
            self.request_count()

    def export(self, path: str | None = None) -> None:
        """What the list shows (its search, filters and sort), written on the database lane to an
        XLSX or a CSV (UTF-8 with BOM and « ; », as French Excel opens it)."""
        from pathlib import Path

        from ..services.export import export_kind

        if path is None:
            default = Path.home() / f"{self.spec.plural.lower()}.xlsx"
            path, _ = QFileDialog.getSaveFileName(self, "Exporter la liste", str(default),
                                                  "Classeur Excel (*.xlsx);;CSV pour Excel (*.csv)")
            if not path:
                return
        target = Path(path)
        fmt = "csv" if target.suffix.lower() == ".csv" else "xlsx"
        if target.suffix.lower() not in (".csv", ".xlsx"):
            target = target.with_suffix(".xlsx")
        query, store, kind = self.current_query(), self.store, self.spec.name
        self.runner.submit(lambda: export_kind(store, kind, fmt, target, query),
                           on_done=lambda n: self.message.emit(f"Export écrit{NBSP}: {target.name} "
                                                               f"({kind_count(self.spec, n)})."),
                           on_error=lambda exc: self.message.emit(
                               f"Export impossible{NBSP}: {getattr(exc, 'strerror', None) or exc}."))

    def set_filter(self, name: str, value: Any) -> None:
        combo = self.filters[name]
        combo.setCurrentIndex(max(combo.findData(value), 0))

    def clear_search(self) -> None:
        self.search.clear()
        self.apply_query()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def note(self, change: Changed) -> None:
        """A broadcast. Rows it names are read again now (only those); a change naming no record
        of this list's kind, or one that may reorder it, reads the loaded rows again soon (now-ish
        if shown, else when shown). Bursts (pages of a sync) give one such read per REFRESH_EVERY_MS."""
        if not change.touches(*self.shows):
            return
        kind, query = self.spec.name, self.model.query
        named = change.ids(kind)
        whole = named is None or len(named) > MOVES_IN_PLACE  # a big page: read the rows again at once
        rows = set(named or ())
        for name in labelled_columns(self.spec):  # the title of a record this list names changed
            ref = self.spec.by_name[name].ref or ""
            if change.touches(ref):
                ids = change.ids(ref)
                if ids is None or query.sort == name:
                    whole = True
                else:
                    rows |= self.model.ids_pointing_at(name, ids)
        if query.search and kind not in FTS_KINDS and change.touches("mentor", "mentee"):
            whole = True  # tandems are found through their people: who matches may have changed
        if rows and not whole:
            self.model.update_rows(rows)
        self._extras_stale = True
        self.stale = self.stale or whole
        if self.isVisible() and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_if_shown(self) -> None:
        if not self.isVisible():
            return
        if self.model.reading:  # the last read is still on its way: no pile-up behind it
            self._refresh_timer.start()
        elif self.stale:
            self.refresh()
        elif self._extras_stale:
            self._refresh_extras()

    def _refreshed(self, started: float) -> None:
        """A read of the loaded rows took this long: the next one waits twice that (a sync's pages
        then still get the database lane when 100,000 rows are loaded)."""
        spent_ms = int((time.perf_counter() - started) * 2000)
        self._refresh_timer.setInterval(max(REFRESH_EVERY_MS, spent_ms))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.stale:
            self.refresh()
        elif self._extras_stale:
            self._refresh_extras()

    def refresh(self, select_id: str | None = None) -> None:
        """Data changed somewhere: read the loaded rows again (as many as the view needs) and apply
        what differs in place; then the count and the filter values."""
        self.stale = False
        self._refresh_timer.stop()
        keep = select_id or self.selected_id()
        started = time.perf_counter()

        def done() -> None:
            self._refreshed(started)
            if keep:
                self._reselect(keep)

        self.model.refresh(then=done, keep=self._rows_needed())
        self._refresh_extras()

    def _refresh_extras(self) -> None:
        self._extras_stale = False
        self.request_count()
        self.refresh_filters()

    def _rows_needed(self) -> int:
        """Rows down to the last one shown, and a page more: those below are read again on scrolling."""
        last = self.table.rowAt(self.table.viewport().height() - 1)
        shown = self.model.rowCount() if last < 0 else last + 1
        return shown + self.model.page_size

    def _reselect(self, record_id: str) -> None:
        if self.selected_id() != record_id:  # in place, the view kept it; a reset lost it
            self.select(record_id)

    def follow(self, record_id: str) -> None:
        """Select `record_id` once the rows read after a write are in (the form that saved it closed)."""
        self.model.when_settled(lambda: self._reselect(record_id))

    def _filters_read(self, choices: dict[str, list[tuple[Any, str]]]) -> None:
        """The filter choices, read on the database lane; a value that vanished resets its filter."""
        self.reload_filters(choices)
        query = self.current_query()
        if query != self.model.query:
            self.model.set_query(query)
            self.request_count()

    # -- counting (off the GUI thread) ----------------------------------------------------------

    def request_count(self) -> None:
        """Counting a big filtered list can take a moment: done by the worker, latest answer wins."""
        self._count_generation += 1
        generation = self._count_generation
        query, kind, store = self.model.query, self.spec.name, self.store

        def count() -> tuple[int, int] | None:  # not started before a newer search came: never runs
            return None if generation != self._count_generation else (store.count(kind, query), store.count(kind))

        self.runner.submit(count, on_done=lambda result: self._counted(generation, result))

    def _counted(self, generation: int, result: tuple[int, int] | None) -> None:
        if generation != self._count_generation or result is None:
            return  # an older search answered late
        shown, total = result
        text = kind_count(self.spec, total) if shown == total else f"{kind_count(self.spec, shown)} sur {number(total)}"
        self.count_text = text
        self.empty_label.setText("" if shown else self._empty_text(total))
        self.empty_label.setVisible(not shown)
        self.count_changed.emit(text)

    def _empty_text(self, total: int) -> str:
        if total == 0:
            return "Aucune fiche pour l’instant. Cliquez sur «\u00a0Nouveau\u00a0» (Ctrl+N) pour en créer une."
        return "Aucune fiche ne correspond à la recherche ou aux filtres. Échap efface la recherche."

    # -- selection ----------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_at(rows[0].row())["id"] if rows else None

    def select(self, record_id: str) -> bool:
        row = self.model.row_of(record_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        return True

    def _emit_selected(self, signal: Any) -> None:
        record_id = self.selected_id()
        if record_id:
            signal.emit(record_id)

    def _activated(self, index: QModelIndex) -> None:
        record_id = self.model.record_at(index.row())["id"]
        (self.open_requested if self.spec.name == "tandem" else self.edit_requested).emit(record_id)

    def _update_buttons(self) -> None:
        has = self.selected_id() is not None
        for button in (self.open_button, self.edit_button, self.delete_button, self.suggest_button):
            button.setEnabled(has)
