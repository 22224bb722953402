"""The widgets and layout of the import dialog (import_dialog.py wires them): the file's step, with
what was read and the column mapping, and the check's step, with the report and the duplicates."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.kinds import KINDS
from ..importing.duplicates import RULES
from ..importing.sources import DELIMITERS, ENCODINGS
from ..services.imports import DECISION_LABELS
from .import_views import CompareTable, DuplicatesTable, MappingTable, PreviewTable, ReportTable

IMPORTABLE = ("mentee", "mentor", "tandem", "meeting", "structure", "counsellor")
RULES_TEXT = ("Doublons repérés\u00a0: même identifiant (fichier exporté d’ici), même adresse e-mail, même numéro "
              "de téléphone, ou même nom et même date de naissance (pour un mentor\u00a0: même employeur). Les noms "
              "se comparent sans accents ni majuscules, prénom et nom inversés, une faute de frappe pardonnée "
              "(«\u00a0Hélène Durand\u00a0», «\u00a0HELENE DURAND\u00a0» et «\u00a0Helene Durant\u00a0» sont "
              "une même personne)\u00a0; sans date de naissance (ou sans employeur) pour les départager, le même "
              "nom suffit.")
assert set(RULES) >= {"id", "email", "phone", "name", "name_employer", "name_undated", "name_no_employer"}


class ImportForm(QDialog):
    """The dialog's widgets, by object name (the tests find them so)."""

    def __init__(self, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("import_dialog")
        self.setWindowTitle("Importer un tableur")
        self.resize(980, 640)
        self._build(kind)

    def _build(self, kind: str) -> None:
        self.kind_combo = self._combo("kind_combo", [(KINDS[k].plural, k) for k in IMPORTABLE], kind)
        self.file_label = QLabel("Aucun fichier choisi.", self, objectName="file_label")
        self.choose_button = self._button("choose_button", "Choisir un fichier…")
        self.sheet_combo = self._combo("sheet_combo", [])
        self.sheet_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.encoding_combo = self._combo("encoding_combo", [(label, code) for code, label in ENCODINGS.items()])
        self.delimiter_combo = self._combo("delimiter_combo", [(label, code) for code, label in DELIMITERS.items()])
        self.header_spin = QSpinBox(self, objectName="header_spin", minimum=1, maximum=1000)
        self.structure_combo = self._combo("structure_combo", [("Aucune (selon le fichier)", None)])
        self.template_combo = self._combo("template_combo", [("Deviner d’après les en-têtes", None)])
        self.save_template_button = self._button("save_template_button", "Enregistrer comme modèle…")
        self.notes_label = QLabel(self, objectName="notes_label", wordWrap=True)
        self.mapping_table = MappingTable(self)
        self.preview_table = PreviewTable(self)
        self.check_button = self._button("check_button", "Vérifier toutes les lignes")

        form = QFormLayout()
        chooser = QHBoxLayout()
        chooser.addWidget(self.file_label, 1)
        chooser.addWidget(self.choose_button)
        form.addRow("Fichier\u00a0:", chooser)
        form.addRow("Fiches à importer\u00a0:", self.kind_combo)
        form.addRow("Structure des fiches\u00a0:", self.structure_combo)
        reading = QHBoxLayout()
        for label, widget in (("Feuille", self.sheet_combo), ("Encodage", self.encoding_combo),
                              ("Séparateur", self.delimiter_combo), ("Ligne des en-têtes", self.header_spin)):
            reading.addWidget(QLabel(f"{label}\u00a0:", self))
            reading.addWidget(widget)
        reading.addStretch(1)
        form.addRow("Lecture\u00a0:", reading)
        templates = QHBoxLayout()
        templates.addWidget(self.template_combo, 1)
        templates.addWidget(self.save_template_button)
        form.addRow("Correspondance\u00a0:", templates)
        first = QWidget(self)
        layout = QVBoxLayout(first)
        layout.addLayout(form)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.mapping_table, 3)
        layout.addWidget(QLabel("Aperçu des premières lignes telles qu’elles seront enregistrées\u00a0:", self))
        layout.addWidget(self.preview_table, 2)

        self.summary_label = QLabel(self, objectName="summary_label", wordWrap=True)
        self.rules_label = QLabel(RULES_TEXT, self, objectName="rules_label", wordWrap=True)
        self.report_table = ReportTable(self)
        self.duplicates_table = DuplicatesTable(self)
        self.compare_table = CompareTable(self)
        self.skip_refused = QCheckBox("Importer sans les lignes refusées", self, objectName="skip_refused")
        self.save_report_button = self._button("save_report_button", "Enregistrer le rapport…")
        self.all_decisions = self._combo("all_decisions", [("Pour tous les doublons…", None), *(
            (f"Tous\u00a0: {DECISION_LABELS[code].lower()}", code) for code in ("skip", "merge", "import"))])
        second = QWidget(self)
        layout = QVBoxLayout(second)
        layout.addWidget(self.summary_label)
        layout.addWidget(QLabel("Lignes refusées\u00a0:", self))
        layout.addWidget(self.report_table, 2)
        layout.addWidget(self.rules_label)
        doubles = QHBoxLayout()
        doubles.addWidget(self.duplicates_table, 3)
        doubles.addWidget(self.compare_table, 2)
        layout.addLayout(doubles, 3)
        options = QHBoxLayout()
        options.addWidget(self.all_decisions)
        options.addWidget(self.skip_refused)
        options.addStretch(1)
        options.addWidget(self.save_report_button)
        layout.addLayout(options)

        self.pages = QStackedWidget(self, objectName="pages")
        self.pages.addWidget(first)
        self.pages.addWidget(second)
        self.status_label = QLabel(self, objectName="status_label", wordWrap=True)
        self.progress = QProgressBar(self, objectName="progress", textVisible=False)
        self.back_button = self._button("back_button", "Retour")
        self.import_button = self._button("import_button", "Importer")
        self.stop_button = self._button("stop_button", "Arrêter")
        self.undo_button = self._button("undo_button", "Annuler cet import")
        self.close_button = self._button("close_button", "Fermer")
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        for button in (self.back_button, self.check_button, self.import_button, self.stop_button, self.undo_button,
                       self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    def _combo(self, name: str, items: list[tuple[str, Any]], current: Any = None) -> QComboBox:
        combo = QComboBox(self, objectName=name)
        for label, data in items:
            combo.addItem(label, data)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        return combo

    def _button(self, name: str, text: str) -> QPushButton:
        button = QPushButton(text, self, objectName=name)
        button.setAutoDefault(False)
        return button
