"""A lazy table model over Store.find: rows arrive a page at a time as the view scrolls.

Why lazy: a structure may hold 25,000 mentees; the view only ever asks for the rows it shows, so the
first page appears at once and search as you type stays fast.

Why on the database lane (given a runner, as in the window): a read on the GUI thread while a sync
applies pages gives the interpreter lock back and forth with the worker at every row, up to 5 ms a
time, so even 200 rows froze the window for 50–70 ms. Each load is a job; only the newest load's
answer is kept (typing fast sends several), and no page is fetched while a load is on its way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from ..store.queries import ListQuery
from ..store.repository import Store
from .display import display_value, short_header
from .tasks import TaskRunner

log = logging.getLogger(__name__)
Then = Callable[[], None] | None

PAGE_SIZE = 200
ALL_ROWS = 10_000_000  # a limit no list reaches
ID_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    """The list of one kind of record, for the current search, filters and sort.

    Without a runner every load happens at once on the caller's thread (scripts, model tests)."""

    loaded = Signal()  # a (re)load's rows are in

    def __init__(self, store: Store, kind: str, page_size: int = PAGE_SIZE, parent: QObject | None = None,
                 runner: TaskRunner | None = None):
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.spec = KINDS[kind]
        self.page_size = page_size
        self.columns = [self.spec.by_name[name] for name in self.spec.list_columns]
        self._query = ListQuery()
        self._rows: list[dict[str, Any]] = []
        self._complete = False
        self._generation = 0  # bumped by each (re)load: an older answer is dropped
        self._reading = False  # a load or a page is on its way
        self._queued: Then = None  # asked while reading: runs once the answer is in
        self._load(self.page_size)

    # -- query --------------------------------------------------------------------------------

    @property
    def query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery, then: Then = None) -> None:
        """New search, filters or sort: start again from the first page."""
        self._query = query
        self._load(self.page_size, then)

    def refresh(self, then: Then = None) -> None:
        """Reload after a change, keeping as many rows as were loaded (so the view keeps its place)."""
        self._load(max(self.page_size, len(self._rows)), then)

    @property
    def reading(self) -> bool:
        return self._reading

    def _read(self, offset: int, limit: int, apply: Callable[[list[dict[str, Any]]], None]) -> None:
        """`store.find` for the current query, on the database lane; `apply` gets the rows if no
        newer load started meanwhile."""
        generation, query, kind, store = self._generation, self._query, self.spec.name, self.store
        if self.runner is None:
            apply(store.find(kind, query, offset, limit))
            return
        self._reading = True

        def answered(rows: list[dict[str, Any]]) -> None:
            if generation == self._generation:
                self._reading = False
                apply(rows)
                queued, self._queued = self._queued, None
                if queued is not None:
                    queued()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._reading = False
            log.warning("list load failed: %s", type(exc).__name__)  # the rows shown stay

        self.runner.submit(lambda: store.find(kind, query, offset, limit), on_done=answered, on_error=failed)

    def _load(self, limit: int, then: Then = None) -> None:
        self._generation += 1

        def apply(rows: list[dict[str, Any]]) -> None:
            self.beginResetModel()
            self._rows = rows
            self._complete = len(rows) < limit
            self.endResetModel()
            self.loaded.emit()
            if then is not None:
                then()

        self._read(0, limit, apply)

    def _append(self, limit: int, then: Then = None) -> None:
        start = len(self._rows)

        def apply(page: list[dict[str, Any]]) -> None:
            if len(self._rows) != start:
                return  # rows came in some other way meanwhile
            self._complete = len(page) < limit
            if page:
                self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
                self._rows.extend(page)
                self.endInsertRows()
            if then is not None:
                then()

        self._read(start, limit, apply)

    # -- lazy fetching ------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._complete and not self._reading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._append(self.page_size)

    @property
    def complete(self) -> bool:
        return self._complete

    def fetch_all(self, then: Then = None) -> None:
        """Load every remaining row (Ctrl+End goes to the real end of the list, not of the page);
        `then` runs once they are in."""
        if self._complete:
            if then is not None:
                then()
            return
        if self._reading:
            self._queued = lambda: self.fetch_all(then)  # once the load on its way is in
            return
        self._append(ALL_ROWS, then)

    # -- table --------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        record = self._rows[index.row()]
        spec = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return display_value(spec, record)
        if role == Qt.ItemDataRole.ToolTipRole and spec.type is FieldType.LONG_TEXT:
            return record.get(spec.name)
        if role == Qt.ItemDataRole.TextAlignmentRole and spec.type is FieldType.INT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE:
            return record["id"]
        if role == RECORD_ROLE:
            return record
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return short_header(self.columns[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].label
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is done by the database (a column of a 25,000-row list is never all loaded)."""
        field = self.columns[column].name if 0 <= column < len(self.columns) else None
        descending = order == Qt.SortOrder.DescendingOrder and field is not None
        self.set_query(replace(self._query, sort=field, descending=descending))

    # -- helpers for the views ----------------------------------------------------------------

    def record_at(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def row_of(self, record_id: str) -> int | None:
        for row, record in enumerate(self._rows):
            if record["id"] == record_id:
                return row
        return None
