"""The `tandem-hub` command: serve the hub and administer it (structures, counsellors, devices).

Commands that create something print its id (or the code) alone on stdout, so scripts can capture
it; messages go to stderr, in French. Every command takes --db URL (or TANDEM_HUB_DB).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..domain.kinds import STRUCTURE_TYPES
from ..texts.arguments import FrenchArgumentParser
from ..texts.french import NBSP
from . import access_log, admin, erasure, rules, secret_key
from .config import HubOptions, TLSFiles
from .errors import AdminError

ENV_DB = "TANDEM_HUB_DB"


def default_db_url() -> str:
    """A SQLite file in the user's data folder: enough for a one-machine trial."""
    return f"sqlite:///{Path(user_data_dir('TandemHub', appauthor=False)) / 'hub.db'}"


def _parser() -> argparse.ArgumentParser:
    common = FrenchArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help=f"base du hub (postgresql+psycopg://… ou sqlite:///chemin){NBSP}; sinon ${ENV_DB}")
    parser = FrenchArgumentParser(prog="tandem-hub", parents=[common],
                                     description="Hub central de Tandem Desktop.")
    parser.add_argument("--version", action="version", version=f"tandem-hub {__version__}",
                        help="afficher la version et quitter")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    serve = commands.add_parser("serve", parents=[common], help="servir le hub (HTTP)")
    serve.add_argument("--host", default="127.0.0.1", help="adresse d’écoute (défaut 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port d’écoute (défaut 8765)")
    serve.add_argument("--secret-key-file", metavar="FICHIER",
                       help=f"clé secrète qui chiffre la clé de l’autorité du hub{NBSP}; sinon "
                            f"${secret_key.ENV_KEY_FILE} ou ${secret_key.ENV_KEY} (essai SQLite{NBSP}: un fichier "
                            "créé à côté de la base)")
    serve.add_argument("--tls-cert", metavar="FICHIER",
                       help="certificat TLS (PEM, chaîne complète) pour servir en HTTPS")
    serve.add_argument("--tls-key", metavar="FICHIER", help="clé privée TLS (PEM) du certificat")
    serve.add_argument("--trust-proxy", action="store_true",
                       help=f"derrière un proxy inverse{NBSP}: l’adresse du client est la dernière de X-Forwarded-For")
    serve.add_argument("--charter-quota", type=int, default=HubOptions.charter_quota_mb, metavar="MIO",
                       help="espace des fichiers de chartes par structure, en Mio (défaut 10240)")
    serve.add_argument("--enroll-attempts", type=int, default=10, metavar="N",
                       help="tentatives d’enrôlement par adresse et par fenêtre (défaut 10)")
    serve.add_argument("--enroll-window", type=float, default=600, metavar="SECONDES",
                       help="fenêtre du compte des tentatives d’enrôlement (défaut 600)")
    serve.add_argument("--body-timeout", type=float, default=30, metavar="SECONDES",
                       help="délai pour recevoir le corps d’une requête (défaut 30, plus pour un gros envoi)")

    key = commands.add_parser("secret-key", parents=[common], help="créer un fichier de clé secrète pour le hub")
    key.add_argument("--out", required=True, metavar="FICHIER", help="fichier à créer (jamais remplacé), mode 0600")

    structure = commands.add_parser("structure", parents=[common], help="structures partenaires")
    structure_cmds = structure.add_subparsers(dest="action", required=True, metavar="ACTION")
    structure_add = structure_cmds.add_parser("add", parents=[common], help="ajouter une structure (affiche son id)")
    structure_add.add_argument("name", metavar="NOM", help="nom de la structure, tel que la charte l’imprime")
    types = ", ".join(f"{code} ({label})" for code, label in STRUCTURE_TYPES)
    structure_add.add_argument("--type", dest="kind", required=True, metavar="TYPE",
                               choices=[code for code, _ in STRUCTURE_TYPES], help=f"type de structure{NBSP}: {types}")
    structure_add.add_argument("--commune", required=True, metavar="COMMUNE",
                               help="commune de la structure (liste de référence), imprimée sur la charte")
    structure_add.add_argument("--postal-code", metavar="CODE", help="code postal (sinon celui de la commune)")
    structure_add.add_argument("--email", required=True, metavar="E-MAIL",
                               help="adresse e-mail de contact imprimée sur la charte")
    structure_add.add_argument("--phone", metavar="TÉLÉPHONE", help="téléphone de contact (facultatif)")
    structure_list = structure_cmds.add_parser("list", parents=[common], help="lister les structures")
    structure_list.add_argument("--json", action="store_true", help="sortie JSON")

    counsellor = commands.add_parser("counsellor", parents=[common], help="conseillers")
    counsellor_cmds = counsellor.add_subparsers(dest="action", required=True, metavar="ACTION")
    counsellor_add = counsellor_cmds.add_parser("add", parents=[common], help="ajouter un conseiller (affiche son id)")
    counsellor_add.add_argument("--structure", required=True, metavar="STRUCTURE_ID")
    counsellor_add.add_argument("--admin", action="store_true",
                                help="administrateur du hub (voit toutes les structures)")
    counsellor_add.add_argument("name", metavar="NOM")
    counsellor_add.add_argument("email", metavar="EMAIL")
    counsellor_list = counsellor_cmds.add_parser("list", parents=[common], help="lister les conseillers")
    counsellor_list.add_argument("--json", action="store_true", help="sortie JSON")

    code = commands.add_parser("enroll-code", parents=[common], help="code d’enrôlement à usage unique")
    code.add_argument("--counsellor", required=True, metavar="COUNSELLOR_ID")
    code.add_argument("--hours", type=float, default=72, help="validité en heures (défaut 72)")

    devices = commands.add_parser("devices", parents=[common], help="lister les appareils inscrits")
    devices.add_argument("--json", action="store_true", help="sortie JSON")

    revoke = commands.add_parser("revoke", parents=[common], help="révoquer un appareil")
    revoke.add_argument("device_id", metavar="DEVICE_ID")

    audit = commands.add_parser("audit", parents=[common],
                                help=f"journal des accès{NBSP}: quel appareil a reçu les fiches de quelles structures "
                                     "(12 derniers mois)")
    audit.add_argument("--device", metavar="DEVICE_ID", help="un seul appareil (sinon tous)")
    audit.add_argument("--since", required=True, metavar="DATE",
                       help="depuis cette date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM, UTC)")
    audit.add_argument("--until", metavar="DATE", help="jusqu’à cette date incluse (sinon maintenant)")
    audit.add_argument("--structure", metavar="STRUCTURE_ID",
                       help="seulement les accès aux fiches de cette structure ou par ses appareils")
    audit.add_argument("--json", action="store_true", help="sortie JSON")

    erased = commands.add_parser("erasures", parents=[common],
                                 help="journal des effacements de personnes (sans donnée personnelle)")
    erased.add_argument("--json", action="store_true", help="sortie JSON")
    retention = commands.add_parser("retention", parents=[common],
                                    help="durées de conservation (RGPD) envoyées à chaque poste")
    retention_cmds = retention.add_subparsers(dest="action", required=True, metavar="ACTION")
    shown = retention_cmds.add_parser("show", parents=[common], help="afficher les règles")
    shown.add_argument("--json", action="store_true", help="sortie JSON")
    changed = retention_cmds.add_parser("set", parents=[common], help="changer la règle d’un programme")
    changed.add_argument("--programme", required=True, metavar="CODE",
                         help="job_search, business_creation, orientation, ou mentor")
    changed.add_argument("--years", type=int, metavar="N", help="années de conservation après le dernier contact")
    changed.add_argument("--honorability", choices=("oui", "non"),
                         help="attestation d’honorabilité exigée des mentors de ce programme")
    changed.add_argument("--honorability-months", type=int, metavar="N",
                         help="validité de l’attestation d’honorabilité, en mois (12)")
    commands.add_parser("vacuum", parents=[common],
                        help="réécrire les tables après des effacements, pour que les anciennes valeurs quittent "
                             "les fichiers de la base (PostgreSQL : VACUUM FULL, les tables sont bloquées pendant "
                             "l’opération)")
    return parser


def _show(rows: list[dict], as_json: bool, columns: list[tuple[str, str]]) -> None:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        print("(aucun)")
        return
    widths = [max(len(title), *(len(str(row.get(key) or "")) for row in rows)) for key, title in columns]
    print("  ".join(title.ljust(width) for (_, title), width in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(str(row.get(key) or "").ljust(width)
                        for (key, _), width in zip(columns, widths, strict=True)).rstrip())


AUDIT_COLUMNS = [("at", "DÉBUT"), ("last_at", "FIN"), ("device_id", "APPAREIL"), ("counsellor_id", "CONSEILLER"),
                 ("structure_id", "STRUCTURE"), ("delivered", "FICHES REÇUES DE"), ("records", "FICHES"),
                 ("entries", "ENTRÉES"), ("pages", "PAGES"), ("cursors", "CURSEUR")]


def _audit(engine: Engine, args: argparse.Namespace) -> None:
    """The access log of a period, oldest first: a table (French headers) or --json."""
    since = access_log.parse_date(args.since)
    until = access_log.parse_date(args.until, end=True) if args.until else None
    rows = access_log.read(engine, since, until, device_id=args.device, structure_id=args.structure)
    if not args.json:
        for row in rows:
            row["delivered"] = ", ".join(f"{owner} ({count})" for owner, count in row["structures"].items()) or "—"
            row["cursors"] = f"{row['cursor_from']} → {row['cursor_to']}"
            row.update({key: str(row[key]) for key in ("records", "entries", "pages")})
    _show(rows, args.json, AUDIT_COLUMNS)


def _serve_options(args: argparse.Namespace) -> tuple[HubOptions, TLSFiles | None]:
    """The hub's options from the `serve` flags and the environment; AdminError (French) if invalid."""
    if args.enroll_attempts < 1 or args.enroll_window <= 0 or args.body_timeout <= 0 or args.charter_quota < 1:
        raise AdminError("Les limites (--enroll-attempts, --enroll-window, --body-timeout, --charter-quota) doivent "
                         "être positives.")
    secret = secret_key.configured_secret_key(args.secret_key_file, os.environ)
    options = HubOptions(secret_key=secret, enroll_attempts=args.enroll_attempts,
                         enroll_window_s=args.enroll_window, body_timeout_s=args.body_timeout,
                         body_max_s=max(args.body_timeout, HubOptions.body_max_s), trust_proxy=args.trust_proxy,
                         charter_quota_mb=args.charter_quota)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise AdminError("Pour servir en HTTPS, donnez à la fois --tls-cert et --tls-key.")
    if not args.tls_cert:
        return options, None
    tls = TLSFiles(Path(args.tls_cert).expanduser(), Path(args.tls_key).expanduser())
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(tls.cert_file, tls.key_file, password=lambda: "")
    except (OSError, ssl.SSLError) as exc:
        raise AdminError(f"Certificat ou clé TLS inutilisable ({tls.cert_file}, {tls.key_file}){NBSP}: "
                         f"{getattr(exc, 'strerror', None) or exc}. Une chaîne PEM et sa clé non chiffrée sont "
                         "attendues.") from None
    return options, tls


def _serve(db_url: str, args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app
    from .server import uvicorn_settings

    options, tls = _serve_options(args)
    app = create_app(db_url, options)
    shown = make_url(app.state.engine.url).render_as_string(hide_password=True)
    scheme = "https" if tls else "http"
    print(f"Hub Tandem sur {scheme}://{args.host}:{args.port} (base{NBSP}: {shown}). Ctrl+C pour arrêter.",
          file=sys.stderr)
    if tls is None and not options.trust_proxy and args.host not in ("127.0.0.1", "::1", "localhost"):
        print(f"Attention{NBSP}: le hub sert en http:// non chiffré sur le réseau. Les postes le refuseront sauf "
              f"«{NBSP}--insecure-http{NBSP}»{NBSP}; servez-le en HTTPS (--tls-cert, --tls-key) ou derrière un "
              "proxy inverse (voir le README).", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", **uvicorn_settings(options, tls))  # type: ignore[arg-type]


def _run(args: argparse.Namespace, db_url: str) -> None:
    if args.command == "serve":
        _serve(db_url, args)
        return
    if args.command == "secret-key":
        path = Path(args.out).expanduser()
        secret_key.write_new_key_file(path)
        print(f"Clé secrète créée{NBSP}: {path} (lisible par vous seul). Donnez-la au hub par "
              f"--secret-key-file ou ${secret_key.ENV_KEY_FILE}, et gardez-en une copie à part des sauvegardes "
              "de la base.", file=sys.stderr)
        return
    engine = admin.connect(db_url)
    try:
        if args.command == "structure" and args.action == "add":
            print(admin.add_structure(engine, args.name, kind=args.kind, commune=args.commune,
                                      postal_code=args.postal_code, email=args.email, phone=args.phone))
        elif args.command == "structure":
            _show(admin.list_structures(engine), args.json, [("id", "ID"), ("name", "NOM")])
        elif args.command == "counsellor" and args.action == "add":
            print(admin.add_counsellor(engine, args.structure, args.name, args.email, admin=args.admin))
        elif args.command == "counsellor":
            _show(admin.list_counsellors(engine), args.json, [("id", "ID"), ("name", "NOM"), ("email", "E-MAIL"),
                                                               ("structure_id", "STRUCTURE"), ("is_admin", "ADMIN")])
        elif args.command == "enroll-code":
            print(admin.make_enroll_code(engine, args.counsellor, valid_hours=args.hours))
        elif args.command == "devices":
            rows = admin.list_devices(engine)
            for row in rows:
                row["state"] = "révoqué" if row["revoked"] else "actif"
            _show(rows, args.json, [("id", "ID"), ("name", "APPAREIL"), ("structure_name", "STRUCTURE"),
                                    ("counsellor_name", "CONSEILLER"), ("enrolled_at", "INSCRIT LE"),
                                    ("last_seen_at", "DERNIER ENVOI"), ("state", "ÉTAT")])
        elif args.command == "audit":
            _audit(engine, args)
        elif args.command == "erasures":
            _show(admin.list_erasures(engine), args.json, [("at", "LE"), ("kind", "TYPE"), ("record_id", "FICHE"),
                                                            ("reason", "MOTIF"), ("device_id", "APPAREIL"),
                                                            ("linked", "FICHES LIÉES")])
        elif args.command == "retention":
            if args.action == "set":
                honorability = None if args.honorability is None else args.honorability == "oui"
                rules.set_rule(engine, args.programme, args.years, honorability, args.honorability_months)
                print(f"Règle enregistrée{NBSP}: les postes la recevront à leur prochaine synchronisation.",
                      file=sys.stderr)
            shown = rules.current(engine)
            if getattr(args, "json", False):
                print(json.dumps(shown.as_dict(), ensure_ascii=False, indent=2))
            else:
                _show(rules.rows(shown), False, [("programme", "PROGRAMME"), ("label", "LIBELLÉ"),
                                                 ("years", "ANS APRÈS LE DERNIER CONTACT"),
                                                 ("honorability", "ATTESTATION D’HONORABILITÉ")])
                print(f"Attestation d’honorabilité valable {shown.honorability_months}{NBSP}mois.")
        elif args.command == "vacuum":
            done = erasure.vacuum(engine)
            print(f"Tables réécrites{NBSP}: {', '.join(done)}.", file=sys.stderr)
        elif args.command == "revoke":
            admin.revoke_device(engine, args.device_id)
            print(f"Appareil révoqué{NBSP}: {args.device_id}", file=sys.stderr)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already explained (in French)
        return exc.code if isinstance(exc.code, int) else 2
    db_url = getattr(args, "db", None) or os.environ.get(ENV_DB) or default_db_url()
    try:
        _run(args, db_url)
    except AdminError as exc:
        print(f"Erreur{NBSP}: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, ValueError, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Base du hub inaccessible ou invalide{NBSP}: {detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
