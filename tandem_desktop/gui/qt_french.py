"""Qt's own strings in French: the qtbase catalogue shipped with PySide6, and the few it lacks.

Why a supplement: qtbase_fr.qm (Qt 6) has no entry for some file-dialog labels (« &Look in: »,
« Files of &type: »), so the dialogs the app opens to pick or save a charter were half English.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

NBSP = "\u00a0"
# (context, source) -> French, for the strings qtbase_fr.qm leaves untranslated.
MISSING = {
    ("QFileDialog", "&Look in:"): f"&Voir dans{NBSP}:",
    ("QFileDialog", "Look in:"): f"Voir dans{NBSP}:",
    ("QFileDialog", "Files of &type:"): f"&Type de fichier{NBSP}:",
    ("QFileDialog", "Files of type:"): f"Type de fichier{NBSP}:",
    ("QFileDialog", "File &name:"): f"&Nom de fichier{NBSP}:",
}


class FrenchGaps(QTranslator):
    """Asked only after qtbase_fr (installed later, so asked first): None means « not mine »."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,  # type: ignore[override]
                  n: int = -1) -> str | None:
        return MISSING.get((context, source))

    def isEmpty(self) -> bool:
        return False


def install_qt_french(app: QCoreApplication, locale: QLocale) -> bool:
    """Install both catalogues once; True if qtbase_fr.qm was found in PySide6's translations folder."""
    if app.findChild(QTranslator, "qtbase_fr") is not None:
        return True
    gaps = FrenchGaps(app)
    gaps.setObjectName("qt_french_gaps")
    app.installTranslator(gaps)
    translator = QTranslator(app)
    translator.setObjectName("qtbase_fr")
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(locale, "qtbase", "_", folder):
        return False
    app.installTranslator(translator)
    return True
