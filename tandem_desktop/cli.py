"""The `tandem` command, for scripts, administrators and tests. Thin: the work is done in services.

Exit codes: 0 done; 1 refused (invalid value, unknown id, wrong passphrase, locked or damaged
profile…), with the reason in French on stderr; 2 wrong usage of the command; 3–5 sync failures
(see cli_sync.py: revoked device, hub unreachable, update required); 70 an unexpected failure, told
in French, its technical trace (no personal data) in the profile's journal-erreurs.log.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from getpass import getpass
from pathlib import Path
from typing import Any

from .cli_errors import EXIT_UNEXPECTED as EXIT_UNEXPECTED  # re-exported: the exit codes live here
from .cli_errors import not_utf8, unexpected
from .cli_output import escaped_output, print_json, table
from .domain.errors import DomainError, ValidationError
from .domain.kinds import KINDS, kind_spec
from .services import backup as backup_service
from .services import check as check_service
from .services import export as export_service
from .services.demo import generate_demo
from .services.records import Actor, Records
from .settings import Settings, load_settings
from .store.engine import quiet_sqlcipher_logs
from .store.errors import KeyringUnreachable, LockedKeyring, PassphraseRequired, StoreError, WeakPassphrase
from .store.files import os_reason
from .store.keys import check_new_passphrase, usable_keyring
from .store.profile import Profile, init_profile, open_profile, profile_exists
from .store.queries import ListQuery

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
NBSP = "\u00a0"

# argparse speaks English; the few messages a user may meet are given in French.
_ARGPARSE_FR = (
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.*)", r"arguments non reconnus : \1"),
    (r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)",
     r"argument \1 : choix invalide \2 (possibles : \3)"),
    (r"argument (.*?): invalid (?:int|_count) value: (.*)", r"argument \1 : nombre entier attendu, pas \2"),
    (r"argument (.*?): expected one argument", r"argument \1 : une valeur est attendue"),
    (r"argument (.*?): (.*)", r"argument \1 : \2"),
)


def _french(message: str) -> str:
    for pattern, replacement in _ARGPARSE_FR:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message).replace(" :", f"{NBSP}:")
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, f"utilisation{NBSP}: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, formatter_class=_Formatter, add_help=False, **kwargs)
        self._positionals.title = f"arguments{NBSP}"  # argparse adds the colon
        self._optionals.title = f"options{NBSP}"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}{NBSP}: erreur{NBSP}: {_french(message)}\n")


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
    sub = command("list", "lister les fiches d'un type")
    kind_arg(sub)
    sub.add_argument("--search", default="", metavar="TEXTE", help="recherche (accents et casse ignorés)")
    sub.add_argument("--limit", type=_count, default=100, metavar="N", help="nombre maximal de fiches (0 = toutes)")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("export", "exporter les fiches d'un type en CSV ou XLSX")
    kind_arg(sub)
    sub.add_argument("--format", choices=export_service.FORMATS, help="csv ou xlsx (sinon d'après l'extension)")
    sub.add_argument("--out", required=True, metavar="FICHIER", help="fichier à écrire")
    sub = command("backup", "écrire une sauvegarde chiffrée du profil")
    sub.add_argument("file", metavar="FICHIER")
    sub = command("restore", "remplacer la base du profil par une sauvegarde (l'actuelle est conservée)")
    sub.add_argument("file", metavar="FICHIER")
    sub = command("check", "contrôler l'intégrité de la base (pages et structure) ; code 0 : intacte")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    from . import cli_charter, cli_keys, cli_match, cli_sync  # here, not at the top: they use this module's helpers

    cli_keys.add_commands(command)
    cli_sync.add_commands(command)
    cli_match.add_commands(command)
    cli_charter.add_commands(command)
    return parser


# -- helpers ------------------------------------------------------------------------------------


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _with_prompted_passphrase(settings: Settings, action: Callable[[Settings], Any]) -> Any:
    """Run `action`; if the profile needs a passphrase nobody gave, ask for it once at the terminal."""
    try:
        return action(settings)
    except PassphraseRequired:
        if settings.passphrase is not None or not _interactive():
            raise
        return action(settings.with_passphrase(getpass(f"Phrase de passe du profil{NBSP}: ")))


@contextmanager
def _opened(settings: Settings) -> Iterator[Profile]:
    profile = _with_prompted_passphrase(settings, open_profile)
    try:
        yield profile
    finally:
        profile.close()


def _ask_new_passphrase(settings: Settings) -> str:
    """A new passphrase typed twice at the terminal; a weak one is refused with the hint, asked again."""
    for _ in range(3):
        first = getpass(f"Nouvelle phrase de passe (plusieurs mots, 8 caractères au moins){NBSP}: ")
        try:
            check_new_passphrase(first, (settings.data_dir.name,))
        except WeakPassphrase as exc:
            print(exc, file=sys.stderr)
            continue
        if getpass(f"Confirmez la phrase de passe{NBSP}: ") != first:
            raise StoreError(f"Les deux saisies diffèrent{NBSP}; le profil n'a pas été modifié.")
        return first
    raise StoreError(f"Aucune phrase de passe assez solide{NBSP}; le profil n'a pas été modifié.")


def _create(settings: Settings) -> Profile:
    if settings.passphrase is None and not (settings.use_keyring and usable_keyring()) and _interactive():
        settings = settings.with_passphrase(_ask_new_passphrase(settings))
    try:
        return init_profile(settings)
    except (LockedKeyring, KeyringUnreachable) as exc:  # a keyring that fails: unlock and retry, or a passphrase
        if not _interactive():
            raise StoreError(f"{exc} Ou, pour protéger ce profil par une phrase de passe, définissez "
                             "TANDEM_PASSPHRASE ou passez --passphrase-file.") from exc
        print(f"{exc}\nOu choisissez une phrase de passe pour ce profil (Ctrl+C pour arrêter).", file=sys.stderr)
        return init_profile(settings.with_passphrase(_ask_new_passphrase(settings)))


def _print_recovery_code(profile: Profile) -> None:
    if profile.recovery_code:
        from .services.keys import code_text

        print(code_text(profile.recovery_code))


def _plain(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], **{name: record.get(name) for name in kind_spec(kind).field_names}}


def _records(profile: Profile) -> Records:
    """Every record write of the command goes through this door, for the profile's counsellor."""
    return Records(profile.store, Actor.of_store(profile.store))


# -- commands -----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    profile = _create(settings)
    source = "trousseau du système" if profile.meta.key_source == "keyring" else "phrase de passe"
    profile.close()
    print(f"Profil chiffré créé dans {settings.data_dir} (clé{NBSP}: {source}).")
    _print_recovery_code(profile)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    profile = _create(settings) if not profile_exists(settings) else _with_prompted_passphrase(settings, open_profile)
    _print_recovery_code(profile)
    try:
        summary = generate_demo(profile.store, mentors=args.mentors, mentees=args.mentees, seed=args.seed)
    finally:
        profile.close()
    print(summary.message())
    return EXIT_OK


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    with _opened(settings) as profile:
        record_id = _records(profile).create(args.kind, dict(args.values)).record_id
    print(record_id)
    return EXIT_OK


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    with _opened(settings) as profile:
        changes = _records(profile).update(args.kind, args.id, dict(args.values))
    spec = kind_spec(args.kind)
    if changes.fields:
        print(f"Fiche modifiée{NBSP}: {', '.join(spec.by_name[n].label for n in changes.fields)}.")
    else:
        print("Aucun changement.")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    with _opened(settings) as profile:
        record = profile.store.get(args.kind, args.id)
        if args.json:
            print_json(_plain(args.kind, record))
        else:
            for label, text in export_service.describe(profile.store, args.kind, record):
                if text:
                    print(f"{label}{NBSP}: {text}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    with _opened(settings) as profile:
        _records(profile).delete(args.kind, args.id)
    print(f"Fiche «{NBSP}{kind_spec(args.kind).label}{NBSP}» supprimée.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    spec = kind_spec(args.kind)
    query = ListQuery(search=args.search)
    with _opened(settings) as profile:
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
    with _opened(settings) as profile:
        count = export_service.export_kind(profile.store, args.kind, fmt, out)
    print(f"{count} fiche(s) «{NBSP}{kind_spec(args.kind).plural}{NBSP}» exportée(s) dans {out}.")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    with _opened(settings) as profile:
        dest = backup_service.backup_profile(profile, args.file)
    print(f"Sauvegarde chiffrée écrite{NBSP}: {dest}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    kept = _with_prompted_passphrase(settings, lambda s: backup_service.restore_profile(s, args.file))
    print(f"Sauvegarde restaurée. La base précédente est conservée dans {kept}.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    report = _with_prompted_passphrase(settings, check_service.check_profile)
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


def _report(error: DomainError, kind: str | None) -> None:
    if isinstance(error, ValidationError):
        spec = KINDS.get(kind or "")
        for name, message in error.errors.items():
            field = spec.by_name.get(name) if spec else None
            if field is None and message.startswith("Suppression impossible"):
                print(message, file=sys.stderr)
            else:
                print(f"{f'{field.label} ({name})' if field else name}{NBSP}: {message}", file=sys.stderr)
    else:
        print(str(error), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every line it prints goes out with control characters escaped (a name pulled
    from a hostile hub, a forged certificate's subject…), so no output can drive the terminal."""
    with escaped_output():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    if (refusal := not_utf8(argv)) is not None:
        print(refusal, file=sys.stderr)
        return EXIT_USAGE
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already explained
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:  # before the settings exist: nowhere to log
        return unexpected(exc, args, None)


def _run(args: argparse.Namespace) -> int:
    quiet_sqlcipher_logs()
    try:
        settings = load_settings(getattr(args, "data_dir", None), getattr(args, "passphrase_file", None),
                                 recovery_code_file=getattr(args, "recovery_code_file", None))
    except OSError as exc:
        print(f"Fichier de phrase de passe ou de code de secours illisible{NBSP}: {exc.filename} "
              f"({os_reason(exc)}).", file=sys.stderr)
        return EXIT_REFUSED
    except DomainError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    from . import cli_charter, cli_keys, cli_match, cli_sync

    try:
        handler = (COMMANDS.get(args.command) or cli_sync.COMMANDS.get(args.command)
                   or cli_keys.COMMANDS.get(args.command)
                   or cli_charter.COMMANDS.get(args.command) or cli_match.COMMANDS[args.command])
        return handler(args, settings)
    except DomainError as exc:
        _report(exc, getattr(args, "kind", None))
        if isinstance(exc, cli_sync.SyncError) and (code := cli_sync.exit_code(exc)) is not None:
            return code
    except OSError as exc:
        where = f"{exc.filename}{NBSP}: " if exc.filename else ""
        print(f"Opération impossible{NBSP}: {where}{os_reason(exc)}. Rien n'a été modifié.", file=sys.stderr)
    except UnicodeDecodeError as exc:  # a file given to read (ids, proposal…) that is not UTF-8 text
        print(f"Fichier illisible{NBSP}: ce n'est pas un texte UTF-8 ({exc.reason}). Rien n'a été modifié.",
              file=sys.stderr)
    except Exception as exc:
        return unexpected(exc, args, settings)
    return EXIT_REFUSED


if __name__ == "__main__":
    raise SystemExit(main())
