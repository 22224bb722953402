"""`tandem match suggest|propose|accept|settings`: on-device matching from the command line.

Registered by cli.py; the work is done in services/matching.py. `propose` writes nothing: its pairs
become tandems only through `tandem match accept` (or the app's batch view).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..matching.criteria import CRITERION_CODES, PROGRAMMES, SettingsError
from ..settings import Settings
from ..store.files import write_private
from .common import EXIT_OK, EXIT_REFUSED, NBSP, opened
from .output import print_json, table

if TYPE_CHECKING:  # numpy and scipy: imported by `tandem match` only
    from ..services.matching import MatchingService


def _score(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"score invalide{NBSP}: {text}") from None
    value = value / 100 if value > 1 else value
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"le score doit être compris entre 0 et 100{NBSP}: {text}")
    return value


def _top(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"nombre entre 1 et 1000 attendu{NBSP}: {text}")
    return int(text)


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    match = command("match", "mise en relation sur ce poste (suggestions, proposition groupée)")
    subs = match.add_subparsers(dest="match_command", metavar="ACTION", required=True)
    sub = subs.add_parser("suggest", help="meilleurs mentors d’un·e mentoré·e, ou mentorés d’un mentor",
                          description="Suggestions expliquées, critère par critère.")
    who = sub.add_mutually_exclusive_group(required=True)
    who.add_argument("--mentee", metavar="ID", help="identifiant du ou de la mentoré·e")
    who.add_argument("--mentor", metavar="ID", help="identifiant du mentor")
    sub.add_argument("--top", type=_top, default=10, metavar="K", help="nombre de suggestions (10)")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = subs.add_parser("propose", help="proposition groupée pour les mentorés en attente (rien n’est créé)",
                          description="Maximise l’adéquation totale sous les capacités des mentors.")
    sub.add_argument("--mentees", metavar="FICHIER", help="fichier d’identifiants de mentorés, un par ligne")
    sub.add_argument("--min-score", type=_score, metavar="X", help="score minimum, sur 100 ou entre 0 et 1")
    sub.add_argument("--mode", choices=("best", "most"), default="best",
                     help="best : meilleure adéquation totale ; most : le plus de mentorés possible")
    sub.add_argument("--no-spread", action="store_true", help="sans répartition de la charge entre mentors")
    sub.add_argument("--out", metavar="FICHIER", help="écrire aussi la proposition JSON dans ce fichier")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = subs.add_parser("accept", help="créer les tandems d’une proposition enregistrée (--out de propose)")
    sub.add_argument("file", metavar="FICHIER")
    sub = subs.add_parser("settings", help="afficher ou modifier les poids des critères")
    sub.add_argument("--set", action="append", default=[], metavar="PROGRAMME.CRITÈRE=POIDS",
                     help=f"par exemple job_search.trade=3 ; programmes{NBSP}: {', '.join(PROGRAMMES)}")
    sub.add_argument("--reset", action="store_true", help="revenir aux valeurs par défaut")
    sub.add_argument("--json", action="store_true", help="sortie JSON")


def cmd_match(args: argparse.Namespace, settings: Settings) -> int:
    from ..services.matching import MatchingService

    with opened(settings) as profile:
        service = MatchingService(profile.store)
        return HANDLERS[args.match_command](args, service)


def _suggest(args: argparse.Namespace, service: MatchingService) -> int:
    found = (service.suggest_for_mentee(args.mentee, args.top) if args.mentee
             else service.suggest_for_mentor(args.mentor, args.top))
    if args.json:
        print_json(found.as_dict())
        return EXIT_OK
    if not found.candidates:
        print(f"Aucune suggestion possible{NBSP}: " + ", ".join(f"{k} ({n})" for k, n in found.excluded.items()))
        return EXIT_OK
    rows = [["score", "nom", "distance", "points forts"]]
    for c in found.candidates:
        km = f"{c.distance_km:.1f} km".replace(".", ",") if c.distance_km is not None else "?"
        rows.append([f"{c.score:.1f}".replace(".", ","), c.name, km, " ; ".join(r.text for r in c.reasons_for)])
    print(table(rows))
    return EXIT_OK


def _propose(args: argparse.Namespace, service: MatchingService) -> int:
    from ..matching.propose import summary
    ids = None
    if args.mentees:
        ids = [line.strip() for line in Path(args.mentees).read_text(encoding="utf-8").splitlines() if line.strip()]
    proposal = service.propose(ids, min_score=args.min_score, mode=args.mode, spread=not args.no_spread)
    document = proposal.as_dict()
    if args.out:
        write_private(Path(args.out), json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"))
    if args.json:
        print_json(document)
        return EXIT_OK
    if proposal.notice:  # nobody waiting, no mentor at all, or none with a free place
        print(proposal.notice)
        return EXIT_OK
    rows = [["score", "mentoré·e", "mentor"]] + [[f"{p.score:.1f}".replace(".", ","), p.mentee_name, p.mentor_name]
                                                 for p in proposal.pairs]
    print(table(rows) if proposal.pairs else "Aucune paire proposée.")
    print(summary(proposal.pairs, len(proposal.unmatched)) + ".")
    for u in proposal.unmatched[:20]:
        print(f"  {u.mentee_name}{NBSP}: {u.reason}")
    return EXIT_OK


def _accept(args: argparse.Namespace, service: MatchingService) -> int:
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        pairs = [(str(p["mentee_id"]), str(p["mentor_id"])) for p in document["pairs"]]
    except (ValueError, KeyError, TypeError):
        print(f"Fichier de proposition illisible{NBSP}: {args.file}. Rien n’a été créé.", file=sys.stderr)
        return EXIT_REFUSED
    created = service.accept_pairs(pairs).created_ids("tandem")
    print(f"{len(created)} tandems créés (étape «{NBSP}Proposé{NBSP}»).")
    return EXIT_OK


def _settings(args: argparse.Namespace, service: MatchingService) -> int:
    current = service.reset_settings() if args.reset else service.settings()
    try:
        for item in args.set:
            target, _, value = item.partition("=")
            programme, _, criterion = target.partition(".")
            if criterion not in CRITERION_CODES:
                raise SettingsError(f"Critère inconnu{NBSP}: {criterion or target} ({', '.join(CRITERION_CODES)}).")
            try:
                weight = float(value.replace(",", "."))
            except ValueError:
                raise SettingsError(f"Poids invalide{NBSP}: {item}.") from None
            current = current.with_weight(programme, criterion, weight)
    except SettingsError as exc:
        print(f"{exc} Rien n’a été modifié.", file=sys.stderr)
        return EXIT_REFUSED
    if args.set:
        service.save_settings(current)
    if args.json:
        print(current.to_json())
        return EXIT_OK
    for programme in PROGRAMMES:
        weights = current.weights[programme]
        print(f"{programme}{NBSP}: " + ", ".join(f"{c}={weights[c]:g}" for c in CRITERION_CODES))
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, MatchingService], int]] = {
    "suggest": _suggest, "propose": _propose, "accept": _accept, "settings": _settings,
}
COMMANDS = {"match": cmd_match}
