"""Qt's own dialogs speak French: the translations PySide6 ships, plus the labels they lack."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QPushButton

from tandem_desktop.app import make_application

pytestmark = pytest.mark.gui
ENGLISH = re.compile(r"\b(Look|Files|type|File|name|Open|Save|Cancel|Yes|No)\b")


def test_app_start_loads_qtbase_fr_from_pyside6(qapp: QApplication) -> None:
    app = make_application()
    assert app.findChild(QTranslator, "qtbase_fr") is not None, "qtbase_fr.qm from PySide6's translations folder"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Annuler"


@pytest.mark.parametrize("mode", [QFileDialog.AcceptMode.AcceptOpen, QFileDialog.AcceptMode.AcceptSave])
def test_file_dialog_is_all_french(qtbot, qapp: QApplication, tmp_path, mode) -> None:  # type: ignore[no-untyped-def]
    make_application()
    dialog = QFileDialog(None, "Vérifier une charte", str(tmp_path), "Documents PDF (*.pdf)")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(mode)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    labels = sorted(label.text() for label in dialog.findChildren(QLabel) if label.text())
    assert labels == ["&Nom de fichier\u00a0:", "&Type de fichier\u00a0:", "&Voir dans\u00a0:"]
    buttons = {button.text() for button in dialog.findChildren(QPushButton) if button.isVisible()}
    assert buttons == {"Annuler", "&Ouvrir" if mode == QFileDialog.AcceptMode.AcceptOpen else "&Enregistrer"}
    assert not [t for t in labels + sorted(buttons) if ENGLISH.search(t)]
    dialog.grab().save(f"/tmp/shots/filedialog_{mode.name}.png")


def test_message_box_standard_buttons_are_french(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    make_application()
    box = QMessageBox(QMessageBox.Icon.Question, "Supprimer la fiche", "Supprimer\u00a0?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                      | QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Save)
    qtbot.addWidget(box)
    assert sorted(b.text() for b in box.buttons()) == ["&Non", "&Oui", "Annuler", "Enregistrer"]
