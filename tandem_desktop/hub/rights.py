"""Who may change a shared record (PROTOCOL.md, "Scope" and "Who may change what").

Shared kinds are seen by every device, but not every device may change them: a structure's own
record and its counsellors belong to that structure (and the hub's administrators); the mentor pool
is edited by everyone, and a mentor is deleted only by the structure that brought it. Each rule
answers one operation with a French reason, or None when it is allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..texts.french import NBSP

if TYPE_CHECKING:
    from .merge import Actor, RecordState

NOT_OWNER = "not_owner"
DELETED = "deleted"

MSG_STRUCTURE = (f"Cette structure ne peut être modifiée que par ses propres postes ou un administrateur du hub"
                 f"{NBSP}: modification refusée.")
MSG_COUNSELLOR = (f"Ce conseiller relève d’une autre structure{NBSP}: seuls les postes de sa structure ou un "
                  "administrateur du hub peuvent le modifier.")
MSG_MOVE = (f"Seul un administrateur du hub peut rattacher un conseiller à une autre structure{NBSP}: "
            "modification refusée.")
MSG_ATTACH = (f"Structure d’une autre structure partenaire{NBSP}: un conseiller ne peut y être ajouté que par ses "
              "postes ou un administrateur du hub.")
MSG_MENTOR_DELETE = (f"Ce mentor a été inscrit par une autre structure{NBSP}: seule celle-ci ou un administrateur "
                     "du hub peut le supprimer. Vous pouvez le marquer inactif.")


def editor_of(record: RecordState) -> str | None:
    """The structure whose devices may change `record` (besides administrators).

    Records a device created carry the creating structure. The hub's own records (made by
    `tandem-hub add-structure` / `add-counsellor`) carry none: a structure then belongs to itself,
    a counsellor to the structure it is attached to.
    """
    if record.editor:
        return record.editor
    if record.kind == "structure":
        return record.record_id
    if record.kind == "counsellor":
        value = record.fields.get("structure_id")
        return value if isinstance(value, str) else None
    return None


def new_editor(actor: Actor, kind: str) -> str | None:
    """The editor a shared record gets when a device creates it: the device's structure."""
    return actor.structure_id if kind in ("structure", "counsellor", "mentor") else None


def refusal(actor: Actor, kind: str, record: RecordState | None, changes: dict[str, Any],
            records: dict[str, RecordState]) -> str | None:
    """Why `actor` may not apply `changes` to `record` (None: a record the hub does not know yet)."""
    if actor.is_admin:
        return None
    mine = actor.structure_id
    if kind == "structure":
        if record is not None and editor_of(record) != mine:
            return MSG_STRUCTURE
    elif kind == "counsellor":
        if record is not None:
            if editor_of(record) != mine:
                return MSG_COUNSELLOR
            if "structure_id" in changes and changes["structure_id"] != record.fields.get("structure_id"):
                return MSG_MOVE
        else:
            target = records.get(changes.get("structure_id") or "")
            if target is not None and target.kind == "structure" and editor_of(target) != mine:
                return MSG_ATTACH
    elif kind == "mentor" and record is not None and DELETED in changes:
        editor = editor_of(record)
        if editor is not None and editor != mine:
            return MSG_MENTOR_DELETE
    return None
