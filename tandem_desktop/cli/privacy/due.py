"""`tandem privacy due [--json] [--anonymise --yes]`: who is due under the retention rules
(services/privacy/retention.py), and anonymising them in bulk."""

from __future__ import annotations

import argparse
import sys

from ...settings import Settings
from ...texts.french import plural
from ..common import EXIT_OK, EXIT_USAGE, NBSP, interactive, opened
from ..output import print_json, table

CONFIRM_WORD = "ANONYMISER"


def cmd_due(args: argparse.Namespace, settings: Settings) -> int:
    from ...services.privacy import retention
    from ...services.records import Actor, Records

    with opened(settings) as profile:
        lines = retention.due(profile.store)
        if args.json and not args.anonymise:
            print_json([{"kind": line.due.kind, "id": line.due.record_id, "what": line.due.what,
                         "since": line.due.since.isoformat(), "reason": line.due.reason,
                         "last_contact": line.due.last_contact.isoformat() if line.due.last_contact else None}
                        for line in lines])
            return EXIT_OK
        to_anonymise = [line for line in lines if line.due.what == retention.ANONYMISE]
        if not args.anonymise:
            _print(lines)
            return EXIT_OK
        if not to_anonymise:
            print("Personne n’est à anonymiser aujourd’hui.")
            return EXIT_OK
        if not args.yes and not _confirmed(len(to_anonymise)):
            print(f"Rien n’a été anonymisé{NBSP}: confirmez avec --yes, ou en tapant {CONFIRM_WORD}.", file=sys.stderr)
            return EXIT_USAGE
        done = retention.anonymise(Records(profile.store, Actor.of_store(profile.store)), to_anonymise)
    if args.json:
        print_json({"anonymised": [{"kind": e.kind, "id": e.record_id} for e in done]})
    else:
        print(f"{plural(len(done), 'personne anonymisée', 'personnes anonymisées')} (durée de conservation "
              "dépassée). L’anonymisation partira au hub à la prochaine synchronisation.")
    return EXIT_OK


def _print(lines: list) -> None:  # type: ignore[type-arg]
    if not lines:
        print("Personne n’est à anonymiser ni d’attestation à renouveler aujourd’hui.")
        return
    print(table([["À FAIRE", "TYPE", "FICHE", "PERSONNE", "DEPUIS", "POURQUOI"]] + [
        [line.what, line.kind_label, line.due.record_id, line.title, line.due.since.strftime("%d/%m/%Y"),
         line.due.reason] for line in lines]))


def _confirmed(count: int) -> bool:
    if not interactive():
        return False
    answer = input(f"Anonymiser {plural(count, 'personne')} (définitif){NBSP}? Tapez {CONFIRM_WORD} pour "
                   f"confirmer{NBSP}: ")
    return answer.strip() == CONFIRM_WORD
