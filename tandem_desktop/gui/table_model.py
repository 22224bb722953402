"""A lazy table model over Store.find: rows arrive a page at a time as the view scrolls.

Why lazy: a structure may hold 25,000 mentees; the view only ever asks for the rows it shows, so the
first page appears at once and search as you type stays fast.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from ..store.queries import ListQuery
from ..store.repository import Store
from .display import display_value, short_header

PAGE_SIZE = 200
ALL_ROWS = 10_000_000  # a limit no list reaches
ID_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    """The list of one kind of record, for the current search, filters and sort."""

    def __init__(self, store: Store, kind: str, page_size: int = PAGE_SIZE, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.spec = KINDS[kind]
        self.page_size = page_size
        self.columns = [self.spec.by_name[name] for name in self.spec.list_columns]
        self._query = ListQuery()
        self._rows: list[dict[str, Any]] = []
        self._complete = False
        self._load(self.page_size)

    # -- query --------------------------------------------------------------------------------

    @property
    def query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery) -> None:
        """New search, filters or sort: start again from the first page."""
        self._query = query
        self._load(self.page_size)

    def refresh(self) -> None:
        """Reload after a change, keeping as many rows as were loaded (so the view keeps its place)."""
        self._load(max(self.page_size, len(self._rows)))

    def _load(self, limit: int) -> None:
        self.beginResetModel()
        self._rows = self.store.find(self.spec.name, self._query, 0, limit)
        self._complete = len(self._rows) < limit
        self.endResetModel()

    # -- lazy fetching ------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._complete

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._complete:
            return
        page = self.store.find(self.spec.name, self._query, len(self._rows), self.page_size)
        self._complete = len(page) < self.page_size
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def fetch_all(self) -> None:
        """Load every remaining row (Ctrl+End goes to the real end of the list, not of the page)."""
        if self._complete:
            return
        page = self.store.find(self.spec.name, self._query, len(self._rows), ALL_ROWS)
        self._complete = True
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

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
