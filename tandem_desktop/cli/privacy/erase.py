"""`tandem privacy erase KIND ID` and `tandem privacy log`.

An erasure cannot be undone, so it is confirmed: typed « EFFACER » at a terminal, or `--yes` in a
script (without either, nothing is erased and the exit code is 2).
"""

from __future__ import annotations

import argparse
import sys

from ...domain.erasure import PERSON_KINDS, REASON_LABELS
from ...domain.kinds import KINDS
from ...settings import Settings
from ...texts.french import plural
from ..common import EXIT_OK, EXIT_USAGE, NBSP, interactive, opened
from ..output import print_json, table

CONFIRM_WORD = "EFFACER"


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    if not args.kind or not args.id:
        print(f"Indiquez la personne à effacer{NBSP}: tandem privacy erase mentee|mentor ID.", file=sys.stderr)
        return EXIT_USAGE
    if args.kind not in PERSON_KINDS:
        print(f"Seules les fiches de mentorés et de mentors peuvent être effacées (pas «{NBSP}{args.kind}{NBSP}»).",
              file=sys.stderr)
        return EXIT_USAGE
    if not args.yes and not _confirmed(args.kind):
        print(f"Rien n’a été effacé{NBSP}: confirmez avec --yes, ou en tapant {CONFIRM_WORD}.", file=sys.stderr)
        return EXIT_USAGE
    from ...services.records import Actor, Records

    with opened(settings) as profile:
        _changes, erased = Records(profile.store, Actor.of_store(profile.store)).erase(
            args.kind, args.id.strip().lower(), args.reason)
    if args.json:
        print_json({"kind": erased.kind, "id": erased.record_id, "marker": erased.marker,
                    "linked": {k: sorted(v) for k, v in erased.linked.items()},
                    "pending_dropped": erased.pending_dropped, "charters": erased.charters})
        return EXIT_OK
    label = KINDS[args.kind].label
    print(f"{label} {erased.record_id} effacé·e ({REASON_LABELS[args.reason].lower()}).")
    linked = erased.linked
    print(f"Nettoyés avec la fiche{NBSP}: {plural(len(linked.get('tandem', [])), 'tandem')}, "
          f"{plural(len(linked.get('meeting', [])), 'rencontre')}, "
          f"{plural(erased.charters, 'charte ou scan supprimé', 'chartes ou scans supprimés')}.")
    print("L’effacement partira au hub à la prochaine synchronisation, qui le fera appliquer sur chaque poste.")
    return EXIT_OK


def _confirmed(kind: str) -> bool:
    if not interactive():
        return False
    answer = input(f"Effacer définitivement les données personnelles de ce·tte {KINDS[kind].label.lower()}"
                   f"{NBSP}? Tapez {CONFIRM_WORD} pour confirmer{NBSP}: ")
    return answer.strip() == CONFIRM_WORD


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    from ...store.erasure import erasure_log

    with opened(settings) as profile, profile.store.reading() as conn:
        entries = erasure_log(conn)
    if args.json:
        print_json(entries)
        return EXIT_OK
    if not entries:
        print("Aucun effacement.")
        return EXIT_OK
    print(table([["DATE", "TYPE", "FICHE", "MOTIF", "PAR"]] +
                [[e["erased_on"], KINDS[e["kind"]].label if e["kind"] in KINDS else e["kind"], e["record_id"],
                  REASON_LABELS.get(e["reason"], e["reason"]),
                  "ce poste" if e["device_id"] else "un autre poste (reçu du hub)"] for e in entries]))
    return EXIT_OK
