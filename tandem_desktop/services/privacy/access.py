"""The right of access (RGPD, article 15): everything this profile holds about one mentee or mentor,
in one step, as a JSON file, a readable French PDF and the signed charters and scans.

    dossier = collect(store, "mentee", mentee_id)       # reads only
    paths = write_dossier(dossier, Path("~/Bureau"))     # …/acces-mentee-1a2b3c4d/

`collect` gathers the sections (access_sections.SECTIONS: the record, consent, tandems, meetings,
charters, conflicts, imports, history, erasure); only mentees and mentors are persons, anything else
is refused in French. A deleted record is still held (a tombstone until the hub has it): it is
exported, with a notice. An erased person has only aggregates left: the dossier says so and gives them.

`write_dossier` writes into a hidden temporary folder beside the target, then renames it: a full
disk or a cut leaves no half dossier. It never writes into a folder that already holds something,
nor into the profile's own folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
from datetime import datetime
from pathlib import Path

from ...domain.erasure import ERASED, PERSON_KINDS, REASON_LABELS
from ...domain.errors import DomainError
from ...domain.kinds import KINDS
from ...store import access as reads
from ...store.errors import NotFound, StoreError
from ...store.files import ensure_private_dir, os_reason, write_private
from ...store.repository import Store
from ...texts.french import NBSP, quoted, short_date
from .access_context import Context
from .access_pdf import render_pdf
from .access_sections import SECTIONS
from .dossier import FORMAT, Dossier

__all__ = ["FORMAT", "AccessError", "Dossier", "collect", "write_dossier"]

JSON_NAME = "dossier.json"
PDF_NAME = "dossier.pdf"
LEFT_AFTER_ERASURE = ("le programme et le secteur, la structure, les étapes, dates et issue des tandems, les dates "
                      "et durées des rencontres, le département et la tranche d’âge")


class AccessError(DomainError):
    """A dossier that cannot be written where asked; the message names the folder."""


def _not_a_person(kind: str) -> StoreError:
    return StoreError(f"Le droit d’accès porte sur une personne{NBSP}: mentee (mentoré·e) ou mentor, pas "
                      f"{quoted(kind)}.")


def collect(store: Store, kind: str, record_id: str, *, now: datetime | None = None) -> Dossier:
    """Everything the profile holds about the person (reads only). StoreError for a kind that is not a
    person, NotFound for an unknown id."""
    if kind not in PERSON_KINDS:
        raise _not_a_person(kind)
    record_id = record_id.strip().lower()
    found = reads.record_with_versions(store, kind, record_id)
    if found is None:
        raise NotFound(KINDS[kind].label, record_id)
    record, versions = found
    erased = bool(record.get(ERASED))
    tandems = reads.tandems_of(store, record_id)
    ctx = Context(store, kind, record, versions, erased, tandems, reads.meetings_of(store, [t["id"] for t in tandems]))
    sections = tuple(section for build in SECTIONS if (section := build(ctx)) is not None)
    state = "erased" if erased else "deleted" if record.get("deleted") else "present"
    return Dossier(kind=kind, record_id=record_id, name=ctx.name, state=state,
                   extracted_at=(now or datetime.now()).astimezone(), sections=sections,
                   attachments=tuple(ctx.attachments), notice=_notice(record, state),
                   profile_dir=store.database_path.parent)


def _notice(record: dict, state: str) -> str | None:
    if state == "erased":
        mark = record[ERASED]
        reason = REASON_LABELS.get(mark.get("reason"), "").lower()
        return (f"Cette personne a été effacée le {short_date(mark.get('on'))}" + (f" ({reason})" if reason else "")
                + f"{NBSP}: il ne reste que des données qui ne disent pas qui elle est — {LEFT_AFTER_ERASURE} — "
                "et l’entrée du journal des effacements.")
    if state == "deleted":
        return (f"Cette fiche a été supprimée{NBSP}: elle n’apparaît plus dans les listes, mais ses données sont "
                "encore conservées sur ce poste. Pour qu’elles disparaissent, demandez son effacement "
                f"(tandem privacy erase{NBSP}; effacement définitif).")
    return None


def write_dossier(dossier: Dossier, out_dir: Path | str) -> list[Path]:
    """Write `<out_dir>/acces-<kind>-<short id>/` (dossier.json, dossier.pdf, the charters and scans);
    returns the files written. AccessError in French, naming the folder, when it cannot be done;
    then nothing is left behind."""
    out = Path(out_dir).expanduser().absolute()
    target = out / dossier.folder_name
    _refuse_unsafe(dossier, out, target)
    files = {JSON_NAME: _json_bytes(dossier), PDF_NAME: render_pdf(dossier)}
    files.update({a.name: a.data for a in dossier.attachments})
    created_out = not out.exists()
    tmp = out / f".{dossier.folder_name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    try:
        if created_out:
            ensure_private_dir(out, parents=True)
        ensure_private_dir(tmp)  # 0700: the folder names a person
        for name, data in files.items():
            write_private(tmp / name, data)
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty folder made beforehand: taken over (rename over it is POSIX only)
        os.rename(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if created_out:
            _remove_empty(out)
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise AccessError(_occupied(target)) from None
        raise AccessError(f"Impossible d’écrire le dossier d’accès dans {out}{NBSP}: {os_reason(exc)}. "
                          "Rien n’a été écrit.") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [target / name for name in files]


def _occupied(target: Path) -> str:
    return (f"Le dossier {target} existe déjà et n’est pas vide{NBSP}: rien n’a été écrit. Choisissez un autre "
            "dossier de destination, ou videz celui-ci.")


def _refuse_unsafe(dossier: Dossier, out: Path, target: Path) -> None:
    if out.exists() and not out.is_dir():
        raise AccessError(f"{out} n’est pas un dossier{NBSP}: indiquez le dossier où écrire l’export.")
    if dossier.profile_dir is not None:
        profile = dossier.profile_dir.resolve()
        where = out.resolve()
        if where == profile or where.is_relative_to(profile):
            raise AccessError(f"Le dossier {out} est celui du profil ({profile}){NBSP}: l’export n’y est pas écrit, "
                              "pour ne rien mêler aux fichiers du profil. Choisissez un autre dossier.")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AccessError(_occupied(target))


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _json_bytes(dossier: Dossier) -> bytes:
    return (json.dumps(dossier.as_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
