"""A device the hub has revoked (a lost or replaced laptop): tell the counsellor, and either wipe the
local copy (asked twice) and close, or keep it read-only for now — sync has stopped either way."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from .display import NBSP
from .forms import RecordForm
from .section import SectionView, confirm
from .sync_texts import pending_text
from .tandem_detail import TandemDetail

TITLE = "Appareil révoqué"
MSG_REVOKED = (f"Cet appareil a été révoqué par le hub{NBSP}: il ne peut plus envoyer ni recevoir de "
               "modifications. Si ce poste a été perdu ou remplacé, effacez sa copie locale des fiches. "
               "Vous pouvez aussi la garder en lecture seule pour l’instant, le temps de voir avec "
               "l’administrateur du hub.")
MSG_READ_ONLY = f"Appareil révoqué{NBSP}: synchronisation arrêtée, fiches en lecture seule."


class RevokedDialog(QDialog):
    """Two ways out; `choice` is "wipe" or "keep" after exec()."""

    def __init__(self, pending: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("revoked_dialog")
        self.setWindowTitle(TITLE)
        self.choice = "keep"
        text = QLabel(MSG_REVOKED, self)
        text.setObjectName("revoked_text")
        text.setWordWrap(True)
        waiting = QLabel(f"{pending_text(pending)} sur ce poste (elles ne partiront plus vers le hub).", self)
        waiting.setObjectName("revoked_pending")
        waiting.setVisible(pending > 0)
        self.wipe_button = QPushButton("Effacer la copie locale…", self)
        self.wipe_button.setObjectName("wipe_button")
        self.keep_button = QPushButton("Garder en lecture seule pour l’instant", self)
        self.keep_button.setObjectName("keep_button")
        self.keep_button.setDefault(True)
        self.wipe_button.clicked.connect(lambda: self._choose("wipe"))
        self.keep_button.clicked.connect(lambda: self._choose("keep"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.wipe_button)
        buttons.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(waiting)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def confirm_wipe(parent: QWidget, pending: int) -> bool:
    """Asked twice, the safe answer (Non) being the default both times."""
    lost = f" Les {pending_text(pending).lower()} seront perdues." if pending > 0 else ""
    first = (f"Effacer la copie locale de ce poste{NBSP}? Toutes les fiches seront supprimées de cet "
             f"ordinateur.{lost}")
    second = f"Dernière confirmation{NBSP}: l’effacement est définitif. Effacer maintenant{NBSP}?"
    return confirm(parent, "Effacer la copie locale", first) and confirm(parent, "Effacer la copie locale", second)


class ReadOnlyGuard(QObject):
    """Keeps the window read-only: no new record, no save, no delete, no tandem step or meeting."""

    def __init__(self, sections: dict[str, SectionView], actions: list, show: Callable[[str], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.sections = sections
        for action in actions:
            action.setEnabled(False)
        for section in sections.values():
            page = section.list_page
            page.new_button.hide()
            page.delete_button.hide()
            page.edit_button.setText("Consulter")
            section.currentChanged.connect(lambda _i, s=section: self.lock(s))
            self.lock(section)
        show(MSG_READ_ONLY)

    @staticmethod
    def lock(section: SectionView) -> None:
        overlay = section.overlay
        if isinstance(overlay, RecordForm):
            if overlay.findChild(QLabel, "read_only_banner") is None:
                banner = QLabel(f"Lecture seule{NBSP}: cet appareil a été révoqué par le hub.", overlay)
                banner.setObjectName("read_only_banner")
                banner.setStyleSheet("background: #fdecea; color: #b3261e; padding: 6px 8px; font-weight: 600;")
                overlay.layout().insertWidget(0, banner)
                banner.show()  # added after the form was shown
            overlay.save_button.hide()
            overlay.cancel_button.setText("Fermer")
            for widget in overlay.binding.widgets.values():
                if hasattr(widget, "setReadOnly"):
                    widget.setReadOnly(True)
                else:
                    widget.setEnabled(False)
        elif isinstance(overlay, TandemDetail):
            overlay.moves_box.setEnabled(False)
            overlay.quick_add.setEnabled(False)


def warn_update(parent: QWidget, message: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Mise à jour nécessaire", message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
