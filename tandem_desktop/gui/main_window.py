"""The main window: navigation between sections, menus with the keyboard shortcuts, status bar.

The window owns the change broadcaster and the operations its views write through; what a write or
a pulled page changed reaches every view from there (no section reloads the others)."""

from __future__ import annotations

from pathlib import Path

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
from ..services import attachments
from ..services import history as history_service
from ..services.matching import MatchingService
from ..services.records import Actor, Records
from ..settings import Settings
from ..store.repository import Store
from . import window_state
from .changes import SYNC, ChangeBroadcaster, Changed
from .diagnostics import show_about
from .display import NBSP
from .lock import LockController
from .match_batch import MatchBatchView
from .match_settings import MatchSettingsDialog
from .operations import Operations
from .section import SectionView
from .status_message import StatusMessage
from .sync_controller import SyncController
from .sync_ui import SyncUi
from .tasks import TaskRunner

SECTIONS = ("mentor", "mentee", "tandem", "structure")
MSG_NOT_SAVED = f"Fiche non enregistrée{NBSP}: corrigez les champs signalés en rouge."


class MainWindow(QMainWindow):
    """Sections on the left, the current list (or form, or tandem page) on the right."""

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None, subtitle: str = "",
                 sync: SyncController | None = None, matching: MatchingService | None = None,
                 changes: ChangeBroadcaster | None = None, records: Records | None = None,
                 state_file: Path | None = None, lock_after_minutes: int = Settings.lock_after_minutes):
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.changes = changes if changes is not None else ChangeBroadcaster(self)
        self.ops = Operations(runner, self.changes)
        self._not_saved_shown = False  # the status bar says « Fiche non enregistrée… »
        self.sync = sync
        # one of each per open profile: every record write goes through `records`
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.matching = matching if matching is not None else MatchingService(store, records=self.records)
        self.setObjectName("main_window")
        # Subtitle first: window managers append the application's display name to a title that
        # does not already end with it, which doubled "Tandem Desktop" on X11.
        self.setWindowTitle(f"{subtitle} — Tandem Desktop" if subtitle else "Tandem Desktop")
        self.resize(1180, 740)

        self.navigation = QListWidget(self)
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(180)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setSpacing(2)
        self.navigation.setStyleSheet("QListWidget#navigation { font-size: 11pt; }"
                                      "QListWidget#navigation::item { padding: 6px 8px; }")
        self.stack = QStackedWidget(self)
        self.sections: dict[str, SectionView] = {}
        self.pages: list[QWidget] = []  # in navigation order: the sections, then e.g. « Conflits »
        for kind in SECTIONS:
            section = SectionView(store, runner, kind, self.stack, matching=self.matching, records=self.records,
                                  ops=self.ops)
            section.message.connect(self.show_message)
            section.save_failed.connect(self._save_failed)
            section.currentChanged.connect(self._follow_not_saved)
            section.list_page.count_changed.connect(self.update_count)
            if sync is not None and getattr(sync, "profile", None) is not None:
                section.hub_history = history_service.hub_fetch(sync.profile)  # « Historique… » asks the hub
                # a charter whose file has not arrived is fetched when opened (services/attachments.py)
                section.charter_files = attachments.files_fetcher(sync.profile, runner.database_lane)
            self.sections[kind] = section
            self.stack.addWidget(section)
            self.pages.append(section)
            self.navigation.addItem(KINDS[kind].plural)
        self.navigation.currentRowChanged.connect(self._navigate)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        # Idle time, Ctrl+L or the session's lock: every personal value behind an unlock screen (gui/lock.py).
        self.screen_lock = LockController(self, runner, Path(store.database_path).parent / "profile.json",
                                          lock_after_minutes)

        # A long message gives way (cut with « … », whole in its tooltip) to the sync and count parts.
        self.status_message = StatusMessage(self)
        self.status_count = QLabel(self)
        self.status_count.setObjectName("status_count")
        self.statusBar().addWidget(self.status_message, 1)
        self.statusBar().addPermanentWidget(self.status_count)
        self._build_actions()
        runner.error.connect(lambda exc: self.show_message(str(exc)))
        self.sync_ui: SyncUi | None = None
        if sync is not None:
            sync.setParent(self)  # its timers end with the window, on the GUI thread
            sync.data_pulled.connect(lambda kinds: self.changes.tell(kinds or SECTIONS, source=SYNC))
            self.sync_ui = SyncUi(self, sync)
        self.batch = MatchBatchView(self.matching, runner, self.stack, ops=self.ops)
        self.batch.message.connect(self.show_message)
        self.changes.changed.connect(self._changed)
        self.batch.count_changed.connect(self.update_count)
        self.batch_action = self.add_page("batch", "Proposition groupée", self.batch, "Ctrl+6")
        self.navigation.setCurrentRow(0)
        # Size, position, section and column widths of this profile's last session.
        self.state_file = state_file or window_state.state_path(store.database_path.parent)
        window_state.restore(self, self.state_file)

    # -- menus and shortcuts ------------------------------------------------------------------

    def _action(self, name: str, text: str, shortcut: QKeySequence | str, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def edit_match_settings(self) -> None:
        if MatchSettingsDialog(self.matching, self).exec():
            self.batch.load_settings()
            self.show_message("Réglages de la mise en relation enregistrés.")

    def _build_actions(self) -> None:
        self.new_action = self._action("action_new", "&Nouvelle fiche", QKeySequence.StandardKey.New, self.new_record)
        self.save_action = self._action("action_save", "&Enregistrer", QKeySequence.StandardKey.Save, self.save)
        self.close_action = self._action("action_escape", "&Fermer la fiche ou effacer la recherche",
                                         QKeySequence(Qt.Key.Key_Escape), self.escape)
        self.find_action = self._action("action_find", "&Rechercher", QKeySequence.StandardKey.Find, self.focus_search)
        self.suggest_action = self._action("action_suggest", "S&uggérer des mentors ou des mentorés", "Ctrl+M",
                                           self.suggest)
        self.match_settings_action = self._action("action_match_settings", "Réglages de la &mise en relation…",
                                                  "", self.edit_match_settings)
        self.verify_action = self._action("action_verify_charter", "&Vérifier une charte…", "", self.verify_charter)
        self.import_action = self._action("action_import", "&Importer un tableur…", "Ctrl+I", self.import_file)
        self.history_action = self._action("action_import_history", "Imports &précédents…", "",
                                           self.import_history)
        self.export_action = self._action("action_export", "&Exporter la liste affichée…", "Ctrl+E",
                                          self.export_list)
        self.lock_action = self._action("action_lock", "&Verrouiller", "Ctrl+L", self.screen_lock.lock)
        self.quit_action = self._action("action_quit", "&Quitter", "Ctrl+Q", self.close)
        self.file_menu = self.menuBar().addMenu("&Fichier")
        for action in (self.import_action, self.history_action, self.export_action):
            self.file_menu.addAction(action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.verify_action)
        self.retention_action = self._action("action_retention", "&Conservation des données…", "", self.retention)
        self.file_menu.addAction(self.retention_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.lock_action)
        self.file_menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("Fi&che")
        for action in (self.new_action, self.save_action, self.close_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.find_action)
        menu.addAction(self.suggest_action)
        menu.addAction(self.match_settings_action)
        self.view_menu = self.menuBar().addMenu("&Affichage")
        for number, kind in enumerate(SECTIONS, start=1):
            action = self._action(f"action_show_{kind}", KINDS[kind].plural, f"Ctrl+{number}",
                                  lambda _=False, k=kind: self.show_section(k))
            self.view_menu.addAction(action)
        self.about_action = self._action("action_about", "À &propos de Tandem Desktop", "", self.about)
        self.menuBar().addMenu("Ai&de").addAction(self.about_action)

    def about(self) -> None:
        show_about(self, Path(self.store.database_path).parent)

    def verify_charter(self) -> None:
        """« Vérifier une charte… »: any charter PDF, from this device or another."""
        from .charter_verify import VerifyDialog

        self.verify_dialog = VerifyDialog(self.section("tandem").charters, self.runner, self)
        self.verify_dialog.open()

    def import_file(self) -> None:
        """« Importer un tableur… »: the dialog starts on the kind of the section shown."""
        from .import_dialog import ImportDialog
        from .import_form import IMPORTABLE

        section = self.current_section()
        kind = section.kind if section is not None and section.kind in IMPORTABLE else "mentee"
        self.import_dialog = ImportDialog(self.store, self.records, self.runner, self.ops, kind, self)
        self.import_dialog.open()

    def import_history(self) -> None:
        from .import_history import ImportHistoryDialog

        self.history_dialog = ImportHistoryDialog(self.store, self.records, self.runner, self.ops, self)
        self.history_dialog.open()

    def retention(self) -> None:
        """« Conservation des données… »: who the retention rules make due, anonymised in bulk."""
        from .retention_dialog import RetentionDialog

        self.retention_dialog = RetentionDialog(self.store, self.records, self.ops, self)
        self.retention_dialog.open()
        self.retention_dialog.load()

    def export_list(self) -> None:
        section = self.current_section()
        if section is not None:
            section.list_page.export()

    def add_page(self, name: str, title: str, page: QWidget, shortcut: str) -> QAction:
        """Another navigation entry after the sections (its own count text goes to the status bar)."""
        self.stack.addWidget(page)
        self.pages.append(page)
        self.navigation.addItem(title)
        action = self._action(f"action_show_{name}", title, shortcut, lambda _=False, p=page: self.show_page(p))
        self.view_menu.addAction(action)
        return action

    def show_page(self, page: QWidget) -> None:
        self.navigation.setCurrentRow(self.pages.index(page))

    # -- sections -----------------------------------------------------------------------------

    def section(self, kind: str) -> SectionView:
        return self.sections[kind]

    def current_section(self) -> SectionView | None:
        current = self.stack.currentWidget()
        return current if isinstance(current, SectionView) else None

    def show_section(self, kind: str) -> None:
        self.navigation.setCurrentRow(SECTIONS.index(kind))

    def _navigate(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            page = self.pages[row]
            self.stack.setCurrentWidget(page)
            counted = page.list_page if isinstance(page, SectionView) else page
            self.status_count.setText(getattr(counted, "count_text", ""))

    def update_count(self, text: str) -> None:
        current = self.stack.currentWidget()
        if self.sender() in (current, getattr(current, "list_page", None)):
            self.status_count.setText(text)

    def _changed(self, change: Changed) -> None:
        """Every write and pulled page: the batch proposal goes stale, the status bar follows."""
        if change.origin is not self.batch and change.touches("mentor", "mentee", "tandem"):
            self.batch.mark_stale()
        self._follow_not_saved()

    def _save_failed(self) -> None:
        self.show_message(MSG_NOT_SAVED)
        self._not_saved_shown = True

    def _follow_not_saved(self, *_: object) -> None:
        """« Fiche non enregistrée… » stays only while a form still shows what to correct."""
        if not self._not_saved_shown:
            return
        shown = [s.form() for s in self.sections.values() if s.form() is not None and s.currentWidget() is s.form()]
        if not any(form.has_errors() for form in shown):
            self.show_message("")

    def show_message(self, text: str, detail: str = "") -> None:
        self._not_saved_shown = False
        self.status_message.show_text(text, detail)

    # -- shortcut targets ---------------------------------------------------------------------

    def new_record(self) -> None:
        section = self.current_section()
        if section is not None:
            section.new_record()

    def save(self) -> None:
        section = self.current_section()
        if section is None or section.form() is None:
            self.show_message("Aucune fiche ouverte à enregistrer.")
        else:
            section.save()  # a refusal comes back as save_failed (fields in red, or the database said no)

    def escape(self) -> None:
        section = self.current_section()
        if section is not None:
            section.escape()

    def suggest(self) -> None:
        """Ctrl+M: the review deck of the selected mentee or mentor."""
        section = self.current_section()
        if section is None or not section.suggest_selected():
            self.show_message(f"Sélectionnez un·e mentoré·e ou un mentor dans sa liste{NBSP}: Ctrl+M propose "
                              "alors les meilleures mises en relation.")

    def focus_search(self) -> None:
        section = self.current_section()
        if section is not None:
            section.focus_search()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Unsaved forms ask first; then background work ends before the profile is closed."""
        for kind, section in self.sections.items():
            if section.form() is not None and section.form().is_dirty():
                self.show_section(kind)
                if not section.close_overlay():
                    event.ignore()
                    return
        if self.sync is not None:
            self.sync.stop()  # a running sync stops at its next safe point
        self.batch.stop()  # so does a batch proposal
        window_state.save(self, self.state_file)
        self.runner.shutdown()
        event.accept()

