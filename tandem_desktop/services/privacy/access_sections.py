"""The sections of a right-of-access dossier, one builder each, in the order the PDF shows them.

Each builder takes the `Context` (the person's record and what was read around it) and returns a
`Section`, or None when it does not apply to this kind. A new thing held about people (a consents
table, say) is one more builder in SECTIONS.

Other people appear by name only (access_context.py): no contact detail of anyone else is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...domain.erasure import ERASED, REASON_LABELS
from ...domain.files import EXTENSIONS, media_type
from ...domain.kinds import KINDS
from ...store import access as reads
from ...store import charters as charter_store
from ...store import conflicts as conflict_store
from ...store.imports import list_batches
from ...texts.french import NBSP, plural, quoted, short_date
from .access_context import Context, fact, moment_text, state_text
from .access_history import history_section
from .dossier import Attachment, Item, Row, Section

CONSENT_PREFIX = "consent_"  # every consent field of a person (given, date, scope, and those added since)
CONFLICT_TYPES = {"concurrent_edit": "Modification simultanée sur deux postes",
                  "edit_after_delete": "Modification d’une fiche supprimée", "refused": "Refusée par le hub",
                  "too_large": "Trop volumineuse pour le hub", "erased": "Refusée\u00a0: personne effacée"}
WITHHELD = "(non communiqué)"
SEALED, INKED = "signée à l’écran et scellée", "imprimée et signée à l’encre (texte de référence)"


def record_section(ctx: Context) -> Section:
    rows = [fact("id", "Identifiant", ctx.person_id), fact("state", "État de la fiche", state_text(ctx.record))]
    rows += ctx.rows_of(ctx.kind, ctx.record, filled_only=ctx.erased)
    mark = ctx.record.get(ERASED) or {}
    if mark.get("department"):
        rows.append(fact("department", "Département (conservé après l’effacement)", mark["department"]))
    if mark.get("age_band"):
        rows.append(fact("age_band", "Tranche d’âge (conservée après l’effacement)", mark["age_band"]))
    title = f"{KINDS[ctx.kind].label} — {ctx.name}"
    return Section("record", "La fiche", (Item(title, tuple(rows), ctx.person_id),), "Aucune fiche.",
                   "Chaque champ de la fiche, rempli ou non, tel que l’application le montre.")


def consents_section(ctx: Context) -> Section:
    # Today the consent is fields of the record; a `consents` table (one row per consent given or
    # withdrawn) would add its entries here as further items.
    names = [n for n in KINDS[ctx.kind].field_names if n.startswith(CONSENT_PREFIX)]
    rows = tuple(ctx.field_row(ctx.kind, name, ctx.record.get(name)) for name in names)
    return Section("consents", "Consentement", (Item("Consentement enregistré sur la fiche", rows),),
                   "Aucun consentement enregistré.")


def tandems_section(ctx: Context) -> Section:
    items = []
    for tandem in ctx.tandems:
        role = "mentoré·e" if tandem.get("mentee_id") == ctx.person_id else "mentor"
        rows = [fact("id", "Identifiant", tandem["id"]), fact("role", "Rôle de la personne", role),
                fact("state", "État", state_text(tandem))]
        rows += ctx.rows_of("tandem", tandem, filled_only=bool(tandem.get(ERASED)))
        items.append(Item(ctx.tandem_title(tandem), tuple(rows), tandem["id"]))
    return Section("tandems", "Tandems", tuple(items), "Aucun tandem.",
                   "Les binômes où la personne est mentorée ou mentore. L’autre personne n’y figure que par son "
                   "nom.")


def meetings_section(ctx: Context) -> Section:
    items = []
    for meeting in ctx.meetings:
        tandem = ctx.tandem_by_id(meeting.get("tandem_id"))
        tandem_title = ctx.tandem_title(tandem) if tandem else ""
        rows = [fact("id", "Identifiant", meeting["id"]), fact("tandem", "Tandem", tandem_title or None, tandem_title),
                fact("state", "État", state_text(meeting))]
        rows += ctx.rows_of("meeting", meeting, skip=("tandem_id",), filled_only=bool(meeting.get(ERASED)))
        items.append(Item(f"Rencontre du {short_date(meeting.get('date'))}", tuple(rows), meeting["id"]))
    return Section("meetings", "Rencontres et comptes rendus", tuple(items), "Aucune rencontre.")


def _scan_extension(data: bytes, name: str | None) -> str:
    known = EXTENSIONS.get(media_type(data) or "")
    if known:
        return known
    suffix = (name or "").rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"


def charters_section(ctx: Context) -> Section:
    items = []
    taken = {a.name for a in ctx.attachments}
    for tandem in ctx.tandems:
        for stored in charter_store.charters_of(ctx.store, tandem["id"]):
            base = f"charte-{stored.verification_code}"
            if f"{base}.pdf" in taken:
                base = f"{base}-{stored.id.replace('-', '')[-8:]}"
            pdf = charter_store.charter_pdf(ctx.store, stored.id)
            how = SEALED if stored.sealed else INKED
            files = [Attachment(f"{base}.pdf", pdf, f"Charte n°{NBSP}{stored.verification_code}, {how}")]
            scan = charter_store.charter_scan(ctx.store, stored.id) if stored.has_scan else None
            if scan is not None:
                data, original = scan
                files.append(Attachment(f"{base}-scan.{_scan_extension(data, original)}", data,
                                        f"Scan de la charte n°{NBSP}{stored.verification_code} signée à l’encre"))
            taken.update(f.name for f in files)
            ctx.attachments.extend(files)
            rows = (fact("tandem", "Tandem", ctx.tandem_title(tandem)),
                    fact("mode", "Signature", stored.mode, how),
                    fact("template", "Modèle", f"{stored.template_id} {stored.template_version}"),
                    fact("signed_on", "Signée le", stored.signed_on, short_date(stored.signed_on)),
                    fact("signed_place", "Lieu", stored.signed_place),
                    fact("sealed_by", "Scellée par", stored.sealed_by),
                    fact("stored_at", "Enregistrée le", stored.created_at, moment_text(stored.created_at)),
                    *(fact(f"file:{i}", "Fichier joint", f.name) for i, f in enumerate(files)))
            items.append(Item(f"Charte n°{NBSP}{stored.verification_code}", rows, stored.id))
    return Section("charters", "Chartes d’engagement et scans", tuple(items), "Aucune charte enregistrée.",
                   "Chaque charte est jointe telle qu’elle est conservée (un PDF scellé reste vérifiable).")


def _conflict_value(ctx: Context, item: dict[str, Any], value: Any) -> str:
    kind, name = item["kind"], item["field"]
    if name == "deleted":
        return "fiche supprimée" if value else "fiche présente"
    spec = KINDS.get(kind)
    if spec is None or value is None:
        return ""
    if name is None and isinstance(value, dict):  # a whole write
        rows = [ctx.field_row(kind, n, v) for n, v in value.items() if n in spec.by_name]
        return f"{NBSP}; ".join(f"{r.label}{NBSP}: {r.text}" for r in rows if r.text)
    return ctx.field_row(kind, name, value).text if name in spec.by_name else ""


def conflicts_section(ctx: Context) -> Section:
    about = ctx.about()
    items = []
    for item in conflict_store.conflicts(ctx.store, include_resolved=True):
        if item["record_id"] not in about:
            continue
        spec = KINDS.get(item["kind"])
        name = item["field"]
        label = ("Suppression" if name == "deleted" else spec.by_name[name].label
                 if spec and name in spec.by_name else name or "Plusieurs champs")
        kept, lost = _conflict_value(ctx, item, item["kept_value"]), _conflict_value(ctx, item, item["lost_value"])
        rows = (fact("type", "Type", item["conflict_type"], CONFLICT_TYPES.get(item["conflict_type"],
                                                                                 item["conflict_type"])),
                fact("record", "Fiche", spec.label if spec else item["kind"]), fact("field", "Champ", label),
                fact("kept", "Valeur retenue", kept or None, kept), fact("lost", "Valeur écartée", lost or None, lost),
                fact("message", "Motif", item.get("message")),
                fact("received_at", "Reçu le", item["received_at"], moment_text(item["received_at"])),
                fact("resolved", "Résolu", item["resolved"], "Oui" if item["resolved"] else "Non"))
        items.append(Item(f"Conflit — {label}", rows, item["id"]))
    return Section("conflicts", "Conflits de synchronisation", tuple(items), "Aucun conflit.",
                   "Les cas où deux postes ont écrit la même valeur, ou le hub a refusé une écriture\u00a0: "
                   "les deux valeurs sont conservées.")


def imports_section(ctx: Context) -> Section:
    items = []
    for batch in list_batches(ctx.store):
        created = ctx.person_id in batch.created.get(ctx.kind, [])
        merges = [entry for entry in batch.merged if len(entry) > 2 and entry[1] == ctx.person_id]
        if not created and not merges:
            continue
        rows = [fact("file_name", "Fichier importé", batch.file_name),
                fact("imported_at", "Importé le", batch.created_at, moment_text(batch.created_at)),
                fact("effect", "Effet", "created" if created else "merged",
                     "fiche créée par l’import" if created else "fiche complétée par l’import (fusion)")]
        for entry in merges:
            before = entry[2] if isinstance(entry[2], dict) else {}
            for name, value in before.items():
                if name in KINDS[ctx.kind].by_name:
                    row = ctx.field_row(ctx.kind, name, value)
                    rows.append(Row(f"before:{name}", f"{row.label} — valeur d’avant l’import", row.value,
                                    row.text or "(vide)"))
        rows.append(fact("undone_at", "Import annulé le", batch.undone_at, moment_text(batch.undone_at)))
        items.append(Item(f"Import {quoted(batch.file_name)}", tuple(rows), batch.id))
    return Section("imports", "Imports de tableurs", tuple(items), "Aucun import ne concerne cette fiche.",
                   "Les imports qui ont créé ou complété la fiche. Les valeurs d’avant une fusion sont gardées "
                   "pour pouvoir annuler l’import.")


def mentions_section(ctx: Context) -> Section | None:
    """A mentor named in mentees' records: how many, never which mentees."""
    if ctx.kind != "mentor":
        return None
    declined = excluded = 0
    for mentee in ctx.store.live_fields("mentee", ["declined_mentors", "excluded_mentors"]):
        declined += ctx.person_id in (mentee.get("declined_mentors") or ())
        excluded += ctx.person_id in (mentee.get("excluded_mentors") or ())
    rows = (fact("declined_by", "Écarté·e des propositions pour", declined, plural(declined, "mentoré·e", "mentorés")),
            fact("excluded_by", "Exclu·e pour un lien personnel déclaré par", excluded,
                 plural(excluded, "mentoré·e", "mentorés")))
    return Section("mentions", "Mentions dans les fiches d’autres personnes", (Item("Mentions", rows),),
                   "Aucune mention.", "Comptées seulement\u00a0: ces fiches sont celles d’autres personnes.")


def erasure_section(ctx: Context) -> Section:
    entry = reads.erasure_of(ctx.store, ctx.person_id)
    items: tuple[Item, ...] = ()
    if entry is not None:
        by = ctx.ref_title("counsellor", entry["counsellor_id"]) if entry.get("counsellor_id") else ""
        rows = (fact("erased_on", "Effacée le", entry["erased_on"], short_date(entry["erased_on"])),
                fact("reason", "Motif", entry["reason"], REASON_LABELS.get(entry["reason"], entry["reason"])),
                fact("where", "Effacement fait", "here" if entry["device_id"] else "hub",
                     "sur ce poste" if entry["device_id"] else "sur un autre poste (reçu du hub)"),
                fact("by", "Par", by or None, by),
                fact("linked", "Tandems et rencontres nettoyés avec la fiche", entry["linked"]),
                fact("logged_at", "Inscrit au journal le", entry["erased_at"], moment_text(entry["erased_at"])))
        items = (Item("Entrée du journal des effacements", rows, entry["record_id"]),)
    return Section("erasure", "Effacement", items, "Aucun effacement.")


SECTIONS: tuple[Callable[[Context], Section | None], ...] = (
    record_section, consents_section, tandems_section, meetings_section, charters_section, conflicts_section,
    imports_section, mentions_section, history_section, erasure_section,
)
