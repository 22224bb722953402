"""`tandem import KIND FILE`, `tandem import undo BATCH_ID`, `tandem import list`: a structure's
spreadsheet brought in from the command line, with the same rules as the app's import dialog.

Registered by commands.py; the work is done in services/imports/. Exit code 1, with the report on
stderr, when a row is refused: then nothing was written. `--dry-run` writes nothing and prints the
same report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..domain.errors import DomainError
from ..domain.kinds import KINDS, kind_spec
from ..settings import Settings
from .common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, NBSP, opened
from .output import print_json, table

_ACTIONS = ("undo", "list")
_DELIMITERS = {"point-virgule": ";", ";": ";", "virgule": ",", ",": ",", "tab": "\t", "tabulation": "\t"}


def _delimiter(text: str) -> str:
    if text not in _DELIMITERS:
        raise argparse.ArgumentTypeError(f"séparateur inconnu{NBSP}: {text} (point-virgule, virgule ou tab)")
    return _DELIMITERS[text]


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"numéro de ligne attendu{NBSP}: {text}")
    return int(text)


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    kinds = ", ".join(KINDS)
    sub = command("import", "importer un tableur (CSV, XLSX, ODS), ou annuler et lister les imports")
    sub.add_argument("what", metavar="TYPE", help=f"type de fiche ({kinds}), ou undo, ou list")
    sub.add_argument("target", nargs="?", metavar="FICHIER", help="fichier à importer (ou identifiant d’import "
                     "pour undo)")
    sub.add_argument("--sheet", metavar="NOM", help="feuille du classeur (sinon la première remplie)")
    sub.add_argument("--mapping", metavar="FICHIER.json|NOM", help="correspondance colonnes → champs : fichier "
                     "JSON ou modèle enregistré (sinon devinée d’après les en-têtes)")
    sub.add_argument("--save-mapping", metavar="NOM", help="enregistrer la correspondance utilisée comme modèle")
    sub.add_argument("--structure", metavar="ID|NOM", help="structure des fiches importées (et de leur modèle)")
    sub.add_argument("--on-duplicate", choices=("skip", "merge", "import"), default="skip",
                     help="doublons : skip (ignorer, par défaut), merge (compléter la fiche existante), "
                          "import (créer quand même)")
    sub.add_argument("--encoding", metavar="NOM", help="encodage d’un CSV (sinon détecté), par exemple cp1252")
    sub.add_argument("--delimiter", type=_delimiter, metavar="SÉP", help="séparateur d’un CSV : point-virgule, "
                     "virgule ou tab (sinon détecté)")
    sub.add_argument("--header-row", type=_positive, metavar="N", help="ligne des en-têtes (sinon devinée)")
    sub.add_argument("--report", metavar="FICHIER", help="écrire le rapport ligne par ligne (CSV ou XLSX)")
    sub.add_argument("--dry-run", action="store_true", help="tout vérifier sans rien écrire")
    sub.add_argument("--json", action="store_true", help="sortie JSON")


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.what == "list":
        return _list(args, settings)
    if args.what == "undo":
        if not args.target:
            print(f"Indiquez l’identifiant de l’import à annuler{NBSP}: tandem import undo ID.", file=sys.stderr)
            return EXIT_USAGE
        return _undo(args, settings)
    if args.what not in KINDS:
        possible = ", ".join((*KINDS, *_ACTIONS))
        print(f"Type de fiche inconnu{NBSP}: «{NBSP}{args.what}{NBSP}». Possibles{NBSP}: {possible}.", file=sys.stderr)
        return EXIT_USAGE
    if not args.target:
        print(f"Indiquez le fichier à importer{NBSP}: tandem import {args.what} FICHIER.", file=sys.stderr)
        return EXIT_USAGE
    return _import(args, settings)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import imports
    from ..services.records import Actor, Records

    kind = args.what
    template = imports.template_name(args.save_mapping) if args.save_mapping else None
    if args.report and Path(args.report).resolve() == Path(args.target).resolve():
        raise DomainError(f"Le rapport écraserait le fichier importé{NBSP}: donnez-lui un autre nom.")
    source, sheet = imports.read_table(args.target, sheet=args.sheet, encoding=args.encoding,
                                       delimiter=args.delimiter, header_row=args.header_row)
    with opened(settings) as profile:
        store = profile.store
        structure = imports.resolve_structure(store, args.structure) if args.structure else None
        mapping = _mapping(args, store, kind, sheet.headers, structure)
        if missing := imports.missing_required(kind_spec(kind), mapping):
            columns = ", ".join(f"«{NBSP}{h}{NBSP}»" for h in sheet.headers[:12])
            raise DomainError(f"Aucune colonne n’alimente{NBSP}: {', '.join(missing)}. Colonnes du fichier{NBSP}: "
                              f"{columns}. Indiquez la correspondance avec --mapping.")
        plan = imports.prepare(store, kind, sheet, mapping, file_name=source.file_name,
                               structure_id=structure, on_duplicate=args.on_duplicate)
        if args.report:
            imports.save_report(plan, args.report)
        refused = bool(plan.refused())
        batch_id = None
        if not args.dry_run and not refused:
            batch_id = imports.apply_plan(Records(store, Actor.of_store(store)), plan).batch_id
            if template:  # kept with what it imported: a dry run or a refusal writes nothing, not even this
                imports.save_template(store, structure, kind, template, mapping)
    _print_outcome(args, source, plan, mapping, batch_id)
    return EXIT_REFUSED if refused else EXIT_OK


def _mapping(args: argparse.Namespace, store: Any, kind: str, headers: tuple[str, ...],
             structure: str | None) -> dict[str, str]:
    from ..services import imports

    if not args.mapping:
        return imports.guess_mapping(kind_spec(kind), headers)
    path = Path(args.mapping)
    if path.is_file():
        try:
            text = path.read_bytes()[:1_000_000].decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError(f"Fichier de correspondance illisible{NBSP}: il n’est pas enregistré en UTF-8.") from None
        columns = imports.mapping_from_json(text, kind)
    else:
        saved = imports.list_templates(store, kind, structure)  # no structure given: any structure's
        if args.mapping not in saved:
            names = ", ".join(f"«\u00a0{n}\u00a0»" for n in list(saved)[:20]) or "aucun"
            raise DomainError(f"Ni fichier ni modèle enregistré nommé «{NBSP}{args.mapping[:80]}{NBSP}». "
                              f"Modèles{NBSP}: {names}.")
        columns = saved[args.mapping]
    return imports.apply_template(columns, headers)


def _print_outcome(args: argparse.Namespace, source: Any, plan: Any, mapping: dict[str, str],
                   batch_id: str | None) -> None:
    from ..services import imports

    counts = plan.counts()
    lines = list(imports.report_lines(plan))
    if args.json:
        print_json({"kind": plan.kind, "file": source.file_name, "sheet": source.sheet, "encoding": source.encoding,
                    "delimiter": source.delimiter, "mapping": mapping, "dry_run": args.dry_run,
                    "written": batch_id is not None, "batch_id": batch_id, "counts": counts,
                    "report": [{"row": r, "field": f, "message": m} for r, f, m in lines]})
        return
    for note in source.notes:
        print(note, file=sys.stderr)
    refused = counts["refused"] > 0
    for row, field, message in lines:
        where = f"Ligne {row} — {field}" if field else f"Ligne {row}"
        print(f"{where}{NBSP}: {message}", file=sys.stderr if refused else sys.stdout)
    summary = (f"{counts['created']} créée(s), {counts['merged']} fusionnée(s), {counts['skipped']} ignorée(s), "
               f"{counts['refused']} refusée(s).")
    if batch_id is not None:
        print(f"Import {batch_id}{NBSP}: {summary}")
    elif refused:
        print(f"Rien n’a été importé{NBSP}: {summary}", file=sys.stderr)
    else:
        print(f"Essai à blanc, rien n’a été écrit{NBSP}: {summary}")


def _undo(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import imports
    from ..services.records import Actor, Records

    with opened(settings) as profile:
        result = imports.undo_batch(Records(profile.store, Actor.of_store(profile.store)), args.target)
    if args.json:
        print_json({"deleted": result.deleted, "reverted": result.reverted,
                    "kept": [{"id": i, "field": f} for i, f in result.kept]})
    else:
        print(result.message())
    return EXIT_OK


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import imports

    with opened(settings) as profile:
        batches = imports.list_batches(profile.store)
    if args.json:
        print_json([b.as_dict() for b in batches])
        return EXIT_OK
    rows = [["Identifiant", "Date", "Type", "Fichier", "Créées", "Fusionnées", "Ignorées", "Annulé le"]]
    for b in batches:
        rows.append([b.id, b.created_at[:16].replace("T", " "), kind_spec(b.kind).plural, b.file_name,
                     str(b.counts.get("created", 0)), str(b.counts.get("merged", 0)), str(b.counts.get("skipped", 0)),
                     (b.undone_at or "")[:10]])
    if batches:
        print(table(rows))
    print(f"{len(batches)} import(s).", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"import": cmd_import}
