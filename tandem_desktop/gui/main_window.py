"""The main window: navigation between sections, menus with the keyboard shortcuts, status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from ..domain.kinds import KINDS
from ..store.repository import Store
from .display import NBSP
from .section import SectionView
from .tasks import TaskRunner

SECTIONS = ("mentor", "mentee", "tandem", "structure")


class MainWindow(QMainWindow):
    """Sections on the left, the current list (or form, or tandem page) on the right."""

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None, subtitle: str = ""):
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.setObjectName("main_window")
        self.setWindowTitle("Tandem Desktop" + (f" — {subtitle}" if subtitle else ""))
        self.resize(1180, 740)

        self.navigation = QListWidget(self)
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(170)
        self.navigation.setSpacing(2)
        self.navigation.setStyleSheet("QListWidget#navigation { font-size: 11pt; }"
                                      "QListWidget#navigation::item { padding: 6px 8px; }")
        self.stack = QStackedWidget(self)
        self.sections: dict[str, SectionView] = {}
        for kind in SECTIONS:
            section = SectionView(store, runner, kind, self.stack)
            section.message.connect(self.show_message)
            section.data_changed.connect(self._data_changed)
            section.list_page.count_changed.connect(self._update_count)
            self.sections[kind] = section
            self.stack.addWidget(section)
            self.navigation.addItem(KINDS[kind].plural)
        self.navigation.currentRowChanged.connect(self._navigate)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status_message = QLabel(self)
        self.status_message.setObjectName("status_message")
        self.status_count = QLabel(self)
        self.status_count.setObjectName("status_count")
        self.statusBar().addWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.status_count)
        self._build_actions()
        runner.error.connect(lambda exc: self.show_message(str(exc)))
        self.navigation.setCurrentRow(0)

    # -- menus and shortcuts ------------------------------------------------------------------

    def _action(self, name: str, text: str, shortcut: QKeySequence | str, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action("action_new", "&Nouvelle fiche", QKeySequence.StandardKey.New, self.new_record)
        self.save_action = self._action("action_save", "&Enregistrer", QKeySequence.StandardKey.Save, self.save)
        self.close_action = self._action("action_escape", "&Fermer la fiche ou effacer la recherche",
                                         QKeySequence(Qt.Key.Key_Escape), self.escape)
        self.find_action = self._action("action_find", "&Rechercher", QKeySequence.StandardKey.Find, self.focus_search)
        self.quit_action = self._action("action_quit", "&Quitter", "Ctrl+Q", self.close)
        menu = self.menuBar().addMenu("&Fichier")
        menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("Fi&che")
        for action in (self.new_action, self.save_action, self.close_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.find_action)
        menu = self.menuBar().addMenu("&Affichage")
        for number, kind in enumerate(SECTIONS, start=1):
            action = self._action(f"action_show_{kind}", KINDS[kind].plural, f"Ctrl+{number}",
                                  lambda _=False, k=kind: self.show_section(k))
            menu.addAction(action)

    # -- sections -----------------------------------------------------------------------------

    def section(self, kind: str) -> SectionView:
        return self.sections[kind]

    def current_section(self) -> SectionView:
        return self.stack.currentWidget()  # type: ignore[return-value]

    def show_section(self, kind: str) -> None:
        self.navigation.setCurrentRow(SECTIONS.index(kind))

    def _navigate(self, row: int) -> None:
        if 0 <= row < len(SECTIONS):
            section = self.sections[SECTIONS[row]]
            self.stack.setCurrentWidget(section)
            self.status_count.setText(section.list_page.count_text)

    def _update_count(self, text: str) -> None:
        if self.sender() is self.current_section().list_page:
            self.status_count.setText(text)

    def _data_changed(self, kind: str) -> None:
        """A write in one section may show elsewhere (a new tandem changes the mentee's status)."""
        origin = self.sender()
        for section in self.sections.values():
            if section is not origin:
                section.refresh()

    def show_message(self, text: str) -> None:
        self.status_message.setText(text)

    # -- shortcut targets ---------------------------------------------------------------------

    def new_record(self) -> None:
        self.current_section().new_record()

    def save(self) -> None:
        section = self.current_section()
        if section.form() is None:
            self.show_message("Aucune fiche ouverte à enregistrer.")
        elif not section.save():
            self.show_message(f"Fiche non enregistrée{NBSP}: corrigez les champs signalés en rouge.")

    def escape(self) -> None:
        self.current_section().escape()

    def focus_search(self) -> None:
        self.current_section().focus_search()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Unsaved forms ask first; then background work ends before the profile is closed."""
        for kind, section in self.sections.items():
            if section.form() is not None and section.form().is_dirty():
                self.show_section(kind)
                if not section.close_overlay():
                    event.ignore()
                    return
        self.runner.shutdown()
        event.accept()

