"""Table models of the batch proposal: the pairs to tick, and the mentees left without a mentor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ..matching.propose import Pair, Unmatched
from .display import NBSP
from .match_card import decimal

Index = QModelIndex | QPersistentModelIndex
CHECK, MENTEE, MENTOR, SCORE, REASONS = range(5)


def main_reasons(pair: Pair, count: int = 2) -> str:
    """The `count` « pour » reasons worth the most points: why this pair, at a glance."""
    best = sorted((c for c in pair.contributions if c.polarity == "pour"), key=lambda c: -c.points)
    return f"{NBSP}; ".join(c.text for c in best[:count])


class PairModel(QAbstractTableModel):
    """The proposed pairs, each with a tick (all ticked at first)."""

    HEADERS = ("", "Mentoré·e", "Mentor", "Score", "Raisons principales")

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pairs: list[Pair] = []
        self.ticked: list[bool] = []

    def set_pairs(self, pairs: list[Pair]) -> None:
        self.beginResetModel()
        self.pairs, self.ticked = list(pairs), [True] * len(pairs)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        pair, column = self.pairs[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == CHECK:
            return Qt.CheckState.Checked if self.ticked[index.row()] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            return {MENTEE: pair.mentee_name, MENTOR: pair.mentor_name, SCORE: decimal(pair.score),
                    REASONS: main_reasons(pair)}.get(column)
        if role == Qt.ItemDataRole.ToolTipRole and column == REASONS:
            return "\n".join(f"{'✓' if c.polarity == 'pour' else '✗'} {c.text}" for c in pair.contributions
                             if c.polarity != "neutre")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == CHECK else flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != CHECK:
            return False
        self.ticked[index.row()] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [role])
        return True

    def toggle(self, row: int) -> None:
        if 0 <= row < len(self.pairs):
            state = Qt.CheckState.Unchecked if self.ticked[row] else Qt.CheckState.Checked
            self.setData(self.index(row, CHECK), state, Qt.ItemDataRole.CheckStateRole)

    def tick_all(self, ticked: bool) -> None:
        self.ticked = [ticked] * len(self.pairs)
        if self.pairs:
            self.dataChanged.emit(self.index(0, CHECK), self.index(len(self.pairs) - 1, CHECK))

    def ticked_pairs(self) -> list[Pair]:
        return [pair for pair, ticked in zip(self.pairs, self.ticked, strict=True) if ticked]

    def remove(self, done: list[Pair]) -> None:
        gone = {(p.mentee_id, p.mentor_id) for p in done}
        kept = [(p, t) for p, t in zip(self.pairs, self.ticked, strict=True) if (p.mentee_id, p.mentor_id) not in gone]
        self.beginResetModel()
        self.pairs, self.ticked = [p for p, _ in kept], [t for _, t in kept]
        self.endResetModel()


class UnmatchedModel(QAbstractTableModel):
    """Mentees left without a mentor, and why."""

    HEADERS = ("Mentoré·e", "Raison")

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[Unmatched] = []

    def set_rows(self, rows: list[Unmatched]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            row = self.rows[index.row()]
            return row.mentee_name if index.column() == 0 else row.reason
        return None
