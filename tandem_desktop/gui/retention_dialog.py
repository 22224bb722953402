"""« Conservation des données… »: who the retention rules make due, why, and their anonymisation in
bulk, asked twice (services/privacy/retention.py). Mentors whose attestation d’honorabilité is to
renew are listed too; nothing is erased for them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..services.privacy import retention
from ..services.records import Records
from ..store.repository import Store
from ..texts.french import plural
from .display import NBSP
from .operations import Operations
from .rows_model import RowsModel

COLUMNS = ("À faire", "Type", "Personne", "Depuis le", "Pourquoi")


def _cells(line: retention.DueLine) -> tuple[str, ...]:
    return (line.what, line.kind_label, line.title, line.due.since.strftime("%d/%m/%Y"), line.due.reason)


class RetentionDialog(QDialog):
    def __init__(self, store: Store, records: Records, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("retention_dialog")
        self.setWindowTitle("Conservation des données")
        self.store, self.records, self.ops = store, records, ops
        layout = QVBoxLayout(self)
        self.note = QLabel("Recherche des fiches arrivées au terme de leur durée de conservation…", self)
        self.note.setObjectName("retention_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.model: RowsModel[retention.DueLine] = RowsModel(COLUMNS, _cells, self)
        self.table = QTableView(self)
        self.table.setObjectName("retention_table")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        self.anonymise_button: QPushButton = buttons.addButton("Anonymiser…", QDialogButtonBox.ButtonRole.ActionRole)
        self.anonymise_button.setObjectName("anonymise_button")
        self.anonymise_button.setEnabled(False)
        self.anonymise_button.clicked.connect(self.anonymise)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(980, 460)
        self.loaded = False

    def load(self) -> None:
        store = self.store
        self.ops.read(lambda: retention.due(store), self._show, self._failed)

    def _to_anonymise(self) -> list[retention.DueLine]:
        return [line for line in self.model.rows if line.due.what == retention.ANONYMISE]

    def _show(self, lines: list[retention.DueLine]) -> None:
        self.model.set_rows(lines)
        count = len(self._to_anonymise())
        renew = len(lines) - count
        if not lines:
            text = "Aucune fiche n’a dépassé sa durée de conservation, aucune attestation n’est à renouveler."
        else:
            attest = plural(renew, "attestation d’honorabilité à renouveler",
                            "attestations d’honorabilité à renouveler")
            text = (f"{plural(count, 'personne à anonymiser', 'personnes à anonymiser')}, {attest}. "
                    f"Règles{NBSP}: celles du hub, ou deux ans après le dernier contact (CNIL).")
        self.note.setText(text)
        self.anonymise_button.setText(f"Anonymiser {plural(count, 'personne')}…" if count else "Anonymiser…")
        self.anonymise_button.setEnabled(count > 0)
        self.loaded = True

    def anonymise(self) -> bool:
        """Asked twice (the count, then « définitivement »), then one write on the database lane."""
        lines = self._to_anonymise()
        if not lines:
            return False
        question = (f"Anonymiser {plural(len(lines), 'personne')}{NBSP}? Leurs données personnelles seront effacées "
                    "sur ce poste, puis partout à la prochaine synchronisation{nbsp}; il ne restera que les "
                    "statistiques.").replace("{nbsp}", NBSP)
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        if QMessageBox.question(self, "Anonymiser", question, buttons, QMessageBox.StandardButton.No) \
                != QMessageBox.StandardButton.Yes:
            return False
        if QMessageBox.warning(self, "Anonymiser définitivement", "Cette action ne peut pas être annulée. "
                               f"Anonymiser définitivement{NBSP}?", buttons, QMessageBox.StandardButton.No) \
                != QMessageBox.StandardButton.Yes:
            return False
        records = self.records
        self.anonymise_button.setEnabled(False)

        def changes(done: list[Any]) -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            for erased in done:
                found.setdefault(erased.kind, set()).add(erased.record_id)
                for kind, ids in erased.linked.items():
                    found.setdefault(kind, set()).update(ids)
            return found

        def done(erased: list[Any]) -> None:
            self.note.setText(f"{plural(len(erased), 'personne anonymisée', 'personnes anonymisées')}.")
            self.load()

        self.ops.write(lambda: retention.anonymise(records, lines), parent=self, changes=changes) \
            .success(done).failure(self._failed).run()
        return True

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(f"Opération impossible{NBSP}: {exc}")
