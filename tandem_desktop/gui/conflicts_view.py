"""The « Conflits » page: what the hub decided when two devices changed the same field, and a way
to put the lost value back.

Conflicts are few (one per clash), so they are read whole — on the worker, with each record's title
and each value already in French — then shown by a small table model.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.fields import FieldType
from ..domain.kinds import KINDS
from ..services.sync import Conflict, Resolution
from ..store.repository import Store
from ..texts.records import value_with_unit
from .display import NBSP, ref_label, short_header
from .sync_controller import SyncController
from .sync_texts import moment_text, plural
from .widgets import row_table

COLUMNS = (("record_text", "Fiche"), ("field_text", "Champ"), ("kept_text", "Valeur gardée"),
           ("lost_text", "Valeur perdue"), ("type_text", "Type"), ("date_text", "Date"))
TYPES = {  # used when the service gives no `type_label`
    "field": "Modification simultanée",
    "edit_after_delete": "Modification d’une fiche supprimée",
    "refused": "Refusée par le hub",
    "too_large": "Trop volumineuse pour le hub",
}
REVERSE_TEXT = ("Rétablir la valeur perdue", "Remet la valeur perdue dans la fiche, puis synchronise")
RESEND_TEXT = ("Renvoyer au hub", "Renvoie la modification telle que la fiche la porte maintenant "
               "(corrigez-la d’abord si besoin), puis synchronise")
FILTERS = (("open", "Conflits ouverts"), ("resolved", "Conflits résolus"), ("all", "Tous les conflits"))
EMPTY = "(vide)"
CELL_CHARS = 300  # a value longer than this is cut in the table (a write set aside can hold megabytes)
Index = QModelIndex | QPersistentModelIndex


def value_text(store: Store | None, kind: str, field: str, value: Any) -> str:
    """A stored value as the counsellor reads it (« Oui », a date, a mentor's name…)."""
    if field == "deleted":
        return "Fiche supprimée" if value else "Fiche présente"
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, dict):  # several edited fields (an edit against a delete)
        return f"{NBSP}; ".join(f"{field_label(kind, name)}{NBSP}: {value_text(store, kind, name, v)}"
                                for name, v in value.items())
    spec = KINDS[kind].by_name.get(field) if kind in KINDS else None
    if spec is None:
        return str(value)
    if spec.type is FieldType.REF and spec.ref:
        return ref_label(store, spec.ref, str(value)) if store is not None else str(value)
    try:
        return value_with_unit(spec, value) or EMPTY  # « 15 km »: the field's short label drops its unit
    except (TypeError, ValueError, AttributeError):
        return str(value)


def _cut(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[:CELL_CHARS].rstrip() + "…"


def field_label(kind: str, field: str | None) -> str:
    if not field:
        return "Toute la fiche"
    if field == "deleted":
        return "Suppression"
    spec = KINDS[kind].by_name.get(field) if kind in KINDS else None
    return short_header(spec) if spec is not None else field


def describe(store: Store | None, conflict: Conflict) -> dict[str, Any]:
    """The conflict's row: its fields with the texts each column shows (runs on the worker: it reads
    the store).

    The service's own labels (record, type, description) are used as given; values are shown the
    way every other view of the window shows them.
    """
    kind, field, record_id = conflict.kind, conflict.field, conflict.record_id
    spec = KINDS.get(kind)
    title = conflict.record_label or (
        ref_label(store, kind, record_id) if store is not None and spec is not None else str(record_id))
    kind_label = conflict.kind_label or (spec.label if spec is not None else kind)
    return {
        **conflict.as_dict(),
        "record_title": title,
        "record_text": f"{kind_label} · {title}",
        "field_text": field_label(kind, field),
        "kept_text": _cut(value_text(store, kind, field or "", conflict.kept_value)),
        "lost_text": _cut(value_text(store, kind, field or "", conflict.lost_value)),
        "type_text": conflict.type_label or TYPES.get(conflict.conflict_type, conflict.conflict_type),
        "date_text": moment_text(conflict.received_at),
    }


class ConflictTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = row[COLUMNS[index.column()][0]]
            return f"{text} (rétabli)" if index.column() == 4 and row.get("resolved") else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("description") or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if 0 <= section < len(COLUMNS) else None
        return None


class ConflictsPage(QWidget):
    """Lists conflicts (open, resolved or all) and reverses the selected one."""

    message = Signal(str)
    count_changed = Signal(str)
    reversed = Signal(object)  # the Changes the reversal (or the resend) wrote

    def __init__(self, store: Store, controller: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.controller = controller
        self.setObjectName("conflicts_page")
        self.count_text = ""
        self._all: list[dict[str, Any]] = []
        self._generation = 0
        title = QLabel("Conflits de synchronisation", self)
        title.setObjectName("title_label")
        title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        intro = QLabel("Quand deux postes ont modifié le même champ, le hub garde la dernière modification "
                       f"reçue et conserve l’autre ici. Sélectionnez un conflit puis «{NBSP}Rétablir la valeur "
                       f"perdue{NBSP}» pour la remettre. Une modification refusée par le hub ou trop "
                       f"volumineuse est gardée ici aussi{NBSP}: corrigez la fiche, puis «{NBSP}Renvoyer au "
                       f"hub{NBSP}».", self)
        intro.setWordWrap(True)
        self.filter = QComboBox(self)
        self.filter.setObjectName("conflict_filter")
        for value, label in FILTERS:
            self.filter.addItem(label, value)
        self.filter.currentIndexChanged.connect(self._apply_filter)
        self.model = ConflictTableModel(self)
        self.table = row_table(self, "conflicts_table", self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 150), (4, 210), (5, 130)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail = QLabel(self)
        self.detail.setObjectName("conflict_detail")
        self.detail.setWordWrap(True)
        self.empty_label = QLabel(self)
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setWordWrap(True)
        self.reverse_button = QPushButton(REVERSE_TEXT[0], self)
        self.reverse_button.setObjectName("reverse_button")
        self.reverse_button.setToolTip(REVERSE_TEXT[1])
        self.reverse_button.clicked.connect(self.reverse_selected)
        self.refresh_button = QPushButton("Actualiser", self)
        self.refresh_button.setObjectName("refresh_button")
        self.refresh_button.clicked.connect(self.refresh)

        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.filter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reverse_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        controller.conflicts_changed.connect(self.refresh)
        controller.synced.connect(lambda _report: self.refresh())
        self._selection_changed()

    # -- loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read all conflicts on the worker; the filter is applied here."""
        self._generation += 1
        generation, store = self._generation, self.store
        service, profile = self.controller.service, self.controller.profile

        def work() -> list[dict[str, Any]]:
            return [describe(store, c) for c in service.list_conflicts(profile, include_resolved=True)]

        self.controller.runner.submit(work, on_done=lambda rows: self._loaded(generation, rows),
                                      on_error=lambda exc: self.message.emit(f"Conflits illisibles{NBSP}: {exc}"))

    def _loaded(self, generation: int, rows: list[dict[str, Any]]) -> None:
        if generation == self._generation:
            self._all = rows
            self._apply_filter()

    def _apply_filter(self) -> None:
        keep = self.selected()
        which = self.filter.currentData()
        rows = [r for r in self._all if which == "all" or bool(r.get("resolved")) == (which == "resolved")]
        self.model.set_rows(rows)
        if keep is not None:
            self.select(str(keep["id"]))
        open_count = sum(1 for r in self._all if not r.get("resolved"))
        self.count_text = plural(open_count, "conflit ouvert", "conflits ouverts")
        self.empty_label.setText("" if rows else self._empty_text(which))
        self.empty_label.setVisible(not rows)
        self.count_changed.emit(self.count_text)
        self._selection_changed()

    @staticmethod
    def _empty_text(which: str) -> str:
        if which == "resolved":
            return "Aucun conflit résolu pour l’instant."
        return ("Aucun conflit ouvert. Quand deux postes modifient le même champ d’une fiche, "
                "le conflit apparaît ici après la synchronisation.")

    # -- selection and reversal ---------------------------------------------------------------

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def select(self, conflict_id: str) -> bool:
        for row, conflict in enumerate(self.model.rows):
            if str(conflict["id"]) == conflict_id:
                self.table.selectRow(row)
                return True
        return False

    def _selection_changed(self, *_: object) -> None:
        conflict = self.selected()
        text, tip = RESEND_TEXT if conflict is not None and conflict.get("resendable") else REVERSE_TEXT
        self.reverse_button.setText(text)
        self.reverse_button.setToolTip(tip)
        self.reverse_button.setEnabled(conflict is not None and bool(conflict.get("reversible"))
                                       and not conflict.get("resolved"))
        self.detail.setText(str(conflict.get("description") or "") if conflict is not None else "")

    def reverse_selected(self) -> None:
        conflict = self.selected()
        if conflict is None or conflict.get("resolved") or not conflict.get("reversible"):
            return
        self.reverse_button.setEnabled(False)
        self.controller.reverse(str(conflict["id"]), on_done=lambda done: self._reversed(conflict, done),
                                on_error=self._reverse_failed)

    def _reversed(self, conflict: dict[str, Any], done: Resolution) -> None:
        if conflict.get("resendable"):
            self.message.emit(f"Modification de «{NBSP}{conflict['record_title']}{NBSP}» renvoyée au hub "
                              "avec la prochaine synchronisation.")
        else:
            self.message.emit(f"Valeur perdue rétablie{NBSP}: {conflict['field_text']} de "
                              f"«{NBSP}{conflict['record_title']}{NBSP}» "
                              f"vaut de nouveau «{NBSP}{conflict['lost_text']}{NBSP}».")
        self.reversed.emit(done.changes)  # the controller also asks for a fresh list

    def _reverse_failed(self, exc: BaseException) -> None:
        self.message.emit(f"Valeur non rétablie{NBSP}: {exc}")
        self._selection_changed()
