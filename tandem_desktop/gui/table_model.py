"""A lazy table model over Store.find: rows arrive a page at a time as the view scrolls.

Why lazy: a structure may hold 100,000 mentees; the view only ever asks for the rows it shows, so the
first page appears at once and search as you type stays fast. A row holds the columns shown (and
the title and status fields), never the whole record: the form reads that with `store.get`.

Why on the database lane (given a runner, as in the window): a read on the GUI thread while a sync
applies pages gives the interpreter lock back and forth with the worker at every row, up to 5 ms a
time, so even 200 rows froze the window for 50–70 ms. Each load is a job; only the newest load's
answer is kept (typing fast sends several, and one that has not started when a newer one comes
never runs), and no page is fetched while a load is on its way.

Why in place: the loaded rows are always the first rows of the query's order, each with its place
in that order (queries.ORDER). After a write, `update_rows` reads again only the rows it names (by
id) and moves, adds or drops them where they belong (dataChanged, beginInsertRows,
beginRemoveRows); the other rows stay the same objects and the view keeps its place. `refresh`
(a change that names no record: a pulled page) reads the loaded rows again and applies only the
differences, at most as many rows as the caller needs.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ..domain.fields import FieldSpec, FieldType
from ..domain.kinds import KINDS
from ..store.queries import ORDER, ListQuery, list_fields
from ..store.repository import Store
from .display import display_value, short_header
from .tasks import TaskRunner

log = logging.getLogger(__name__)
Then = Callable[[], None] | None
Rows = list[dict[str, Any]]

PAGE_SIZE = 200
FETCH_ALL_PAGE = 5_000  # Ctrl+End brings the rest in pages this big (other jobs slip in between)
MOVES_IN_PLACE = 100  # more rows moved, added or dropped than this: one reset is cheaper for the view
ID_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


def _order(row: dict[str, Any]) -> Any:
    return row[ORDER]


class RecordTableModel(QAbstractTableModel):
    """The list of one kind of record, for the current search, filters and sort.

    Without a runner every load happens at once on the caller's thread (scripts, model tests)."""

    loaded = Signal()  # a (re)load's rows are in
    updated = Signal()  # rows read again by id (update_rows) are in

    def __init__(self, store: Store, kind: str, page_size: int = PAGE_SIZE, parent: QObject | None = None,
                 runner: TaskRunner | None = None):
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.spec = KINDS[kind]
        self.page_size = page_size
        self.columns = [self.spec.by_name[name] for name in self.spec.list_columns]
        self.fields = list_fields(self.spec)
        self._query = ListQuery()
        self._rows: Rows = []
        self._by_id: dict[str, dict[str, Any]] = {}  # the loaded rows by id (a row's place: bisect its ORDER)
        self._complete = False
        self._generation = 0  # bumped by each (re)load: an older answer is dropped
        self._reading = False  # a load or a page is on its way
        self._queued: Then = None  # asked while reading: runs once the answer is in
        self._updating = 0  # rows read again by id, on their way
        self._settled: list[Callable[[], None]] = []  # run once nothing is on its way
        self._load(self.page_size)

    # -- query --------------------------------------------------------------------------------

    @property
    def query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery, then: Then = None) -> None:
        """New search, filters or sort: start again from the first page."""
        self._query = query
        self._load(self.page_size, then)

    def refresh(self, then: Then = None, *, keep: int | None = None) -> None:
        """Read the loaded rows again (at most `keep` of them, never fewer than a page) and apply
        what differs in place: for a change that names no record (a pulled page)."""
        wanted = len(self._rows) if keep is None else min(keep, len(self._rows))
        self._load(max(self.page_size, wanted), then, in_place=True)

    def update_rows(self, ids: Iterable[str], then: Then = None) -> None:
        """Records `ids` were written: read those rows again (by id) and put each where the query's
        order now puts it, or drop it if it no longer matches. Nothing else is read."""
        wanted = frozenset(ids)
        if not wanted:
            return
        kind, query, fields, store = self.spec.name, self._query, self.fields, self.store
        self._updating += 1

        def apply(rows: Rows) -> None:
            self._place(wanted, rows)
            self.updated.emit()
            if then is not None:
                then()

        def finished() -> None:
            self._updating -= 1

        self._read(lambda: store.find(kind, query, fields=fields, ids=wanted), apply, load=False, done=finished)

    @property
    def reading(self) -> bool:
        """A load, a page or rows read again are on their way."""
        return self._reading or self._updating > 0

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Run `callback` once every read on its way has been applied (now, if none is)."""
        if self.reading:
            self._settled.append(callback)
        else:
            callback()

    def _read(self, work: Callable[[], Rows], apply: Callable[[Rows], None], *, load: bool = True,
              done: Then = None) -> None:
        """`work` on the database lane; `apply` gets its rows if no newer load started meanwhile.
        A job still queued when a newer load comes does not run at all."""
        generation = self._generation
        if self.runner is None:
            apply(work())
            if done is not None:
                done()
            return
        if load:
            self._reading = True

        def run() -> Rows | None:
            return None if generation != self._generation else work()

        def answered(rows: Rows | None) -> None:
            if done is not None:
                done()
            if generation == self._generation and rows is not None:
                if load:
                    self._reading = False
                apply(rows)
                if load:
                    queued, self._queued = self._queued, None
                    if queued is not None:
                        queued()
            self._tell_settled()

        def failed(exc: BaseException) -> None:
            if done is not None:
                done()
            if generation == self._generation and load:
                self._reading = False
            log.warning("list load failed: %s", type(exc).__name__)  # the rows shown stay
            self._tell_settled()

        self.runner.submit(run, on_done=answered, on_error=failed)

    def _tell_settled(self) -> None:
        while self._settled and not self.reading:
            self._settled.pop(0)()

    def _fetch(self, offset: int, limit: int) -> Callable[[], Rows]:
        kind, query, fields, store = self.spec.name, self._query, self.fields, self.store
        return lambda: store.find(kind, query, offset, limit, fields=fields)

    def _load(self, limit: int, then: Then = None, *, in_place: bool = False) -> None:
        self._generation += 1

        def apply(rows: Rows) -> None:
            if in_place:
                self._merge(rows, cut=len(rows) == limit)
            else:
                self._reset(rows)
            self._complete = len(rows) < limit
            self.loaded.emit()
            if then is not None:
                then()

        self._read(self._fetch(0, limit), apply)

    def _append(self, limit: int, then: Then = None) -> None:
        start = len(self._rows)

        def apply(page: Rows) -> None:
            if len(self._rows) != start:  # rows were placed meanwhile: this page starts elsewhere now
                self._append(limit, then)
                return
            self._complete = len(page) < limit
            self._insert(start, page)
            if then is not None:
                then()

        self._read(self._fetch(start, limit), apply)

    # -- changes in place ---------------------------------------------------------------------

    def _reset(self, rows: Rows) -> None:
        self.beginResetModel()
        self._rows = rows
        self._by_id = {row["id"]: row for row in rows}
        self.endResetModel()

    def _insert(self, position: int, rows: Rows) -> None:
        if rows:
            self.beginInsertRows(QModelIndex(), position, position + len(rows) - 1)
            self._rows[position:position] = rows
            self._by_id.update((row["id"], row) for row in rows)
            self.endInsertRows()

    def _remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        for row in self._rows[first:last + 1]:
            del self._by_id[row["id"]]
        del self._rows[first:last + 1]
        self.endRemoveRows()

    def _replace(self, position: int, row: dict[str, Any]) -> None:
        self._rows[position] = self._by_id[row["id"]] = row
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.columns) - 1))

    def _position(self, row: dict[str, Any]) -> int:
        return bisect.bisect_left(self._rows, row[ORDER], key=_order)

    def _place(self, ids: frozenset[str], fresh: Rows) -> None:
        """Rows `ids` read again (`fresh`: those that still match) put where they belong. The
        loaded rows stay the first rows of the order: a row placed after the last one is left for
        the next page, unless every row is loaded."""
        by_id = {row["id"]: row for row in fresh}
        for rid in ids:
            old = self._by_id.get(rid)
            if old is None:
                continue
            position, new = self._position(old), by_id.get(rid)
            if new is not None and new[ORDER] == old[ORDER]:
                del by_id[rid]
                if new != old:
                    self._replace(position, new)
            else:
                self._remove(position, position)
        for new in sorted(by_id.values(), key=_order):
            position = self._position(new)
            if position < len(self._rows) or self._complete:
                self._insert(position, [new])

    def _merge(self, fresh: Rows, *, cut: bool) -> None:
        """The loaded rows read again (`fresh`, in order): the differences applied in place. `cut`:
        `fresh` stops at its limit, and loaded rows after its last one are dropped (read later)."""
        if cut and fresh:
            end = bisect.bisect_right(self._rows, fresh[-1][ORDER], key=_order)
            if end < len(self._rows):
                self._remove(end, len(self._rows) - 1)
        new_ids = {row["id"]: row for row in fresh}
        moved = [i for i, row in enumerate(self._rows)
                 if row["id"] not in new_ids or new_ids[row["id"]][ORDER] != row[ORDER]]
        added = sum(1 for rid in new_ids if rid not in self._by_id)
        if len(moved) + added > MOVES_IN_PLACE:
            self._reset(fresh)
            return
        for row in reversed(moved):
            self._remove(row, row)
        # What stayed kept its order: it is a subsequence of `fresh`; the rest goes in between.
        for position, new in enumerate(fresh):
            if position < len(self._rows) and self._rows[position]["id"] == new["id"]:
                if self._rows[position] != new:
                    self._replace(position, new)
            else:
                self._insert(position, [new])
        if len(self._rows) > len(fresh):  # read fewer than were loaded (the caller needed fewer)
            self._remove(len(fresh), len(self._rows) - 1)

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
        """Load every remaining row (Ctrl+End goes to the real end of the list, not of the page),
        FETCH_ALL_PAGE rows at a time; `then` runs once they are in."""
        if self._complete:
            if then is not None:
                then()
            return
        if self._reading:
            self._queued = lambda: self.fetch_all(then)  # once the load on its way is in
            return
        self._append(FETCH_ALL_PAGE, lambda: self.fetch_all(then))

    # -- table --------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        return self._value(self._rows[index.row()], self.columns[index.column()], role)

    def multiData(self, index: Index, roles: QModelRoleDataSpan) -> None:
        """Every role a delegate asks of a cell, in one call (seven calls of data() otherwise): each
        call from Qt into Python waits for the interpreter lock, for as long as a busy worker keeps
        it, and a repaint made a thousand of them while a first sync decoded and stored pages."""
        if not index.isValid() or index.row() >= len(self._rows):
            for role_data in roles:
                role_data.clearData()
            return
        record, spec = self._rows[index.row()], self.columns[index.column()]
        for role_data in roles:
            role_data.setData(self._value(record, spec, role_data.role()))

    def _value(self, record: dict[str, Any], spec: FieldSpec, role: int) -> Any:
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
        """Sorting is done by the database (a column of a 100,000-row list is never all loaded)."""
        field = self.columns[column].name if 0 <= column < len(self.columns) else None
        descending = order == Qt.SortOrder.DescendingOrder and field is not None
        self.set_query(replace(self._query, sort=field, descending=descending))

    # -- helpers for the views ----------------------------------------------------------------

    def record_at(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def row_of(self, record_id: str) -> int | None:
        record = self._by_id.get(record_id)
        return None if record is None else self._position(record)

    def ids_pointing_at(self, name: str, ids: frozenset[str]) -> set[str]:
        """The loaded rows whose reference `name` is one of `ids` (their label may have changed)."""
        return {record["id"] for record in self._rows if record.get(name) in ids}
