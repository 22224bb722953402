"""The parser of `tandem` and its record, export, backup and check commands; the other command
groups (keys, sync, match, charter) live in modules of their own beside this one.

The services and the store (SQLAlchemy, Alembic…) are imported by the command that uses them, so
`tandem --help` and usage errors answer at once (tests/test_imports.py holds this).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..domain.kinds import KINDS, kind_spec
from ..services import export as export_service
from ..settings import Settings
from ..texts.arguments import FrenchArgumentParser
from . import charter, imports, keys, match, privacy, sync
from .common import (
    EXIT_OK,
    EXIT_REFUSED,
    NBSP,
    create_profile,
    opened,
    print_recovery_code,
    with_prompted_passphrase,
)
from .output import print_json, table

if TYPE_CHECKING:
    from ..services.records import Records
    from ..store.profile import Profile

class _Parser(FrenchArgumentParser):
    """`tandem`'s parser: argparse's words in French (texts/arguments.py)."""


def _kind(text: str) -> str:
    try:
        return kind_spec(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    if not re.fullmatch(r"\d{1,7}", text.strip()):
        raise argparse.ArgumentTypeError(f"nombre entier positif attendu, pas «{NBSP}{text}{NBSP}»")
    return int(text)


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[a-z_]+", name.strip()):
        raise argparse.ArgumentTypeError(f"champ=valeur attendu, pas «{NBSP}{text}{NBSP}»")
    return name.strip(), value


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", metavar="DOSSIER", default=default,
                        help="dossier du profil (sinon TANDEM_DATA_DIR, sinon le dossier par défaut)")
    parser.add_argument("--passphrase-file", metavar="FICHIER", default=default,
                        help="fichier contenant la phrase de passe (sinon TANDEM_PASSPHRASE)")
    parser.add_argument("--recovery-code-file", metavar="FICHIER", default=default,
                        help="fichier contenant le code de secours, pour ouvrir un profil dont la clé est "
                             "perdue (sinon TANDEM_RECOVERY_CODE)")


def build_parser() -> argparse.ArgumentParser:
    kinds = ", ".join(KINDS)
    parser = _Parser(prog="tandem", description="Tandem Desktop en ligne de commande.")
    parser.add_argument("--version", action="version", version=f"tandem {__version__}",
                        help="afficher la version et quitter")
    _common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE", title=f"commandes{NBSP}", required=True,
                                     parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _common(sub, suppress=True)
        return sub

    def kind_arg(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("kind", metavar="TYPE", type=_kind, help=f"type de fiche{NBSP}: {kinds}")

    command("init", "créer un profil chiffré")
    sub = command("demo", "ajouter des données de démonstration (crée le profil au besoin)")
    sub.add_argument("--mentors", type=_count, default=200, metavar="N", help="nombre de mentors (200)")
    sub.add_argument("--mentees", type=_count, default=2000, metavar="N", help="nombre de mentorés (2000)")
    sub.add_argument("--seed", type=_count, default=1, metavar="S",
                     help=f"graine{NBSP}: même graine, mêmes données (1)")
    sub = command("add", f"créer une fiche{NBSP}; affiche son identifiant")
    kind_arg(sub)
    sub.add_argument("values", nargs="+", type=_assignment, metavar="champ=valeur",
                     help="valeurs des champs, par exemple first_name=Hélène")
    sub = command("set", "modifier une fiche")
    kind_arg(sub)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("values", nargs="+", type=_assignment, metavar="champ=valeur",
                     help="valeurs des champs, par exemple first_name=Hélène")
    sub = command("show", "afficher une fiche")
    kind_arg(sub)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("delete", "supprimer une fiche")
    kind_arg(sub)
    sub.add_argument("id", metavar="ID")
    sub = command("list", "lister les fiches d’un type")
    kind_arg(sub)
    sub.add_argument("--search", default="", metavar="TEXTE", help="recherche (accents et casse ignorés)")
    sub.add_argument("--limit", type=_count, default=100, metavar="N", help="nombre maximal de fiches (0 = toutes)")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("export", "exporter les fiches d’un type en CSV ou XLSX")
    kind_arg(sub)
    sub.add_argument("--format", choices=export_service.FORMATS, help="csv ou xlsx (sinon d’après l’extension)")
    sub.add_argument("--out", required=True, metavar="FICHIER", help="fichier à écrire")
    sub = command("backup", "écrire une sauvegarde chiffrée du profil")
    sub.add_argument("file", metavar="FICHIER")
    sub = command("restore", "remplacer la base du profil par une sauvegarde (l’actuelle est conservée)")
    sub.add_argument("file", metavar="FICHIER")
    sub = command("check", "contrôler l’intégrité de la base (pages et structure) ; code 0 : intacte")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    keys.add_commands(command)
    sync.add_commands(command)
    match.add_commands(command)
    charter.add_commands(command)
    imports.add_commands(command)
    privacy.add_commands(command)
    return parser


def _plain(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], **{name: record.get(name) for name in kind_spec(kind).field_names}}


def _records(profile: Profile) -> Records:
    """Every record write of the command goes through this door, for the profile's counsellor."""
    from ..services.records import Actor, Records

    return Records(profile.store, Actor.of_store(profile.store))


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    profile = create_profile(settings)
    source = "trousseau du système" if profile.meta.key_source == "keyring" else "phrase de passe"
    profile.close()
    print(f"Profil chiffré créé dans {settings.data_dir} (clé{NBSP}: {source}).")
    print_recovery_code(profile)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ..services.demo import generate_demo
    from ..store.profile import open_profile, profile_exists

    exists = profile_exists(settings)
    profile = with_prompted_passphrase(settings, open_profile) if exists else create_profile(settings)
    print_recovery_code(profile)
    try:
        summary = generate_demo(profile.store, mentors=args.mentors, mentees=args.mentees, seed=args.seed)
    finally:
        profile.close()
    print(summary.message())
    return EXIT_OK


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as profile:
        record_id = _records(profile).create(args.kind, dict(args.values)).record_id
    print(record_id)
    return EXIT_OK


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as profile:
        changes = _records(profile).update(args.kind, args.id, dict(args.values))
    spec = kind_spec(args.kind)
    if changes.fields:
        print(f"Fiche modifiée{NBSP}: {', '.join(spec.by_name[n].label for n in changes.fields)}.")
    else:
        print("Aucun changement.")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as profile:
        record = profile.store.get(args.kind, args.id)
        if args.json:
            print_json(_plain(args.kind, record))
        else:
            for label, text in export_service.describe(profile.store, args.kind, record):
                if text:
                    print(f"{label}{NBSP}: {text}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    with opened(settings) as profile:
        _records(profile).delete(args.kind, args.id)
    print(f"Fiche «{NBSP}{kind_spec(args.kind).label}{NBSP}» supprimée.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from ..store.queries import ListQuery

    spec = kind_spec(args.kind)
    query = ListQuery(search=args.search)
    with opened(settings) as profile:
        total = profile.store.count(args.kind, query)
        records = profile.store.find(args.kind, query, 0, args.limit or max(total, 1))
    if args.json:
        print_json([_plain(args.kind, r) for r in records])
        return EXIT_OK
    columns = [spec.by_name[name] for name in spec.list_columns]
    rows = [[export_service.ID_HEADER, *(c.label for c in columns)]]
    for record in records:
        rows.append([record["id"], *(record.get(f"{c.name}__label") or export_service.display_value(
            c, record.get(c.name)) for c in columns)])
    if records:
        print(table(rows))
    print(f"{len(records)} fiche(s) sur {total}.", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out)
    fmt = args.format or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    with opened(settings) as profile:
        count = export_service.export_kind(profile.store, args.kind, fmt, out)
    print(f"{count} fiche(s) «{NBSP}{kind_spec(args.kind).plural}{NBSP}» exportée(s) dans {out}.")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import backup as backup_service

    with opened(settings) as profile:
        dest = backup_service.backup_profile(profile, args.file)
    print(f"Sauvegarde chiffrée écrite{NBSP}: {dest}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import backup as backup_service

    kept = with_prompted_passphrase(settings, lambda s: backup_service.restore_profile(s, args.file))
    print(f"Sauvegarde restaurée. La base précédente est conservée dans {kept}.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import check as check_service

    report = with_prompted_passphrase(settings, check_service.check_profile)
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.message(), file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_REFUSED


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "init": cmd_init, "demo": cmd_demo, "add": cmd_add, "set": cmd_set, "show": cmd_show,
    "delete": cmd_delete, "list": cmd_list, "export": cmd_export, "backup": cmd_backup, "restore": cmd_restore,
    "check": cmd_check,
}
