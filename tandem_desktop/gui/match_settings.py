"""The matching settings dialog: criterion weights per programme, minimum score and load spreading.

Why a dialog of its own: the weights change every suggestion and proposal of the profile, so they
are edited in one place, checked by the matching layer (its French `SettingsError`), and saved only
on OK; « Rétablir les valeurs par défaut » only refills the fields.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ..matching.criteria import CRITERIA, MAX_WEIGHT, PROGRAMME_LABELS, PROGRAMMES, MatchingSettings, SettingsError
from ..services.matching import MatchingService

TITLE = "Réglages de la mise en relation"
INTRO = ("Les poids disent l’importance de chaque critère\u00a0; le score d’une paire est la moyenne "
         "pondérée des critères, sur 100. Aucun critère ne porte sur l’origine, la santé ou la religion.")
RESET_TEXT = "Rétablir les valeurs par défaut"
MSG_ALL_ZERO = "Donnez un poids à au moins un critère pour «\u00a0{programme}\u00a0»."
ERROR_STYLE = "color: #b3261e;"
SCALE = 100.0  # scores and penalties are stored in [0, 1] and shown on 100
SPIN_WIDTH = 90


def french_locale() -> QLocale:
    """Decimal comma whatever the system locale: the app is French."""
    locale = QLocale(QLocale.Language.French, QLocale.Country.France)
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return locale


def _spin(parent: QWidget, name: str, maximum: float, step: float, decimals: int) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setObjectName(name)
    spin.setLocale(french_locale())
    spin.setRange(0.0, maximum)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    spin.setMaximumWidth(SPIN_WIDTH)
    return spin


class MatchSettingsDialog(QDialog):
    """Edits the `MatchingSettings` of one profile through its `MatchingService`."""

    def __init__(self, service: MatchingService, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.setObjectName("match_settings_dialog")
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(640)
        self._base = service.settings()  # keeps what the dialog does not show (max_extra_km)
        self.weights: dict[tuple[str, str], QDoubleSpinBox] = {}

        layout = QVBoxLayout(self)
        intro = QLabel(INTRO, self)
        intro.setObjectName("intro_label")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self._weights_box())
        layout.addWidget(self._proposals_box())

        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox(self)
        ok = self.buttons.addButton(QDialogButtonBox.StandardButton.Ok)
        ok.setText("OK")
        ok.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        self.reset_button = self.buttons.addButton(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button.setText(RESET_TEXT)
        self.reset_button.setToolTip("Remet les valeurs d’origine dans les champs\u00a0; rien n’est enregistré "
                                     "avant «\u00a0OK\u00a0».")
        self.reset_button.clicked.connect(self.restore_defaults)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.fill(self._base)

    # -- building -----------------------------------------------------------------------------

    def _weights_box(self) -> QGroupBox:
        box = QGroupBox("Poids des critères (de 0 à 10)", self)
        box.setObjectName("group_weights")
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(18)
        bold = QFont(box.font())
        bold.setBold(True)
        for column, programme in enumerate(PROGRAMMES, start=1):
            header = QLabel(PROGRAMME_LABELS[programme], box)
            header.setFont(bold)
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(header, 0, column)
            grid.setColumnStretch(column, 1)
        for row, criterion in enumerate(CRITERIA, start=1):
            caption = QLabel(criterion.label, box)
            grid.addWidget(caption, row, 0)
            for column, programme in enumerate(PROGRAMMES, start=1):
                spin = _spin(box, f"weight_{programme}_{criterion.code}", MAX_WEIGHT, 0.5, 1)
                spin.setAccessibleName(f"{criterion.label}, {PROGRAMME_LABELS[programme]}")
                grid.addWidget(spin, row, column, Qt.AlignmentFlag.AlignHCenter)
                self.weights[(programme, criterion.code)] = spin
        return box

    def _proposals_box(self) -> QGroupBox:
        box = QGroupBox("Propositions", self)
        box.setObjectName("group_proposals")
        form = QFormLayout(box)
        self.min_score = _spin(box, "min_score", SCALE, 1.0, 0)
        self.min_score.setToolTip("Sous ce score, une personne reste sans proposition plutôt que d’être mal "
                                  "accompagnée.")
        form.addRow("Score minimum d’une proposition (sur 100)", self.min_score)
        self.spread = QCheckBox("Répartir la charge entre mentors", box)
        self.spread.setObjectName("spread")
        self.spread.setToolTip("Préfère, à score proche, un mentor qui accompagne encore peu de personnes.")
        form.addRow(self.spread)
        self.spread_penalty = _spin(box, "spread_penalty", 0.5 * SCALE, 0.5, 1)
        self.spread_penalty.setToolTip("Points de score retirés par mentoré·e que le mentor suit déjà ou reçoit.")
        form.addRow("Pénalité par mentoré·e déjà suivi·e (sur 100)", self.spread_penalty)
        self.spread.toggled.connect(self.spread_penalty.setEnabled)
        return box

    # -- values -------------------------------------------------------------------------------

    def fill(self, settings: MatchingSettings) -> None:
        """Put `settings` in the fields (nothing is saved)."""
        for programme in PROGRAMMES:
            vector = settings.weight_vector(programme)
            for criterion, value in zip(CRITERIA, vector, strict=True):
                self.weights[(programme, criterion.code)].setValue(value)
        self.min_score.setValue(settings.min_score * SCALE)
        self.spread.setChecked(settings.spread)
        self.spread_penalty.setValue(settings.spread_penalty * SCALE)
        self.spread_penalty.setEnabled(settings.spread)

    def settings(self) -> MatchingSettings:
        """The settings as the fields show them, checked; raises `SettingsError` in French."""
        weights = {p: {c.code: self.weights[(p, c.code)].value() for c in CRITERIA} for p in PROGRAMMES}
        for programme, table in weights.items():  # every score would be 0: proposals would be arbitrary
            if not any(table.values()):
                raise SettingsError(MSG_ALL_ZERO.format(programme=PROGRAMME_LABELS[programme]))
        return replace(self._base, weights=weights, min_score=round(self.min_score.value() / SCALE, 4),
                       spread=self.spread.isChecked(),
                       spread_penalty=round(self.spread_penalty.value() / SCALE, 4)).checked()

    def restore_defaults(self) -> None:
        self._base = MatchingSettings()
        self.fill(self._base)
        self.error_label.hide()

    def accept(self) -> None:
        """Save and close; on a refused value say why and keep the dialog open, nothing saved."""
        try:
            self.service.save_settings(self.settings())
        except SettingsError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        super().accept()
