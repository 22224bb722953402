"""The tandem page: the pair, its step with the allowed moves, and its meetings as a timeline."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain import lifecycle
from ..domain.errors import ValidationError
from ..domain.kinds import KINDS, OUTCOMES
from ..services.records import Actor, Records
from ..services.tandems import allowed_moves, meetings_of
from ..store.errors import StoreError
from ..store.repository import Store
from ..texts.records import tandem_title
from .binding import FormBinding
from .display import NBSP, display_value, french_date, ref_label
from .tasks import TaskRunner
from .timeline import TimelineDelegate
from .uiload import child, load_ui

if TYPE_CHECKING:
    from ..services.charters import CharterService
    from .operations import Operations

TANDEM = KINDS["tandem"]
MEETING = KINDS["meeting"]
MEETING_ID_ROLE = Qt.ItemDataRole.UserRole


def describe_person(store: Store, kind: str, record_id: str | None) -> str:
    """« Hélène Dupont · Airbus · Marseille » — enough to recognise someone at a glance."""
    if not record_id:
        return "—"
    record = store.get(kind, record_id, include_deleted=True)
    spec = KINDS[kind]
    extra = [display_value(spec.by_name[n], record) for n in ("employer", "trade", "commune") if n in spec.by_name]
    return " · ".join([ref_label(store, kind, record_id), *[e for e in extra if e]])


class TandemDetail(QWidget):
    """Follow-up of one tandem; emits `changed` after each write so lists can refresh."""

    changed = Signal(str)  # a message for the status bar
    back_requested = Signal()
    edit_requested = Signal(str)

    def __init__(self, store: Store, tandem_id: str, parent: QWidget | None = None,
                 runner: TaskRunner | None = None, charters: CharterService | None = None,
                 records: Records | None = None, ops: Operations | None = None):
        super().__init__(parent)
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.ops = ops
        self.tandem_id = tandem_id
        self.setObjectName("tandem_detail")
        self.ui = load_ui("tandem_detail.ui", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ui)
        self.timeline = child(self.ui, QListWidget, "timeline")
        self.timeline.setItemDelegate(TimelineDelegate(self.timeline))
        self.timeline.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.moves_box = child(self.ui, QWidget, "moves_box")
        box = child(self.ui, QWidget, "quick_add_box")
        self.quick_add = load_ui("meeting_quick_add.ui", box)
        box.layout().addWidget(self.quick_add)
        self.meeting_form = FormBinding(self.quick_add, MEETING, store)
        self.add_button = child(self.quick_add, QPushButton, "add_button")
        self.add_button.clicked.connect(self.add_meeting)
        child(self.ui, QPushButton, "back_button").clicked.connect(self.back_requested)
        child(self.ui, QPushButton, "edit_button").clicked.connect(lambda: self.edit_requested.emit(self.tandem_id))
        self.charter_panel = None
        if runner is not None and charters is not None:  # the « Charte » group, under the objectives
            from .charter_panel import CharterPanel

            self.charter_panel = CharterPanel(store, charters, runner, tandem_id, self.ui)
            self.charter_panel.signed.connect(self._charter_signed)
            self.charter_panel.fetched.connect(self.reload)
            column = self.ui.findChild(QVBoxLayout, "left_column")
            column.insertWidget(column.count() - 1, self.charter_panel)
        self._reset_quick_add()
        self.reload()

    # -- display ------------------------------------------------------------------------------

    def reload(self) -> None:
        tandem = self.store.get("tandem", self.tandem_id)
        self.tandem = tandem
        mentee = ref_label(self.store, "mentee", tandem["mentee_id"])
        mentor = ref_label(self.store, "mentor", tandem["mentor_id"])
        self._set("title_label", f"Tandem {tandem_title(mentee, mentor)}")
        self._set("mentee_label", describe_person(self.store, "mentee", tandem["mentee_id"]))
        self._set("mentor_label", describe_person(self.store, "mentor", tandem["mentor_id"]))
        self._set("structure_label", ref_label(self.store, "structure", tandem["structure_id"]))
        self._set("counsellor_label", ref_label(self.store, "counsellor", tandem["counsellor_id"]))
        self._set("status_label", lifecycle.label(tandem["status"]))
        steps = [f"{TANDEM.by_name[lifecycle.STEP_DATE[s]].label} {french_date(tandem[lifecycle.STEP_DATE[s]])}"
                 for s in lifecycle.ORDER if tandem.get(lifecycle.STEP_DATE[s])]
        duration = tandem.get("duration_months")
        if duration:
            steps.append(f"Durée prévue{NBSP}: {duration}{NBSP}mois")
        self._set("steps_label", "\n".join(steps))
        outcome = child(self.ui, QLabel, "outcome_label")
        outcome.setText(f"Issue{NBSP}: {display_value(TANDEM.by_name['outcome'], tandem)}")
        outcome.setVisible(bool(tandem.get("outcome")))
        self._set("objectives_label", tandem.get("objectives") or "Aucun objectif saisi pour l’instant.")
        self._build_moves(tandem["status"])
        self._fill_timeline()
        if self.charter_panel is not None:
            self.charter_panel.reload(tandem["status"])

    def _set(self, name: str, text: str) -> None:
        child(self.ui, QLabel, name).setText(text)

    def _build_moves(self, status: str) -> None:
        layout = self.moves_box.layout()
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for code, label in allowed_moves(status):
            text = "Terminer le tandem…" if code == "ended" else f"Passer à «{NBSP}{label}{NBSP}»"
            button = QPushButton(text, self.moves_box)
            button.setObjectName(f"move_{code}")
            button.clicked.connect(partial(self.move, code))
            layout.addWidget(button)
        if not allowed_moves(status):
            layout.addWidget(QLabel("Ce tandem est terminé.", self.moves_box))
        layout.addStretch(1)

    def _fill_timeline(self) -> None:
        self.timeline.clear()
        meetings = meetings_of(self.store, self.tandem_id)
        for meeting in meetings:
            QListWidgetItem(self.timeline_text(meeting), self.timeline).setData(MEETING_ID_ROLE, meeting["id"])
        if not meetings:
            QListWidgetItem("Aucune rencontre pour l’instant.", self.timeline)

    @staticmethod
    def timeline_text(meeting: dict[str, Any]) -> str:
        head = [french_date(meeting["date"])]
        if meeting.get("mode"):
            head.append(display_value(MEETING.by_name["mode"], meeting))
        if meeting.get("duration_min"):
            head.append(f"{meeting['duration_min']}{NBSP}min")
        return " · ".join(head) + "\n" + (meeting.get("summary") or "(sans compte rendu)")

    def meeting_ids(self) -> list[str]:
        return [i for r in range(self.timeline.count()) if (i := self.timeline.item(r).data(MEETING_ID_ROLE))]

    # -- actions ------------------------------------------------------------------------------

    def move(self, status: str) -> bool:
        extra: dict[str, Any] = {}
        if status == "ended":
            labels = [label for _, label in OUTCOMES]
            chosen, ok = QInputDialog.getItem(
                self, "Terminer le tandem", f"Issue du tandem{NBSP}:", labels, 0, False
            )
            if not ok:
                return False
            extra["outcome"] = dict((label, code) for code, label in OUTCOMES)[chosen]
        records, tandem_id = self.records, self.tandem_id

        def moved(_: object) -> None:
            self.reload()
            self.changed.emit(f"Tandem passé à l’étape «{NBSP}{lifecycle.label(status)}{NBSP}».")

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, ValidationError | StoreError):
                self._unexpected(exc)
            errors = exc.errors.values() if isinstance(exc, ValidationError) else [str(exc)]
            QMessageBox.warning(self, "Étape inchangée", "\n".join(errors))

        return self._write(lambda: records.move_tandem(tandem_id, status, **extra), moved, refused)

    def _unexpected(self, exc: BaseException) -> None:
        if self.ops is not None:
            self.ops.runner.error.emit(exc)

    def _write(self, op: Any, done: Any, refused: Any) -> bool:
        """On the database lane with the window's operations (then broadcast); here without."""
        if self.ops is not None:
            self.ops.write(op, parent=self).success(done).failure(refused).run()
            return True
        try:
            result = op()
        except (ValidationError, StoreError) as exc:
            refused(exc)
            return False
        done(result)
        return True

    def _charter_signed(self, message: str) -> None:
        """Sealed on the CPU lane (or recorded on the database lane) by the charter service: told
        like any write, so the pending count and the lists follow."""
        if self.ops is not None:
            self.ops.broadcaster.tell({"charter": None, "tandem": {self.tandem_id}}, origin=self)
        self.reload()
        self.changed.emit(message)

    def add_meeting(self) -> bool:
        values = {k: v for k, v in self.meeting_form.values().items() if k != "tandem_id"}
        records, tandem_id = self.records, self.tandem_id

        def added(_: object) -> None:
            self.meeting_form.clear_errors()
            self._reset_quick_add()
            self._fill_timeline()
            self.changed.emit("Rencontre ajoutée.")

        def refused(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.meeting_form.show_errors(exc.errors)
            elif isinstance(exc, StoreError):
                self.meeting_form.show_form_error(str(exc))
            else:
                self._unexpected(exc)

        return self._write(lambda: records.add_meeting(tandem_id, values), added, refused)

    def _reset_quick_add(self) -> None:
        self.meeting_form.populate(MEETING.defaults(self.store.today()))

    def quick_add_dirty(self) -> bool:
        return bool(self.meeting_form.values().get("summary", "").strip())
