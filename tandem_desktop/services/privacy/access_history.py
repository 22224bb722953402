"""The history section of a right-of-access dossier: when each value of the record was written, the
record history (who changed which field, from what to what: store/history.py, where the profile has
it), and the writes of this device the hub has not taken yet, with the values they carry."""

from __future__ import annotations

from typing import Any

from ...domain.kinds import KINDS
from ...store import access as reads
from .access_context import Context, fact, moment_text, stamp_iso
from .dossier import Item, Row, Section

ACTIONS = {"create": "Création", "update": "Modification", "delete": "Suppression", "erase": "Effacement"}


def history_section(ctx: Context) -> Section:
    rows = [fact("created_at", "Fiche créée le", stamp_iso(ctx.record.get("created_hlc")),
                 moment_text(stamp_iso(ctx.record.get("created_hlc")))),
            fact("updated_at", "Dernière modification le", stamp_iso(ctx.record.get("updated_hlc")),
                 moment_text(stamp_iso(ctx.record.get("updated_hlc"))))]
    spec = KINDS[ctx.kind]
    for name in spec.field_names:
        if name in ctx.versions and ctx.record.get(name) not in (None, "", []):
            when = stamp_iso(ctx.versions[name])
            rows.append(fact(f"written:{name}", f"{spec.by_name[name].label} — écrit le", when, moment_text(when)))
    items = [Item("Dates d’écriture de la fiche", tuple(rows), ctx.person_id)]
    pending = reads.pending_writes(ctx.store, ctx.about())
    waiting = {w["op_id"] for w in pending}
    history = reads.history_of(ctx.store, ctx.about())
    # One timeline, in clock order (what the hub's history also follows for display).
    timeline = [(entry["hlc"], _change(ctx, entry, entry["id"] in waiting)) for entry in history]
    known = {entry["id"] for entry in history}
    for write in (w for w in pending if w["op_id"] not in known):
        kind = write["kind"]
        when = stamp_iso(write["hlc"])
        subject = KINDS[kind].label if kind in KINDS else kind
        head = [fact("action", "Opération", write["action"], ACTIONS.get(write["action"], write["action"])),
                fact("record", "Fiche", subject), fact("written_at", "Écrite le", when, moment_text(when))]
        timeline.append((write["hlc"], Item(f"Écriture en attente d’envoi au hub — {moment_text(when)}",
                         (*head, *_written(ctx, kind, ctx.current(write["record_id"]), write["changes"])))))
    items += [item for _, item in sorted(timeline, key=lambda pair: pair[0])]
    return Section("history", "Historique", tuple(items), "Aucun historique.",
                   "Quand chaque valeur a été écrite, et les écritures de ce poste que le hub n’a pas encore "
                   "reçues, avec les valeurs qu’elles portent quand ce ne sont plus celles de la fiche.")


def _change(ctx: Context, entry: dict[str, Any], waiting: bool) -> Item:
    """One row of the record history: who changed which field, from what to what."""
    kind, when = entry["kind"], stamp_iso(entry["hlc"])
    by = ctx.ref_title("counsellor", entry.get("counsellor_id")) if entry.get("counsellor_id") else ""
    rows = [fact("action", "Opération", entry["action"], ACTIONS.get(entry["action"], entry["action"])),
            fact("record", "Fiche", KINDS[kind].label if kind in KINDS else kind),
            fact("written_at", "Écrite le", when, moment_text(when)),
            fact("by", "Par", by or entry.get("who") or None, by or entry.get("who") or ""),
            fact("sent", "Transmise au hub", not waiting, "non, en attente d’envoi" if waiting else "oui")]
    spec = KINDS.get(kind)
    for name, pair in (entry["changes"] or {}).items():
        if spec is None or name not in spec.by_name or not isinstance(pair, list) or len(pair) != 2:
            continue
        before, after = (ctx.field_row(kind, name, value) for value in pair)
        rows.append(Row(f"change:{name}", spec.by_name[name].label, {"before": before.value, "after": after.value},
                        f"{before.text or '(vide)'} → {after.text or '(vide)'}"))
    if not entry["changes"]:
        rows.append(fact("values", "Valeurs", None, "effacées avec la personne"))
    return Item(f"{ACTIONS.get(entry['action'], entry['action'])} — {moment_text(when)}", tuple(rows), entry["id"])


def _written(ctx: Context, kind: str, current: dict[str, Any] | None, changes: dict[str, Any]) -> list[Row]:
    """The fields a pending write carries: named, and with their value where it is not the record's
    value today (what the write holds is then an earlier value, still kept until the hub takes it)."""
    if kind not in KINDS:
        return []
    spec = KINDS[kind]
    names = [name for name in changes if name in spec.by_name]
    rows = [fact("fields", "Champs écrits", names, ", ".join(spec.by_name[n].label for n in names))]
    for name in names:
        if current is None or current.get(name) != changes[name]:
            row = ctx.field_row(kind, name, changes[name])
            rows.append(Row(f"value:{name}", f"{row.label} — valeur écrite", row.value, row.text or "(vide)"))
    return rows
