"""`tandem privacy export KIND ID --out DOSSIER [--json]`: the right of access (RGPD, article 15).

Everything the profile holds about one mentee or mentor, in one step: a folder
`DOSSIER/acces-KIND-XXXXXXXX/` with dossier.json, dossier.pdf and the signed charters and scans
(services/privacy/access.py). Exit 2 without --out; 1 for an unknown person, a kind that is not a
person, or a folder that cannot take the dossier (nothing is written then).
"""

from __future__ import annotations

import argparse
import sys

from ...domain.erasure import PERSON_KINDS
from ...settings import Settings
from ...texts.french import plural
from ..common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, NBSP, opened
from ..output import print_json


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    if not args.kind or not args.id:
        print(f"Indiquez la personne{NBSP}: tandem privacy export mentee|mentor ID --out DOSSIER.", file=sys.stderr)
        return EXIT_USAGE
    if not getattr(args, "out", None):
        print(f"Indiquez où écrire le dossier d’accès{NBSP}: --out DOSSIER.", file=sys.stderr)
        return EXIT_USAGE
    if args.kind not in PERSON_KINDS:
        print(f"Le droit d’accès porte sur une personne{NBSP}: {' ou '.join(PERSON_KINDS)}, pas "
              f"«{NBSP}{args.kind}{NBSP}».", file=sys.stderr)
        return EXIT_REFUSED
    from ...services.privacy.access import collect, write_dossier

    with opened(settings) as profile:
        dossier = collect(profile.store, args.kind, args.id)
    paths = write_dossier(dossier, args.out)
    folder = paths[0].parent
    if args.json:
        print_json({"folder": str(folder), "files": [str(p) for p in paths], "kind": dossier.kind,
                    "id": dossier.record_id, "state": dossier.state, "notice": dossier.notice,
                    "sections": {s.key: len(s.items) for s in dossier.sections}})
        return EXIT_OK
    if dossier.notice:
        print(dossier.notice)
    print(f"Dossier d’accès écrit ({dossier.name}){NBSP}: {folder}, {plural(len(paths), 'fichier')}{NBSP}:")
    for path in paths:
        print(f"  {path.name}")
    print(f"À remettre à la personne par un moyen sûr{NBSP}: ces fichiers contiennent ses données personnelles.")
    return EXIT_OK
