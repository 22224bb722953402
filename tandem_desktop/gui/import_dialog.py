"""« Importer un tableur… »: a structure's spreadsheet brought in, in three steps.

1. The file: what was detected (sheet, encoding, delimiter, header row) shown and correctable; the
   field each column feeds, guessed from its header or taken from a saved template, and the first
   rows as they will be stored.
2. The check: every row through the domain's rules; the refused ones with their French messages
   (a report to save), the duplicates side by side with the decision for each (the rules written
   above them).
3. The import: one transaction on the database lane, with progress and « Arrêter » (stopping
   writes nothing); then « Annuler cet import » takes the whole batch back.

The file is read on the CPU lane, the checks and the writes on the database lane: the window keeps
repainting whatever the size of the file.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from ..domain.kinds import kind_spec
from ..importing.table import Table
from ..services import imports
from ..services.export import record_titles
from ..services.records import Records
from ..store.queries import ListQuery
from ..store.repository import Store
from ..texts.french import NBSP, number, plural
from .heap import keep_out_of_sight
from .import_form import ImportForm
from .import_views import SHOWN
from .operations import Operations
from .tasks import Lane, TaskRunner

FILE_FILTER = "Tableurs (*.csv *.txt *.xlsx *.xlsm *.xls *.ods);;Tous les fichiers (*)"
PREVIEW_ROWS = 10
class _Progress(QObject):
    """Lives on the GUI thread: the worker emits, Qt queues the call to the dialog's slot."""

    changed = Signal(int, int)


class ImportDialog(ImportForm):
    imported = Signal(str)  # the batch id

    def __init__(self, store: Store, records: Records, runner: TaskRunner, ops: Operations, kind: str = "mentee",
                 parent: QWidget | None = None):
        super().__init__(kind, parent)
        self.store, self.records, self.runner, self.ops = store, records, runner, ops
        self.source: imports.Source | None = None
        self.table: Table | None = None
        self.plan: imports.ImportPlan | None = None
        self.result: imports.ImportResult | None = None
        self.titles: dict[str, str] = {}
        self._cancel: threading.Event | None = None
        self._busy = ""
        self._generation = 0
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)
        self._preview_timer = QTimer(self, singleShot=True, interval=200)
        self._preview_timer.timeout.connect(self.refresh_preview)
        self._connect()
        self.runner.submit(self._read_references, on_done=self._references_read)
        self._update()

    def _connect(self) -> None:
        for button, slot in ((self.choose_button, self.choose_file), (self.save_template_button, self.save_template),
                             (self.check_button, self.check), (self.save_report_button, self.save_report),
                             (self.back_button, lambda: self._go(0)), (self.import_button, self.start_import),
                             (self.stop_button, self.stop), (self.undo_button, self.undo),
                             (self.close_button, self.reject)):
            button.clicked.connect(slot)
        self.mapping_table.mapping_changed.connect(self._preview_timer.start)
        for combo in (self.sheet_combo, self.encoding_combo, self.delimiter_combo):
            combo.activated.connect(self.reload_file)
        self.header_spin.editingFinished.connect(self._header_edited)
        self.kind_combo.activated.connect(self._kind_chosen)
        self.structure_combo.activated.connect(self._load_templates)
        self.template_combo.activated.connect(self._template_chosen)
        self.duplicates_table.decision_changed.connect(self._decision_changed)
        self.duplicates_table.itemSelectionChanged.connect(self._show_pair)
        self.compare_table.take_changed.connect(self._take_changed)
        self.all_decisions.activated.connect(self._decide_all)
        self.skip_refused.toggled.connect(self._update)

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    # -- references and templates (database lane) -----------------------------------------------

    def _read_references(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        structures = self.store.find("structure", ListQuery(), 0, 1000)
        titles = {**record_titles(self.store, "structure"), **record_titles(self.store, "counsellor")}
        return [(s["name"], s["id"]) for s in structures], titles

    def _references_read(self, read: tuple[list[tuple[str, str]], dict[str, str]]) -> None:
        structures, self.titles = read
        for name, structure_id in structures:
            self.structure_combo.addItem(name, structure_id)
        self._load_templates()

    def _load_templates(self) -> None:
        kind, structure = self.kind, self.structure_combo.currentData()
        self.runner.submit(lambda: imports.list_templates(self.store, kind, structure or ""),
                           on_done=self._templates_read)

    def _templates_read(self, templates: dict[str, dict[str, str]]) -> None:
        self.templates = templates
        self.template_combo.clear()
        self.template_combo.addItem("Deviner d’après les en-têtes", None)
        for name in templates:
            self.template_combo.addItem(name, name)

    def _template_chosen(self) -> None:
        name = self.template_combo.currentData()
        if self.table is None:
            return
        columns = self.templates.get(name) if name else None
        mapping = imports.apply_template(columns, self.table.headers) if columns else \
            imports.guess_mapping(kind_spec(self.kind), self.table.headers)
        self.mapping_table.set_columns(kind_spec(self.kind), self.table, mapping)
        self.refresh_preview()

    def save_template(self) -> None:
        name, ok = QInputDialog.getText(self, "Enregistrer la correspondance",
                                        "Nom du modèle (par exemple «\u00a0Liste de la Mission locale\u00a0»)\u00a0:")
        if not ok or not name.strip():
            return
        try:
            name = imports.template_name(name)
        except imports.ImportFileError as exc:
            self._say(str(exc))
            return
        kind, structure, columns = self.kind, self.structure_combo.currentData(), self.mapping_table.mapping()
        self.runner.submit(lambda: imports.save_template(self.store, structure, kind, name, columns),
                           on_done=lambda _: (self._say(f"Modèle «{NBSP}{name}{NBSP}» enregistré."),
                                              self._load_templates()),
                           on_error=self._failed)

    # -- the file (CPU lane) --------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choisir le tableur à importer", str(Path.home()), FILE_FILTER)
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path, **options: Any) -> None:
        """Read `path` (sheet, encoding, delimiter, header_row: the counsellor's corrections)."""
        self._generation += 1
        generation = self._generation
        self.path, self.plan, self.result = path, None, None
        self.file_label.setText(path.name)
        self._busy = "read"
        self._say("Lecture du fichier…")
        self._update()
        self.runner.submit(lambda: imports.read_table(path, **options),
                           on_done=lambda read: self._file_read(generation, read),
                           on_error=lambda exc: self._generation == generation and self._failed(exc), lane=Lane.CPU)

    def reload_file(self) -> None:
        if self.source is None or self._busy:
            return
        options: dict[str, Any] = {"header_row": self.header_spin.value()}
        if self.source.format == "csv":
            options.update(encoding=self.encoding_combo.currentData(), delimiter=self.delimiter_combo.currentData())
        else:
            options["sheet"] = self.sheet_combo.currentText()
        self.load_file(self.path, **options)

    def _header_edited(self) -> None:
        """The spin box says it was edited whenever it loses the focus: read again only on a change."""
        if self.table is not None and self.header_spin.value() != self.table.header_row:
            self.reload_file()

    def _file_read(self, generation: int, read: tuple[imports.Source, Table]) -> None:
        if generation != self._generation:
            return
        self._busy = ""
        self.source, self.table = read
        source = self.source
        for combo, value in ((self.encoding_combo, source.encoding), (self.delimiter_combo, source.delimiter)):
            if value is not None and combo.findData(value) < 0:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(combo.findData(value), 0))
        self.sheet_combo.clear()
        self.sheet_combo.addItems(list(source.sheets))
        self.sheet_combo.setCurrentText(source.sheet or "")
        self.header_spin.setValue(self.table.header_row)
        self._template_chosen()
        rows = plural(len(self.table.rows), "ligne")
        self.notes_label.setText(" ".join((f"{rows} à importer sous les en-têtes de la ligne "
                                           f"{self.table.header_row}.", *source.notes)))
        self._say("Vérifiez le champ de chaque colonne, puis «\u00a0Vérifier toutes les lignes\u00a0».")
        self._update()

    def _kind_chosen(self) -> None:
        self._load_templates()
        if self.table is not None:
            self.mapping_table.set_columns(kind_spec(self.kind), self.table,
                                           imports.guess_mapping(kind_spec(self.kind), self.table.headers))
            self.refresh_preview()

    # -- preview and check (database lane) -------------------------------------------------------

    def _prepare(self, table: Table, **options: Any) -> imports.ImportPlan:
        assert self.source is not None
        return imports.prepare(self.store, self.kind, table, self.mapping_table.mapping(),
                               file_name=self.source.file_name, structure_id=self.structure_combo.currentData(),
                               **options)

    def refresh_preview(self) -> None:
        if self.table is None:
            return
        head = Table(self.table.header_row, self.table.headers, self.table.rows[:PREVIEW_ROWS])
        generation = self._generation
        self.runner.submit(lambda: (self._prepare(head), head),
                           on_done=lambda done: generation == self._generation and self.preview_table.show_rows(*done),
                           on_error=self._failed)

    def check(self) -> None:
        if self.table is None or self._busy:
            return
        missing = imports.missing_required(kind_spec(self.kind), self.mapping_table.mapping())
        if missing:
            self._say(f"Aucune colonne n’alimente{NBSP}: {', '.join(missing)}. Choisissez-la dans la liste.")
            return
        table, cancel = self.table, self._start("check", "Vérification des lignes…")
        report = self._progress.changed.emit
        self.runner.submit(lambda: self._prepare(table, progress=report, cancelled=cancel.is_set),
                           on_done=self._checked, on_error=self._failed)

    def _checked(self, plan: imports.ImportPlan) -> None:
        self._busy = ""
        if self._cancel is not None and self._cancel.is_set():
            self._say("Vérification arrêtée.")
            self._update()
            return
        self.plan = plan
        keep_out_of_sight()
        self.report_table.show_plan(plan)
        self.duplicates_table.show_plan(plan)
        self.compare_table.setRowCount(0)
        self._show_counts()
        refused = len(plan.refused())
        if refused:
            self._say(f"{plural(refused, 'ligne refusée', 'lignes refusées')}{NBSP}: corrigez le fichier d’après le "
                      "rapport, ou cochez «\u00a0Importer sans les lignes refusées\u00a0».")
        elif plan.duplicates():
            self._say("Choisissez la décision de chaque doublon, puis «\u00a0Importer\u00a0».")
        else:
            self._say("Tout est prêt\u00a0: «\u00a0Importer\u00a0» écrit toutes les lignes en une fois.")
        self._go(1)
        if plan.duplicates():
            self.duplicates_table.selectRow(0)

    def _show_counts(self) -> None:
        assert self.plan is not None
        counts = self.plan.counts()
        self.summary_label.setText(
            f"{plural(len(self.plan.rows), 'ligne lue', 'lignes lues')}\u00a0: {number(counts['created'])} à créer, "
            f"{number(counts['merged'])} à fusionner, {number(counts['skipped'])} ignorée(s), "
            f"{number(counts['refused'])} refusée(s). {plural(len(self.plan.duplicates()), 'doublon')}"
            + (f" (les {number(SHOWN)} premiers affichés)." if len(self.plan.duplicates()) > SHOWN else "."))
        self._update()

    def _show_pair(self) -> None:
        number_ = self.duplicates_table.selected_number()
        if self.plan is None or number_ is None:
            return
        row = self.plan.row(number_)
        match = row.duplicate
        assert match is not None
        other = self.plan.row(match.target).values if match.in_file else self.plan.existing.get(str(match.target), {})
        self.compare_table.show_pair(self.plan, row, other, row.decision == "merge", self.titles)

    def _decision_changed(self, number_: int) -> None:
        assert self.plan is not None
        self.plan.decide(number_, self.duplicates_table.decision(number_))
        self._show_counts()
        if self.duplicates_table.selected_number() == number_:
            self._show_pair()
        else:
            self.duplicates_table.selectRow(self.duplicates_table.position(number_))

    def _decide_all(self) -> None:
        """One decision for every duplicate, shown or not (a row that can only be skipped stays so)."""
        decision = self.all_decisions.currentData()
        self.all_decisions.setCurrentIndex(0)
        if self.plan is None or decision is None:
            return
        for row in self.plan.duplicates():
            self.plan.decide(row.number, "skip" if row.skip_only else decision)
        self.duplicates_table.show_plan(self.plan)
        self._show_counts()
        if self.plan.duplicates():
            self.duplicates_table.selectRow(0)

    def _take_changed(self) -> None:
        number_ = self.duplicates_table.selected_number()
        if self.plan is not None and number_ is not None and self.plan.row(number_).decision == "merge":
            self.plan.decide(number_, "merge", take=self.compare_table.taken())

    def save_report(self) -> None:
        if self.plan is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Enregistrer le rapport", str(Path.home() / "rapport-import.xlsx"),
                                              "Classeur (*.xlsx);;CSV (*.csv)")
        if path:
            plan = self.plan
            self.runner.submit(lambda: imports.save_report(plan, path), on_error=self._failed, lane=Lane.CPU,
                               on_done=lambda saved: self._say(f"Rapport enregistré{NBSP}: {saved}"))

    # -- import and undo (database lane, through the records door) ------------------------------

    def start_import(self) -> None:
        if self.plan is None or self._busy:
            return
        plan, skip, cancel = self.plan, self.skip_refused.isChecked(), self._start("import", "Import en cours…")
        report = self._progress.changed.emit
        self.ops.write(lambda: imports.apply_plan(self.records, plan, skip_refused=skip, progress=report,
                                                  cancelled=cancel.is_set),
                       parent=self, changes=lambda result: result.changes) \
            .success(self._imported).failure(self._failed).run()

    def _imported(self, result: imports.ImportResult) -> None:
        self._busy, self.result = "", result
        counts = result.counts
        self._say(f"Import terminé{NBSP}: {number(counts['created'])} fiche(s) créée(s), "
                  f"{number(counts['merged'])} fusionnée(s), {number(counts['skipped'])} ignorée(s). "
                  "«\u00a0Annuler cet import\u00a0» le reprend en entier.")
        self.progress.setValue(self.progress.maximum())
        self.imported.emit(result.batch_id)
        self._update()

    def undo(self) -> None:
        if self.result is None or self._busy:
            return
        batch_id, self._busy = self.result.batch_id, "undo"
        self._say("Annulation de l’import…")
        self._update()
        self.ops.write(lambda: imports.undo_batch(self.records, batch_id), parent=self,
                       changes=lambda undone: undone.changes).success(self._undone).failure(self._failed).run()

    def _undone(self, undone: imports.UndoResult) -> None:
        self._busy, self.result = "", None
        self._say(undone.message())
        self._update()

    # -- state ------------------------------------------------------------------------------------

    def _start(self, busy: str, text: str) -> threading.Event:
        self._cancel = threading.Event()
        self._busy = busy
        self.progress.setRange(0, 0)
        self._say(text)
        self._update()
        return self._cancel

    def stop(self) -> None:
        if self._busy in ("check", "import") and self._cancel is not None:
            self._cancel.set()
            self._say("Arrêt en cours…")
            self._update()

    def _on_progress(self, done: int, total: int) -> None:
        if self._busy in ("check", "import") and not (self._cancel and self._cancel.is_set()):
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

    def _failed(self, exc: BaseException) -> None:
        self._busy = ""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        if isinstance(exc, imports.ImportCancelled):
            self._say("Import arrêté\u00a0: rien n’a été écrit.")
        elif isinstance(exc, imports.DomainError | OSError):
            self._say(str(exc) if isinstance(exc, imports.DomainError) else
                      f"Opération impossible{NBSP}: {exc.strerror or exc}. Rien n’a été écrit.")
        else:
            self._say("L’opération a échoué. Rien n’a été écrit.")
        self._update()

    def _go(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self._update()

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    def after_unlock(self) -> None:
        """The lock showed again what it hid; an import that ended behind it hid « Arrêter » meanwhile."""
        self._update()

    def _update(self) -> None:
        page, busy, plan = self.pages.currentIndex(), bool(self._busy), self.plan
        done = self.result is not None
        for widget in (self.choose_button, self.kind_combo, self.structure_combo, self.template_combo,
                       self.save_template_button, self.mapping_table):
            widget.setEnabled(not busy)
        source = self.source
        self.sheet_combo.setEnabled(not busy and source is not None and source.format != "csv")
        for widget in (self.encoding_combo, self.delimiter_combo):
            widget.setEnabled(not busy and source is not None and source.format == "csv")
        self.check_button.setVisible(page == 0)
        self.check_button.setEnabled(not busy and self.table is not None)
        self.back_button.setVisible(page == 1)
        self.back_button.setEnabled(not busy and not done)
        self.import_button.setVisible(page == 1)
        refused = plan is not None and bool(plan.refused())
        self.import_button.setEnabled(not busy and not done and plan is not None
                                      and (not refused or self.skip_refused.isChecked()))
        self.skip_refused.setVisible(refused)
        self.stop_button.setVisible(self._busy in ("check", "import"))
        self.stop_button.setEnabled(not (self._cancel and self._cancel.is_set()))
        self.undo_button.setVisible(done)
        self.undo_button.setEnabled(not busy)
        self.duplicates_table.setEnabled(not busy and not done)
        self.all_decisions.setVisible(plan is not None and bool(plan.duplicates()))
        self.all_decisions.setEnabled(not busy and not done)
        self.compare_table.setEnabled(not busy and not done)
