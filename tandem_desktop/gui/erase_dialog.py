"""The two questions before a person is erased (domain/erasure.py): what goes, what stays and why,
then « Effacer définitivement ? » with No as the default. An erasure cannot be undone."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ..domain.erasure import REASONS, Erased
from ..domain.kinds import KINDS
from ..texts.french import plural
from .display import NBSP

EXPLAINED = (
    "<p>Les données personnelles de cette fiche seront <b>effacées sur ce poste</b>, puis sur chaque poste de la "
    "structure et au hub à la prochaine synchronisation{nbsp}: nom, prénom, coordonnées, date de naissance, "
    "adresse, projet, notes. Les textes libres de ses tandems et de leurs rencontres (objectifs, notes, comptes "
    "rendus) et ses chartes signées sont effacés aussi.</p>"
    "<p>Ce qui reste{nbsp}: le type de projet, le métier visé, la structure, les étapes et l’issue des tandems, "
    "le département et la tranche d’âge, pour les statistiques. Une modification faite entre-temps sur un autre "
    "poste sera refusée.</p><p><b>Cette action ne peut pas être annulée.</b></p>"
)


class EraseDialog(QDialog):
    """First question: the consequences, and the reason recorded with the erasure."""

    def __init__(self, kind: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("erase_dialog")
        self.setWindowTitle("Effacer les données personnelles")
        layout = QVBoxLayout(self)
        head = QLabel(f"<h3>{KINDS[kind].label} «{NBSP}{title}{NBSP}»</h3>")
        text = QLabel(EXPLAINED.format(nbsp=NBSP))
        text.setWordWrap(True)
        text.setObjectName("erase_explained")
        layout.addWidget(head)
        layout.addWidget(text)
        form = QFormLayout()
        self.reason = QComboBox(self)
        self.reason.setObjectName("erase_reason")
        for code, label in REASONS:
            self.reason.addItem(label, code)
        form.addRow(f"Motif{NBSP}:", self.reason)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.go = buttons.addButton("Continuer…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setObjectName("erase_continue")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def chosen_reason(self) -> str:
        return str(self.reason.currentData())


def confirm_erasure(parent: QWidget, title: str) -> bool:
    """Second question, No by default."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.warning(
        parent, "Effacer définitivement",
        f"Effacer définitivement les données personnelles de «{NBSP}{title}{NBSP}»{NBSP}? "
        "Il ne sera plus possible de les retrouver.", buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def ask_erasure(parent: QWidget, kind: str, title: str) -> str | None:
    """The reason, once both questions were answered yes; None otherwise."""
    dialog = EraseDialog(kind, title, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    reason = dialog.chosen_reason()
    return reason if confirm_erasure(parent, title) else None


def erased_message(done: Erased) -> str:
    """The status bar after an erasure: what went with the record."""
    linked = done.linked
    parts = [plural(len(linked.get("tandem", [])), "tandem"), plural(len(linked.get("meeting", [])), "rencontre")]
    if done.charters:
        parts.append(plural(done.charters, "charte supprimée", "chartes supprimées"))
    return (f"Données personnelles effacées ({', '.join(parts)} nettoyés){NBSP}; l’effacement partira au hub à la "
            "prochaine synchronisation.")
