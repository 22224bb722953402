"""Writing an import plan, all of it or nothing, and undoing an import as a whole.

Everything goes through the one write door (`Records`) inside one store transaction: the records
created, the merges, and the batch row that lists them. A refusal, a failure half-way or « Arrêter »
rolls it all back. Undo deletes what the import created and puts back, field by field, what a
merge replaced, unless the field was changed again since (that change is kept, and said).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import DomainError, ValidationError
from ...domain.ids import Uuid7Factory
from ...domain.kinds import kind_spec
from ...store import imports as batches
from ...store.errors import NotFound
from ..records import Changes, Records
from .plan import ImportCancelled, ImportPlan, PlannedRow, Progress

CHUNK = 1000  # rows written between two looks at « Arrêter » and the progress bar
_CHANGED_SINCE = ("Des fiches ont changé depuis la vérification (une synchronisation, sans doute)\u00a0: rien n’a été "
                  "importé. Vérifiez à nouveau, puis importez.")
_ids = Uuid7Factory()
# Undo deletes the records that point at others first.
_UNDO_ORDER = ("meeting", "tandem", "mentee", "mentor", "counsellor", "structure")


class ImportRefused(DomainError):
    """Rows were refused: nothing was written (the plan's report says which, and why)."""


@dataclass(frozen=True)
class ImportResult:
    batch_id: str
    counts: dict[str, int]
    changes: Changes


@dataclass(frozen=True)
class UndoResult:
    deleted: int
    reverted: int
    kept: list[tuple[str, str]] = field(default_factory=list)  # (record id, field label) changed since
    changes: Changes = field(default_factory=Changes)
    kept_records: list[tuple[str, str]] = field(default_factory=list)  # (kind, id) created, then edited

    def message(self) -> str:
        text = f"Import annulé\u00a0: {self.deleted} fiche(s) supprimée(s), {self.reverted} fusion(s) défaite(s)."
        if self.kept_records:
            text += (f" {len(self.kept_records)} fiche(s) créée(s) par l’import puis modifiée(s) ont été gardées.")
        if self.kept:
            text += (f" {len(self.kept)} champ(s) modifié(s) depuis l’import ont été laissés tels quels.")
        return text


def apply_plan(records: Records, plan: ImportPlan, *, skip_refused: bool = False,
               progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> ImportResult:
    """Write the plan's decisions in one transaction; ImportRefused if a row is refused (unless
    `skip_refused`), ImportCancelled if `cancelled()` turns true: in both cases nothing is written."""
    refused = plan.refused()
    if refused and not skip_refused:
        raise ImportRefused(f"{len(refused)} ligne(s) refusée(s)\u00a0: rien n’a été importé. Corrigez le fichier "
                            "d’après le rapport, ou importez sans ces lignes.")
    rows = [r for r in plan.rows if not r.refused]
    creates = _with_file_merges(plan.kind, rows)
    merges = [r for r in rows if r.decision == "merge" and r.duplicate is not None and not r.duplicate.in_file]
    total, done = len(creates) + len(merges), 0
    changes = Changes()
    merged: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    store = records.store
    with store.transaction():
        for start in range(0, len(creates), CHUNK):
            _check(cancelled)
            try:
                changes |= records.create_many(plan.kind, creates[start:start + CHUNK])
            except (ValidationError, NotFound):  # the records it names changed since the check (a sync)
                raise ImportRefused(_CHANGED_SINCE) from None
            done += len(creates[start:start + CHUNK])
            if progress is not None:
                progress(done, total)
        for row in merges:
            if done % 100 == 0:
                _check(cancelled)
            target = str(row.duplicate.target)  # type: ignore[union-attr]
            try:
                current = store.get(plan.kind, target)
                written = merge_values(current, row)
                if written:
                    changes |= records.update(plan.kind, target, written)
                    merged.append((plan.kind, target, {n: current.get(n) for n in written}, written))
            except NotFound:
                raise ImportRefused(_CHANGED_SINCE) from None
            except ValidationError as exc:
                name, message = next(iter(exc.errors.items()))
                raise ImportRefused(f"Ligne {row.number}\u00a0: la fusion est refusée ({plan.label(name)}\u00a0: "
                                    f"{message.rstrip('.')}). Rien n’a été importé\u00a0: choisissez les champs à "
                                    "prendre, ou une autre décision.") from None
            done += 1
            if progress is not None and done % 100 == 0:
                progress(done, total)
        _check(cancelled)
        batch_id = _ids.new()
        counts = plan.counts()
        created = {kind: sorted(changes.created_ids(kind)) for kind in changes.created if changes.created_ids(kind)}
        batches.insert_batch(store, batch_id, plan.kind, plan.file_name, records.actor.counsellor_id, counts,
                             created, merged)
    if progress is not None:
        progress(total, total)
    return ImportResult(batch_id, counts, changes)


def merge_values(current: dict[str, Any], row: PlannedRow) -> dict[str, Any]:
    """What a merge writes into `current`: the file's values of the fields chosen (`row.take`), or,
    without a choice, of the fields the record leaves empty."""
    fields = row.given if row.take is None else row.take & row.given
    if row.take is None:
        fields = frozenset(n for n in fields if current.get(n) in (None, "", []))
    return {n: row.values[n] for n in sorted(fields) if n in row.values and current.get(n) != row.values[n]}


def _with_file_merges(kind: str, rows: list[PlannedRow]) -> list[dict[str, Any]]:
    """The values of the rows to create, a later row merged into the earlier row it duplicates; all
    naming the same fields (None for an empty one), so the store cleans them column by column."""
    by_number = {r.number: dict(r.values) for r in rows if r.decision in ("create", "import")}
    for row in rows:
        match = row.duplicate
        if row.decision == "merge" and match is not None and match.in_file and match.target in by_number:
            target = by_number[match.target]
            target.update(merge_values(target, row))
    names = [f.name for f in kind_spec(kind).fields if any(f.name in values for values in by_number.values())]
    return [{name: values.get(name) for name in names} for values in by_number.values()]


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise ImportCancelled


def undo_batch(records: Records, batch_id: str, *, progress: Progress | None = None) -> UndoResult:
    """Undo one import as a whole, in one transaction; a French DomainError if it cannot be."""
    store = records.store
    batch_id = batch_id.strip().lower()
    try:
        batch = batches.get_batch(store, batch_id)
    except NotFound:
        raise DomainError(f"Aucun import ne porte l’identifiant «\u00a0{batch_id[:40]}\u00a0».") from None
    if batch.undone_at:
        raise DomainError(f"Cet import a déjà été annulé (le {batch.undone_at[:10]}).")
    total = sum(len(ids) for ids in batch.created.values()) + len(batch.merged)
    done = deleted = reverted = 0
    kept: list[tuple[str, str]] = []
    kept_records: list[tuple[str, str]] = []
    changes = Changes()
    with store.transaction():
        for kind in sorted(batch.created, key=lambda k: _UNDO_ORDER.index(k) if k in _UNDO_ORDER else 99):
            ids = batch.created[kind]
            for start in range(0, len(ids), CHUNK):
                live = store.get_many(kind, ids[start:start + CHUNK])  # deleted since: nothing to undo
                edited = [rid for rid, r in live.items() if r.get("updated_hlc") != r.get("created_hlc")]
                kept_records += [(kind, rid) for rid in sorted(edited)]  # an edit made since is kept
                doomed = [rid for rid in ids[start:start + CHUNK] if rid in live and rid not in edited]
                try:
                    changes |= records.delete_many(kind, doomed)
                except ValidationError as exc:
                    reason = next(iter(exc.errors.values())).rstrip(".")
                    raise DomainError(
                        f"Annulation impossible\u00a0: une fiche «\u00a0{kind_spec(kind).label}\u00a0» de cet import "
                        f"est désormais utilisée ailleurs ({reason}). Rien n’a été annulé.") from None
                deleted += len(doomed)
                done += len(ids[start:start + CHUNK])
                if progress is not None:
                    progress(done, total)
        for kind, record_id, before, written in batch.merged:
            try:
                current = store.get(kind, record_id)
            except NotFound:
                continue
            back = {n: v for n, v in before.items() if current.get(n) == written.get(n)}
            spec = kind_spec(kind)
            kept += [(record_id, spec.by_name[n].label) for n in before if n not in back and n in spec.by_name]
            if back:
                changes |= records.update(kind, record_id, back)
                reverted += 1
        batches.mark_undone(store, batch_id)
    if progress is not None:
        progress(total, total)
    return UndoResult(deleted, reverted, kept, changes, kept_records)
