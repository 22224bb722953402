"""« Imports précédents… »: every import of this device, and « Annuler l’import » for one of them.

Undo deletes what the import created and puts back what its merges replaced, in one transaction on
the database lane, through the records door; a field changed since the import is left as it is,
and the message says how many.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..domain.kinds import kind_spec
from ..services import imports
from ..services.records import Records
from ..store.repository import Store
from ..texts.french import NBSP, number
from .import_views import _item, _table
from .operations import Operations
from .section import confirm
from .tasks import TaskRunner

HEADERS = ["Date", "Fiches", "Fichier", "Créées", "Fusionnées", "Ignorées", "État"]


class ImportHistoryDialog(QDialog):
    def __init__(self, store: Store, records: Records, runner: TaskRunner, ops: Operations,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.records, self.runner, self.ops = store, records, runner, ops
        self.setObjectName("import_history")
        self.setWindowTitle("Imports précédents")
        self.resize(820, 420)
        self.batches: list[imports.ImportBatch] = []
        self.table = _table(self, "batches_table", HEADERS)
        self.table.itemSelectionChanged.connect(self._update)
        self.status_label = QLabel(self, objectName="status_label", wordWrap=True)
        self.undo_button = QPushButton("Annuler l’import", self, objectName="undo_button")
        self.undo_button.clicked.connect(self.undo_selected)
        close = QPushButton("Fermer", self, objectName="close_button")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.runner.submit(lambda: imports.list_batches(self.store), on_done=self._show)

    def _show(self, batches: list[imports.ImportBatch]) -> None:
        self.batches = batches
        self.table.setRowCount(len(batches))
        for row, batch in enumerate(batches):
            counts = batch.counts
            state = f"annulé le {batch.undone_at[:10]}" if batch.undone_at else "importé"
            for column, text in enumerate((batch.created_at[:16].replace("T", " "), kind_spec(batch.kind).plural,
                                           batch.file_name, number(counts.get("created", 0)),
                                           number(counts.get("merged", 0)), number(counts.get("skipped", 0)), state)):
                self.table.setItem(row, column, _item(text))
        self.table.resizeColumnsToContents()
        if not batches:
            self.status_label.setText("Aucun import sur ce poste pour l’instant.")
        self._update()

    def selected(self) -> imports.ImportBatch | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows else None

    def undo_selected(self) -> None:
        batch = self.selected()
        if batch is None or batch.undone_at:
            return
        created = number(sum(len(ids) for ids in batch.created.values()))
        if not confirm(self, "Annuler l’import", f"Annuler l’import de «{NBSP}{batch.file_name}{NBSP}»{NBSP}? "
                       f"Ses {created} fiche(s) créée(s) seront supprimées et ses fusions défaites."):
            return
        self.undo_button.setEnabled(False)
        self.status_label.setText(f"Annulation en cours ({created} fiche(s) à supprimer)…")
        self.ops.write(lambda: imports.undo_batch(self.records, batch.id), parent=self,
                       changes=lambda undone: undone.changes) \
            .success(lambda undone: (self.status_label.setText(undone.message()), self.reload())) \
            .failure(lambda exc: (self.status_label.setText(str(exc) if isinstance(exc, imports.DomainError)
                                                            else "L’annulation a échoué. Rien n’a été modifié."),
                                  self._update())).run()

    def _update(self) -> None:
        batch = self.selected()
        self.undo_button.setEnabled(batch is not None and not batch.undone_at)
