"""`tandem enroll`, `tandem sync`, `tandem conflicts`, `tandem device`: the hub side of the command.

Registered by cli.py; the work is done in services/sync.py. Exit codes beyond cli.py's: 3 the hub
revoked this device (wipe the local copy), 4 the hub is unreachable (try again later), 5 this
release is too old for the hub. The outbox is kept in every failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..settings import Settings
from ..sync.errors import DeviceRevoked, HubUnreachable, SyncError, UpdateRequired
from .common import EXIT_OK, NBSP, opened
from .output import print_json, table

EXIT_REVOKED, EXIT_UNREACHABLE, EXIT_UPDATE = 3, 4, 5
ENV_HUB_CA = "TANDEM_HUB_CA_FILE"


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sub = command("enroll", "relier ce poste au hub avec un code d’enrôlement")
    sub.add_argument("--hub", required=True, metavar="URL", help="adresse du hub, par exemple https://hub.exemple.fr")
    sub.add_argument("--code", required=True, metavar="CODE", help="code d’enrôlement à usage unique")
    sub.add_argument("--name", metavar="NOM", help="nom de ce poste (sinon le nom du conseiller et de sa structure)")
    sub.add_argument("--insecure-http", action="store_true",
                     help=f"accepter une adresse http:// non chiffrée d’une autre machine (réseau de confiance "
                          f"seulement{NBSP}: le jeton et les fiches passent en clair)")
    sub.add_argument("--hub-ca", metavar="FICHIER", default=os.environ.get(ENV_HUB_CA) or None,
                     help=f"certificat (PEM) de l’autorité qui a signé celui du hub, s’il n’est pas reconnu par le "
                          f"système{NBSP}; sinon ${ENV_HUB_CA}")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("sync", "synchroniser maintenant avec le hub")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("conflicts", "lister les conflits de synchronisation")
    sub.add_argument("--all", action="store_true", help="inclure les conflits déjà traités")
    sub.add_argument("--resend", metavar="ID", help="renvoyer au hub une modification refusée ou mise de côté "
                                                     "(après avoir corrigé la fiche)")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = command("device", "afficher l’identité de ce poste auprès du hub")
    sub.add_argument("--json", action="store_true", help="sortie JSON")


def exit_code(error: SyncError) -> int | None:
    """The dedicated exit code of a sync failure, or None for the generic refusal (1)."""
    if isinstance(error, DeviceRevoked):
        return EXIT_REVOKED
    if isinstance(error, HubUnreachable):
        return EXIT_UNREACHABLE
    if isinstance(error, UpdateRequired):
        return EXIT_UPDATE
    return None


def _hub_ca(path: str | None) -> str | None:
    """The PEM text of --hub-ca, checked, or None."""
    if not path:
        return None
    try:
        text = Path(path).expanduser().read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SyncError(f"Certificat d’autorité du hub illisible{NBSP}: {path}.") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise SyncError(f"Certificat d’autorité du hub invalide{NBSP}: {path} n’est pas un certificat PEM.")
    return text


def cmd_enroll(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import sync as sync_service  # httpx and the sync engine: only for the commands using them

    tls_ca_pem = _hub_ca(args.hub_ca)
    with opened(settings) as profile:
        info = sync_service.enroll(profile, args.hub, args.code, device_name=args.name,
                                   insecure_http=args.insecure_http, tls_ca_pem=tls_ca_pem)
    if args.json:
        print_json(info.as_dict())
        return EXIT_OK
    where = "le trousseau du système" if info.token_storage == "keyring" else "la base chiffrée"
    role = " (administrateur du hub)" if info.is_admin else ""
    print(f"Poste relié au hub {info.hub_url}{role}.\nAppareil{NBSP}: {info.device_id}\n"
          f"Structure{NBSP}: {info.structure_id}\nJeton rangé dans {where}.")
    if info.previous_device_id:
        print(f"L’ancien appareil {info.previous_device_id} reste actif au hub{NBSP}: demandez à l’administrateur "
              f"de le révoquer (tandem-hub revoke {info.previous_device_id}).")
    if info.insecure_http:
        print(f"Attention{NBSP}: connexion non chiffrée (http://), acceptée à votre demande. Le jeton et les fiches "
              "passent en clair sur le réseau.", file=sys.stderr)
    return EXIT_OK


def _print_charters(charters: dict[str, Any]) -> None:
    """The charters' part of the sync (sync/attachments.py), only when something moved or failed."""
    counts = [charters.get(key) or 0 for key in ("announced", "received", "uploaded_files", "downloaded_files")]
    if any(counts):
        print(f"Chartes{NBSP}: {counts[0]} envoyée(s), {counts[1]} reçue(s){NBSP}; fichiers{NBSP}: {counts[2]} "
              f"envoyé(s), {counts[3]} reçu(s)")
    if charters.get("deferred"):
        print(f"Fichiers de chartes{NBSP}: la suite à la prochaine synchronisation (ce qui est arrivé est gardé).")
    if charters.get("refused"):
        print(f"Chartes refusées par le hub{NBSP}: {charters['refused']} (le motif est affiché sur chacune).")
    for error in charters.get("errors") or []:
        print(error, file=sys.stderr)


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import sync as sync_service

    with opened(settings) as profile:
        report = sync_service.sync_now(profile)
        status = sync_service.sync_status(profile)
    if args.json:
        print_json({**report.as_dict(), "pending_changes": status.pending_changes,
                     "conflicts_open": status.conflicts_open, "flags_open": status.flags_open})
        return EXIT_OK
    print(f"Envoyées{NBSP}: {report.pushed}\nReçues{NBSP}: {report.pulled}\nNouveaux conflits{NBSP}: "
          f"{report.conflicts_new}\nRefusées{NBSP}: {report.refused}\nAlertes{NBSP}: {report.flags}")
    if report.set_aside:
        print(f"Mises de côté (trop volumineuses){NBSP}: {report.set_aside} — voir tandem conflicts.")
    if report.kept:
        print(f"À renvoyer à la prochaine synchronisation{NBSP}: {report.kept}"
              + (f" ({report.kept_reason.rstrip('. ')})" if report.kept_reason else "") + ".")
    _print_charters(report.charters or {})
    if report.check_note:
        print(report.check_note, file=sys.stderr)
    if status.conflicts_open:
        print(f"{status.conflicts_open} conflit(s) à examiner (tandem conflicts).")
    for kind, diff in report.mismatches.items():
        print(f"Écart avec le hub pour «{NBSP}{kind}{NBSP}»{NBSP}: {diff['local']['count']} fiche(s) ici, "
              f"{diff['hub']['count']} au hub.", file=sys.stderr)
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import sync as sync_service

    if args.resend:
        with opened(settings) as profile:
            sent = sync_service.resend_conflict(profile, args.resend)
        if args.json:
            print_json(sent.as_dict())
        else:
            print(f"Modification renvoyée au hub à la prochaine synchronisation ({len(sent.values)} champ(s)).")
        return EXIT_OK
    with opened(settings) as profile:
        items = sync_service.list_conflicts(profile, include_resolved=args.all)
    if args.json:
        print_json([c.as_dict() for c in items])
        return EXIT_OK
    if items:
        rows = [["Identifiant", "Type", "Fiche", "Champ", "Gardée", "Remplacée", "Traité"]]
        rows += [[c.id, c.type_label, f"{c.kind_label} {c.record_label}", c.field_label,
                  c.kept_text, c.lost_text, "oui" if c.resolved else "non"] for c in items]
        print(table(rows))
    print(f"{len(items)} conflit(s).", file=sys.stderr)
    return EXIT_OK


def cmd_device(args: argparse.Namespace, settings: Settings) -> int:
    from ..services import sync as sync_service

    with opened(settings) as profile:
        info = sync_service.device_info(profile)
    if args.json:
        print_json(info.as_dict())
        return EXIT_OK
    if not info.enrolled:
        print(f"Ce poste n’est relié à aucun hub (identifiant local{NBSP}: {info.local_device_id}).")
        return EXIT_OK
    cert = info.certificate
    lines = [("Appareil", info.device_id), ("Nom", info.device_name), ("Hub", info.hub_url),
             ("Structure", info.structure_id), ("Conseiller·ère", info.counsellor_id),
             ("Administrateur", "oui" if info.is_admin else "non"), ("Inscrit le", info.enrolled_at),
             ("Jeton", "trousseau du système" if info.token_storage == "keyring" else "base chiffrée"),
             ("Certificat", cert.get("subject")), ("Émis par", cert.get("issuer")),
             ("Valide jusqu’au", cert.get("not_after")), ("Dernière synchronisation", info.last_sync_at),
             ("Révoqué", "oui" if info.revoked else "non")]
    for label, value in lines:
        print(f"{label}{NBSP}: {value or '—'}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "enroll": cmd_enroll, "sync": cmd_sync, "conflicts": cmd_conflicts, "device": cmd_device,
}
