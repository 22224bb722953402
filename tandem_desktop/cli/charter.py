"""`tandem charter generate|seal|verify|list|export`: the tandem's charter from the command line.

Registered by cli.py; the work is done in services/charters.py. Files are written atomically, and
only once everything else succeeded: after an error there is no output file, not even a temporary one.
`verify` exits 0 only for a sealed file unchanged since its seal, vouched for by the hub (or, on a
device that knows none, by nobody: it says so) or stored here; 1 when anything was changed or added
after the seal (signed or not), or the file is not sealed or unreadable; 3 when it is unchanged but
not vouched for by this device's hub and not stored here, or another file under the id of a charter
stored here (charter/verdict.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..settings import Settings
from ..store.errors import StoreError
from .common import EXIT_OK, EXIT_REFUSED, NBSP, opened
from .output import print_json, table

if TYPE_CHECKING:  # pyHanko takes a third of a second to import: only charter commands pay for it
    from ..services.charter_check import HubCheck
    from ..services.charters import CharterService
    from ..store.charters import StoredCharter

PARTIES = ("mentee", "mentor", "counsellor")  # = charter.render.PARTIES (a test checks), without importing it


def _signature(text: str) -> tuple[str, Path]:
    party, sep, path = text.partition("=")
    if not sep or party.strip() not in PARTIES or not path:
        raise argparse.ArgumentTypeError(f"partie=IMAGE attendu, partie parmi {', '.join(PARTIES)}{NBSP}: "
                                         f"pas «{NBSP}{text}{NBSP}»")
    return party.strip(), Path(path)


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    charter = command("charter", "charte du tandem (à imprimer, scellée, vérification d’un fichier)")
    subs = charter.add_subparsers(dest="charter_command", metavar="ACTION", required=True)
    sub = subs.add_parser("generate", help="écrire la charte non signée, à imprimer et signer à la main")
    sub.add_argument("tandem_id", metavar="TANDEM_ID")
    sub.add_argument("--out", required=True, metavar="FICHIER.pdf", help="fichier PDF à écrire")
    sub.add_argument("--place", metavar="LIEU", help="lieu de signature (sinon la commune de la structure)")
    sub.add_argument("--template", metavar="MODÈLE", help="identifiant du modèle (sinon charte-tandem)")
    sub = subs.add_parser("seal", help="signer, sceller et enregistrer la charte ; le tandem passe à « charte signée »")
    sub.add_argument("tandem_id", metavar="TANDEM_ID")
    sub.add_argument("--out", required=True, metavar="FICHIER.pdf", help="copie du PDF scellé à écrire")
    sub.add_argument("--signature", action="append", type=_signature, default=[], metavar="PARTIE=IMAGE",
                     help=f"image PNG ou JPEG de la signature{NBSP}; parties{NBSP}: {', '.join(PARTIES)}")
    sub.add_argument("--place", metavar="LIEU", help="lieu de signature (sinon la commune de la structure)")
    sub.add_argument("--template", metavar="MODÈLE", help="identifiant du modèle (sinon charte-tandem)")
    sub = subs.add_parser("verify", help=VERIFY_HELP, description=VERIFY_HELP)
    sub.add_argument("file", metavar="FICHIER.pdf", nargs="?", help="le PDF à vérifier (sans lui, --numero)")
    sub.add_argument("--numero", "--number", dest="number", metavar="N°",
                     help="numéro imprimé sur la charte (K7Q4-9XPM), pour demander au hub sans fichier")
    sub.add_argument("--hors-ligne", "--offline", dest="offline", action="store_true",
                     help="ne pas demander au hub (vérification du fichier seulement)")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = subs.add_parser("list", help="chartes enregistrées d’un tandem")
    sub.add_argument("tandem_id", metavar="TANDEM_ID")
    sub.add_argument("--json", action="store_true", help="sortie JSON")
    sub = subs.add_parser("export", help="écrire le PDF (ou le scan) d’une charte enregistrée")
    sub.add_argument("charter_id", metavar="CHARTE", help="numéro de la charte (K7Q4-9XPM) ou son identifiant")
    sub.add_argument("--out", required=True, metavar="FICHIER", help="fichier à écrire")
    sub.add_argument("--scan", action="store_true", help="le scan de la charte signée à la main")


VERIFY_HELP = (f"vérifier le sceau d’un PDF de charte, et demander au hub (en ligne) s’il connaît son numéro. Code "
               f"de sortie{NBSP}: 0 intact (garanti par le hub, ou charte enregistrée sur ce poste){NBSP}; 1 modifié "
               f"après le scellement, endommagé, sans sceau ou illisible{NBSP}; 3 inchangé mais non garanti par le hub "
               "de ce poste, différent de la charte enregistrée ici sous ce numéro, ou d’une autre empreinte que "
               f"celle que le hub tient pour ce numéro{NBSP}; avec --numero seul{NBSP}: 0 le hub connaît ce numéro, "
               "1 il ne le connaît pas ou ne répond pas")


def _target(out: str) -> Path:
    """The output path, checked before any work so a bad path never costs a seal."""
    from ..services.charters import CharterError

    path = Path(out)
    if path.is_dir():
        raise CharterError(f"«{NBSP}{out}{NBSP}» est un dossier{NBSP}: indiquez un nom de fichier.")
    if not path.parent.is_dir():
        raise CharterError(f"Dossier introuvable{NBSP}: {path.parent}. Aucun fichier n’a été écrit.")
    return path


def cmd_charter(args: argparse.Namespace, settings: Settings) -> int:
    if args.charter_command == "verify":
        return _verify(args, settings)
    from ..charter.context import MissingData
    from ..services.charters import CharterService

    try:
        with opened(settings) as profile:
            service = CharterService(profile.store)
            if profile.store.remote.state().get("device_id"):  # a charter not here yet comes from the hub
                from ..services.attachments import fetch_charter_files

                service.fetch_files = lambda charter_id: fetch_charter_files(profile, charter_id)
            return HANDLERS[args.charter_command](args, service)
    except MissingData as exc:  # one line per gap, so the counsellor can tick them off
        print(f"Charte impossible{NBSP}: il manque{NBSP}:", file=sys.stderr)
        for item in exc.missing:
            print(f"  – {item}", file=sys.stderr)
        print("Complétez les fiches puis recommencez. Aucun fichier n’a été écrit.", file=sys.stderr)
        return EXIT_REFUSED


def _generate(args: argparse.Namespace, service: CharterService) -> int:
    from ..services.charters import write_atomically

    out = _target(args.out)
    write_atomically(out, service.generate(args.tandem_id, template_id=args.template, place=args.place))
    print(f"Charte à imprimer écrite dans {out}.")
    return EXIT_OK


def _seal(args: argparse.Namespace, service: CharterService) -> int:
    from ..charter.names import subject_names
    from ..charter.render import Signature
    from ..charter.verdict import sealer_summary
    from ..services.charters import write_atomically

    out = _target(args.out)
    signatures = [Signature(party=party, image=path.read_bytes()) for party, path in args.signature]
    stored = service.seal(args.tandem_id, signatures, place=args.place, template_id=args.template)
    try:
        write_atomically(out, service.pdf(stored.id))
    except OSError as exc:
        print(f"La charte est scellée et enregistrée dans le profil, mais {out} n’a pas pu être écrit "
              f"({exc.strerror or exc}). Reprenez-la avec{NBSP}: tandem charter export {stored.id} --out FICHIER",
              file=sys.stderr)
        return EXIT_REFUSED
    sealer = sealer_summary(subject_names(stored.sealed_by), self_signed=bool(stored.self_signed))
    print(f"Charte scellée et enregistrée{NBSP}: {out}")
    print(f"Charte n°{NBSP}{stored.verification_code} ({stored.id}) · sceau{NBSP}: {sealer}")
    print(f"Empreinte SHA-256{NBSP}: {stored.sha256}")
    return EXIT_OK


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from ..charter.verdict import exit_code, failure
    from ..charter.verify import VerifyReport, verify_pdf
    from ..services.charter_check import HubCheck, ask_hub, hub_address
    from ..services.charters import CharterError, CharterService, charter_number
    from ..store.profile import profile_exists

    number = charter_number(args.number) if args.number else None
    if args.number and number is None:
        raise CharterError(f"Numéro de charte invalide{NBSP}: «{NBSP}{args.number}{NBSP}» (huit caractères, comme "
                           "K7Q4-9XPM).")
    if args.file is None and number is None:
        raise CharterError("Indiquez le PDF à vérifier, ou --numero suivi du numéro imprimé sur la charte.")
    data = Path(args.file).read_bytes() if args.file is not None else None
    report: VerifyReport | None = None
    address = None
    if profile_exists(settings):
        try:
            with opened(settings) as profile:
                report = CharterService(profile.store).verify(data) if data is not None else None
                address = hub_address(profile.store)
        except StoreError as exc:  # locked or no passphrase: still check the seal, without the hub's CA
            print(f"Profil non ouvert ({exc}){NBSP}; vérification sans l’autorité du hub.", file=sys.stderr)
    if report is None and data is not None:
        report = verify_pdf(data)
    asked = number or (report.number if report is not None else None)
    hub = HubCheck() if args.offline else ask_hub(address, asked, report.sha256 if report is not None else None)
    if report is None:  # the number alone: what the hub says is the whole answer
        return _number_only(args, asked or "", hub)
    code = exit_code(report)
    if hub.mismatch and code == 0:
        code = 3
    if args.json:
        print_json({**dataclasses.asdict(report), "ok": code == 0, "verdict": report.kind, "exit_code": code,
                    "hub": {"asked": hub.asked, "found": hub.found, "mismatch": hub.mismatch, "lines": hub.lines}})
    else:
        print(f"Fichier{NBSP}: {args.file}")
        print(f"Empreinte SHA-256{NBSP}: {report.sha256}")
        if report.number:
            print(f"Charte n°{NBSP}{report.number}")
        for message in [*report.messages, *hub.lines]:
            print(message)
    if code != 0:
        reason = hub.lines[-1] if hub.mismatch and report.ok else failure(report)
        print(f"Vérification échouée{NBSP}: {reason}", file=sys.stderr)
    return code


def _number_only(args: argparse.Namespace, number: str, hub: HubCheck) -> int:
    from ..services.charter_check import MSG_NOT_ENROLLED, MSG_UNREACHABLE

    said = {MSG_NOT_ENROLLED: f"Hub{NBSP}: ce poste n’est pas enrôlé auprès d’un hub{NBSP}; le numéro n’a pu être "
                              "demandé à personne.",
            MSG_UNREACHABLE: f"Hub injoignable{NBSP}: le numéro n’a pas pu lui être demandé (réessayez en ligne)."}
    hub.lines = [said.get(line, line) for line in hub.lines]
    if args.json:
        print_json({"number": number, "hub": {"asked": hub.asked, "found": hub.found, "lines": hub.lines,
                                              "answer": hub.answer}})
    else:
        print(f"Charte n°{NBSP}{number}")
        for line in hub.lines:
            print(line)
    return EXIT_OK if hub.found else EXIT_REFUSED


def _plain(charter: StoredCharter) -> dict[str, object]:
    return dataclasses.asdict(charter)


def _list(args: argparse.Namespace, service: CharterService) -> int:
    found = service.charters_of(args.tandem_id)
    if args.json:
        print_json([_plain(c) for c in found])
        return EXIT_OK
    from ..services.charter_texts import hub_short_text, version_of

    rows = [["N°", "Identifiant", "Mode", "Signée le", "Lieu", "Modèle", "Sceau", "Version", "Au hub"]]
    enrolled = bool(service.store.remote.state().get("device_id"))
    for c in found:
        seal = ("local" if c.self_signed else "hub") if c.mode == "screen" else ("scan" if c.has_scan else "—")
        rows.append([c.verification_code, c.id, "écran" if c.mode == "screen" else "encre", c.signed_on,
                     c.signed_place or "", f"{c.template_id} {c.template_version}", seal,
                     str(version_of(found, c)), hub_short_text(c, enrolled)])
    if found:
        print(table(rows))
    print(f"{len(found)} charte(s).", file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace, service: CharterService) -> int:
    from ..services.charters import CharterError, write_atomically

    out = _target(args.out)
    wanted = service.charter(args.charter_id)
    if service.fetch_files is not None and (not wanted.has_pdf or (args.scan and wanted.scan_sha256
                                                                   and not wanted.has_scan)):
        print(f"Réception de la charte n°{NBSP}{wanted.verification_code} depuis le hub…", file=sys.stderr)
        service.fetch_files(wanted.id)  # a SyncError says in French why it could not come
    if args.scan:
        scan = service.scan(args.charter_id)
        if scan is None:
            raise CharterError(f"Aucun scan pour la charte {args.charter_id}.")
        data = scan[0]
    else:
        data = service.pdf(args.charter_id)
    write_atomically(out, data)
    print(f"Écrit{NBSP}: {out}")
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, CharterService], int]] = {
    "generate": _generate, "seal": _seal, "list": _list, "export": _export,
}
COMMANDS = {"charter": cmd_charter}
