"""`tandem privacy ACTION …`: what the law asks of the personal data the profile keeps.

- `tandem privacy erase KIND ID [--reason R] [--yes]`: erase a mentee or mentor (erase.py);
- `tandem privacy export KIND ID --out DIR`: everything held about them (export.py, the right of access);
- `tandem privacy due [--json] [--anonymise --yes]`: who the retention rules make due (due.py);
- `tandem privacy log [--json]`: the erasures this device made or received.

Registered by cli/commands.py like the other command modules; the work is in services/privacy/ and
store/erasure.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ...domain.erasure import PERSON_KINDS, REASONS
from ...settings import Settings
from ..common import EXIT_USAGE, NBSP
from . import due, erase, export

ACTIONS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "erase": erase.cmd_erase,
    "log": erase.cmd_log,
    "export": export.cmd_export,
    "due": due.cmd_due,
}


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sub = command("privacy", "données personnelles (RGPD) : effacer une personne, exporter ses données, "
                  "qui est à anonymiser, journal des effacements")
    sub.add_argument("action", metavar="ACTION", help=f"{', '.join(ACTIONS)}")
    sub.add_argument("kind", nargs="?", metavar="TYPE", help=f"type de fiche ({', '.join(PERSON_KINDS)})")
    sub.add_argument("id", nargs="?", metavar="ID", help="identifiant de la fiche")
    sub.add_argument("--reason", choices=[code for code, _ in REASONS], default="request",
                     help="motif : " + ", ".join(f"{code} ({label.lower()})" for code, label in REASONS))
    sub.add_argument("--yes", action="store_true", help="confirmer sans question (scripts)")
    sub.add_argument("--out", metavar="DOSSIER", help="export : dossier où écrire le dossier d’accès")
    sub.add_argument("--anonymise", action="store_true",
                     help="due : anonymiser toutes les personnes dont la durée de conservation est dépassée")
    sub.add_argument("--json", action="store_true", help="sortie JSON")


def cmd_privacy(args: argparse.Namespace, settings: Settings) -> int:
    action = ACTIONS.get(args.action)
    if action is None:
        print(f"Action inconnue{NBSP}: «{NBSP}{args.action}{NBSP}». Possibles{NBSP}: {', '.join(ACTIONS)}.",
              file=sys.stderr)
        return EXIT_USAGE
    return action(args, settings)


COMMANDS = {"privacy": cmd_privacy}
