"""A section of the window (Mentors, Mentorés, Tandems, Structures): its list, and on top of it
the open form or tandem page. Delete confirmations and refused deletes are handled here.

Writes go through the window's operations (database lane, then a broadcast); the section refreshes
what a broadcast touches: its list (see ListPage.note) and the open tandem page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStackedWidget, QWidget

from ..domain.erasure import Erased
from ..domain.errors import DomainError, ValidationError
from ..domain.kinds import KINDS
from ..services.history import Fetch
from ..services.matching import MatchingService
from ..services.records import Actor, Records
from ..store.errors import StoreError
from ..store.repository import Store
from ..texts.french import plural
from .changes import ChangeBroadcaster, Changed
from .display import NBSP, record_title
from .erase_dialog import ask_erasure, erased_message
from .forms import RecordForm
from .history_dialog import HistoryDialog
from .list_page import ListPage
from .match_deck import MatchDeck
from .operations import Operations
from .tandem_detail import TandemDetail
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..services.charters import CharterService


class SectionView(QStackedWidget):
    """Index 0 is the list; a form or a tandem page is pushed on top and closed with Échap."""

    data_changed = Signal(str)  # a write made here (the broadcast tells every view what it changed)
    message = Signal(str)  # last action, for the status bar
    save_failed = Signal()  # the open form refused to save

    def __init__(self, store: Store, runner: TaskRunner, kind: str, parent: QWidget | None = None,
                 matching: MatchingService | None = None, charters: CharterService | None = None,
                 records: Records | None = None, ops: Operations | None = None):
        super().__init__(parent)
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.runner = runner
        self.ops = ops or Operations(runner, ChangeBroadcaster(self))
        self.ops.broadcaster.changed.connect(self._changed)
        self.matching = matching
        self._charters = charters
        self.kind = kind
        self.spec = KINDS[kind]
        self.hub_history: Fetch | None = None  # GET /v1/history, set by the window when it syncs
        self.charter_files: Callable[[str], Any] | None = None  # a charter's files from the hub, likewise
        self.setObjectName(f"section_{kind}")
        self.list_page = ListPage(store, runner, kind, self, broadcaster=self.ops.broadcaster)
        self.addWidget(self.list_page)
        self.overlay: QWidget | None = None
        page = self.list_page
        page.new_requested.connect(self.new_record)
        page.edit_requested.connect(self.edit_record)
        page.open_requested.connect(self.open_record)
        page.delete_requested.connect(self.delete_record)
        page.suggest_requested.connect(self.suggest)
        page.message.connect(self.message)
        if matching is None:
            page.suggest_button.hide()

    @property
    def charters(self) -> CharterService:
        """Made on first use: the charter machinery (ReportLab, pyHanko) costs half a second to import."""
        if self._charters is None:
            from ..services.charters import CharterService

            self._charters = CharterService(self.store, records=self.records)
        self._charters.fetch_files = self.charter_files
        return self._charters

    # -- what is open -------------------------------------------------------------------------

    def form(self) -> RecordForm | None:
        return self.overlay if isinstance(self.overlay, RecordForm) else None

    def detail(self) -> TandemDetail | None:
        return self.overlay if isinstance(self.overlay, TandemDetail) else None

    def deck(self) -> MatchDeck | None:
        return self.overlay if isinstance(self.overlay, MatchDeck) else None

    def _push(self, widget: QWidget) -> None:
        self._drop_overlay()
        self.overlay = widget
        self.addWidget(widget)
        self.setCurrentWidget(widget)

    def _drop_overlay(self) -> None:
        if self.overlay is not None:
            self.removeWidget(self.overlay)
            self.overlay.deleteLater()
            self.overlay = None
        self.setCurrentWidget(self.list_page)

    def close_overlay(self, ask: bool = True) -> bool:
        """Back to the list; asks first if a form holds unsaved changes. False if the user stays."""
        if self.overlay is None:
            return True
        dirty = (self.form() is not None and self.form().is_dirty()) or (
            self.detail() is not None and self.detail().quick_add_dirty())
        question = f"Les modifications en cours ne sont pas enregistrées. Les abandonner{NBSP}?"
        if ask and dirty and not confirm(self, "Modifications non enregistrées", question):
            return False
        back_to = self.detail().tandem_id if self.detail() is not None else None
        if self.deck() is not None:
            back_to = self.deck().subject_id
        self._drop_overlay()
        if back_to:
            self.list_page.select(back_to)
        self.list_page.table.setFocus()
        return True

    # -- actions ------------------------------------------------------------------------------

    def new_record(self) -> None:
        if self.close_overlay():
            self._open_form(None)

    def edit_record(self, record_id: str) -> None:
        if self.close_overlay():
            self._open_form(record_id)

    def open_record(self, record_id: str) -> None:
        """Tandems open on their follow-up page; other records open in their form."""
        if self.kind != "tandem":
            self.edit_record(record_id)
            return
        if not self.close_overlay():
            return
        detail = TandemDetail(self.store, record_id, self, runner=self.runner, charters=self.charters, ops=self.ops,
                              records=self.records)
        detail.back_requested.connect(self.close_overlay)
        detail.edit_requested.connect(self.edit_record)
        detail.changed.connect(self._detail_changed)
        self._push(detail)

    def suggest(self, record_id: str) -> None:
        """The review deck of a mentee (mentor cards) or a mentor (mentee cards)."""
        if self.matching is None or self.kind not in ("mentee", "mentor") or not self.close_overlay():
            return
        deck = MatchDeck(self.matching, self.runner, self.kind, record_id, self, ops=self.ops)
        deck.changed.connect(self._deck_changed)
        deck.close_requested.connect(self.close_overlay)
        self._push(deck)
        deck.setFocus()

    def suggest_selected(self) -> bool:
        """Ctrl+M: the deck of the selected row, if this section has one."""
        record_id = self.list_page.selected_id() if self.overlay is None else None
        if record_id is None or self.matching is None or self.kind not in ("mentee", "mentor"):
            return False
        self.suggest(record_id)
        return True

    def _deck_changed(self, message: str) -> None:
        self.message.emit(message)  # the write's broadcast has the list read its rows again
        self.data_changed.emit(self.kind)

    def _open_form(self, record_id: str | None) -> None:
        form = RecordForm(self.store, self.kind, record_id, self, records=self.records, ops=self.ops)
        form.saved.connect(self._saved)
        form.save_failed.connect(self.save_failed)
        form.cancel_requested.connect(self.close_overlay)
        form.erase_requested.connect(self.erase_record)
        form.history_requested.connect(self.show_history)
        form.access_requested.connect(self.export_access)
        self._push(form)
        form.focus_first_field()

    def save(self) -> bool:
        form = self.form()
        return form.save() if form is not None else False

    def _saved(self, record_id: str) -> None:
        record = self.store.get(self.kind, record_id)
        self.message.emit(f"Fiche «{NBSP}{record_title(self.store, self.kind, record)}{NBSP}» enregistrée.")
        self._drop_overlay()
        self.list_page.follow(record_id)  # the write's broadcast has the list read that row again
        self.data_changed.emit(self.kind)
        if self.kind == "tandem":  # a new or edited tandem opens on its follow-up page
            self.open_record(record_id)
        else:
            self.list_page.table.setFocus()

    def _detail_changed(self, message: str) -> None:
        self.message.emit(message)
        detail = self.detail()
        if detail is not None:  # the write's broadcast has the list read the tandem's row again
            self.list_page.follow(detail.tandem_id)
        self.data_changed.emit(self.kind)

    def delete_record(self, record_id: str) -> bool:
        """Ask, then delete on the database lane; a delete the domain refuses shows its message and
        changes nothing. True once the delete is on its way."""
        title = record_title(self.store, self.kind, self.store.get(self.kind, record_id))
        if not confirm(self, "Supprimer la fiche",
                       f"Supprimer la fiche «{NBSP}{title}{NBSP}»{NBSP}? Cette action ne peut pas être annulée."):
            return False
        records, kind = self.records, self.kind

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, ValidationError | StoreError):
                self.runner.error.emit(exc)
                return
            message = "\n".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
            QMessageBox.warning(self, "Suppression impossible", message)
            self.message.emit(f"Fiche «{NBSP}{title}{NBSP}» non supprimée.")

        def deleted(_: object) -> None:
            self.message.emit(f"Fiche «{NBSP}{title}{NBSP}» supprimée.")  # the broadcast drops its row
            self.data_changed.emit(kind)

        self.ops.write(lambda: records.delete(kind, record_id), parent=self).success(deleted).failure(refused).run()
        return True

    def show_history(self, record_id: str) -> HistoryDialog:
        """The record's history (gui/history_dialog.py): the hub's when the window can reach it."""
        title = record_title(self.store, self.kind, self.store.get(self.kind, record_id, include_deleted=True))
        dialog = HistoryDialog(self.store, self.runner, self.kind, record_id, title, self.hub_history, self)
        dialog.open()
        dialog.load()
        return dialog

    def export_access(self, record_id: str, folder: str | None = None) -> bool:
        """The right of access: everything held about the person, as JSON, PDF and their charters, in a
        folder the counsellor picks (services/privacy/access.py). True once on its way."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Dossier où écrire les données de la personne")
        if not folder:
            return False
        from ..services.privacy.access import collect, write_dossier  # ReportLab: loaded when first used

        store, kind = self.store, self.kind

        def done(files: list[Path]) -> None:
            where = files[0].parent if files else Path(folder)
            self.message.emit(f"Données de la personne écrites dans {where} ({plural(len(files), 'fichier')}).")

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, DomainError):
                self.runner.error.emit(exc)
                return
            QMessageBox.warning(self, "Export impossible", str(exc))

        self.ops.read(lambda: write_dossier(collect(store, kind, record_id), Path(folder)), done, refused)
        return True

    def erase_record(self, record_id: str) -> bool:
        """Ask twice (gui/erase_dialog.py), then erase on the database lane; the open form closes
        without asking about its edits (they were of the person erased). True once on its way."""
        title = record_title(self.store, self.kind, self.store.get(self.kind, record_id))
        reason = ask_erasure(self, self.kind, title)
        if reason is None:
            return False
        records, kind = self.records, self.kind

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, StoreError):
                self.runner.error.emit(exc)
                return
            QMessageBox.warning(self, "Effacement impossible", str(exc))

        def erased(result: tuple[object, Erased]) -> None:
            done = result[1]
            self._drop_overlay()
            self.message.emit(erased_message(done))
            self.data_changed.emit(kind)
            self.list_page.table.setFocus()

        self.ops.write(lambda: records.erase(kind, record_id, reason), parent=self,
                       changes=lambda result: result[0]).success(erased).failure(refused).run()
        return True

    def _changed(self, change: Changed) -> None:
        """A broadcast: the open tandem page reloads if it shows what changed (the list hears the
        broadcast itself, see ListPage.note)."""
        detail = self.detail()
        if detail is not None and change.origin is not detail and change.touches(
                "tandem", "meeting", "charter", "mentor", "mentee"):
            detail.reload()

    # -- keyboard -----------------------------------------------------------------------------

    def escape(self) -> None:
        """Échap: close what is open, else clear the search."""
        if self.overlay is not None:
            self.close_overlay()
        else:
            self.list_page.clear_search()

    def focus_search(self) -> None:
        if self.close_overlay():
            self.list_page.focus_search()

    def refresh(self) -> None:
        self.list_page.refresh()
        if self.detail() is not None:
            self.detail().reload()


def confirm(parent: QWidget, title: str, question: str) -> bool:
    """A yes/no question whose safe answer (No) is the default."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, title, question, buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
