"""The verdict on a charter file in plain French: one place for the sentences the CLI prints and the
« Vérifier une charte » dialog shows (its headline, its list of messages, its detail rows).

People are named only when the seal's certificate chains to this device's hub CA, because only then
did the hub write those names from its own records at enrollment. Otherwise the names are quoted as
the certificate writes them, with who does (not) vouch for them; a self-signed seal says so first.

An unchanged seal is not enough to call a charter good: anyone can re-render a charter and seal it
with a key of their own. So a charter is « intact » (exit 0) only if, besides its seal covering the
whole file, it is not a different file under the id of a charter stored on this device, and — on a
device that knows a hub authority — the hub vouches for its seal or it is byte for byte a charter
stored here (a device that sealed locally before enrolling: « Sceau local »). Exit codes, in
`tandem charter verify` and its help: 0 intact; 1 modified after the seal, damaged, not sealed or
unreadable; 3 unchanged but not vouched for by the hub, or not the charter stored here under its id.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..texts.french import NBSP, quoted
from ..texts.french import long_datetime as french_datetime

if TYPE_CHECKING:
    from .names import CertificateNames
    from .signatures import SignatureCheck
    from .verify import VerifyReport

HUB_AUTHORITY = "certificat délivré par l’autorité du hub Tandem"
MSG_INTACT = f"Le sceau est intact{NBSP}: aucun octet n’a changé depuis la signature."
MSG_MODIFIED = "Le document a été modifié après le scellement."
MSG_LOCAL = f"Sceau local{NBSP}: aucune autorité ne garantit qui l’a apposé."
MSG_NO_SEAL = "Aucun sceau numérique dans ce fichier."
MSG_NOT_TANDEM = "Ce PDF porte une signature numérique, mais pas le sceau Tandem d’une charte."
MSG_NOT_PDF = f"Fichier illisible{NBSP}: ce n’est pas un PDF."
MSG_DAMAGED = (f"Le sceau ne peut pas être vérifié{NBSP}: le fichier est endommagé ou a été modifié après "
               "le scellement.")
MSG_BROKEN_PDF = "Fichier PDF illisible ou endommagé."
MSG_BYTES_CHANGED = f"Le contenu scellé ne correspond plus au sceau{NBSP}: des octets ont changé."
MSG_BAD_SIGNATURE = f"La signature du sceau est invalide{NBSP}: elle ne correspond pas à son certificat."
MSG_APPROVAL_SEAL = (f"Sceau d’une version antérieure de Tandem Desktop (signature d’approbation, sans verrou "
                     f"DocMDP){NBSP}: cette vérification détecte toute modification ultérieure, mais un lecteur PDF "
                     "ordinaire peut ne pas la signaler.")

MSG_OWN_LOCAL = (f"Sceau local{NBSP}: cette charte a été scellée avec le certificat propre au poste qui l’a faite "
                 f"(avant son enrôlement), que le hub ne garantit pas{NBSP}; le fichier est identique à celle qui "
                 "est enregistrée sur ce poste.")
MSG_NOT_VOUCHED = (f"Sceau non reconnu{NBSP}: son certificat n’a pas été délivré par l’autorité du hub de ce poste, "
                   "et ce fichier n’est pas une charte enregistrée ici. Rien ne garantit qui l’a scellé ni que son "
                   "contenu est celui qui a été signé.")
MSG_SIGNED_AS_IS = (f"Le fichier n’a pas changé depuis sa signature, mais cela ne prouve rien{NBSP}: n’importe qui "
                    "peut signer un PDF qu’il a lui-même modifié.")

INTACT, UNVOUCHED, MODIFIED, NO_SEAL, UNREADABLE = "intact", "unvouched", "modified", "no_seal", "unreadable"
LOCAL, NOT_VOUCHED, MISMATCH = "local", "not_vouched", "mismatch"
HEADLINES = {
    INTACT: "✓ Sceau intact",
    LOCAL: f"✓ Sceau local intact{NBSP}: charte enregistrée sur ce poste",
    UNVOUCHED: "⚠ Sceau intact, mais son origine n’est pas garantie",
    NOT_VOUCHED: f"⚠ Sceau non reconnu{NBSP}: ni le hub ni ce poste ne le garantissent",
    MISMATCH: "✗ Ce n’est pas la charte enregistrée sur ce poste",
    MODIFIED: "✗ Document modifié après le scellement",
    NO_SEAL: "Aucun sceau",
    UNREADABLE: "✗ Fichier illisible",
}
EXIT_CODES = {INTACT: 0, LOCAL: 0, UNVOUCHED: 0, MODIFIED: 1, NO_SEAL: 1, UNREADABLE: 1, NOT_VOUCHED: 3, MISMATCH: 3}


def kind(report: VerifyReport) -> str:
    """The verdict (module docstring), most serious first: modified; a different file under a stored
    charter's id; intact and vouched for by the hub; this device's own local seal; not vouched for
    where a hub authority is known; intact, nobody to vouch (no hub known); no seal; unreadable."""
    if report.sealed:
        if report.modified_after_seal or not report.intact:
            return MODIFIED
        if report.differs_from_local:
            return MISMATCH
        if report.chains_to_hub:
            return INTACT
        if report.matches_local:
            return LOCAL
        return NOT_VOUCHED if report.hub_known else UNVOUCHED
    if report.signatures or MSG_NO_SEAL in report.messages:
        return NO_SEAL
    return UNREADABLE


def exit_code(report: VerifyReport) -> int:
    """What `tandem charter verify` exits with (0, 1 or 3, module docstring)."""
    return EXIT_CODES[kind(report)]


def headline(report: VerifyReport) -> str:
    return HEADLINES[kind(report)]


def failure(report: VerifyReport) -> str:
    """Why a report is not OK, in one sentence (the CLI's error line)."""
    if report.sealed and MSG_MODIFIED in report.messages:
        return MSG_MODIFIED
    return report.messages[0] if report.messages else "sceau invalide."


def messages(report: VerifyReport) -> list[str]:
    """The sentences of a report whose signatures were checked, most important first."""
    if not report.sealed:
        return [MSG_NOT_TANDEM, *(_later_signature(check, first=True) for check in report.signatures)]
    seal = report.signatures[0]
    verdict = kind(report)
    lines = {MISMATCH: [_mismatch(report)], NOT_VOUCHED: [MSG_NOT_VOUCHED], LOCAL: [MSG_OWN_LOCAL]}.get(
        verdict, [MSG_LOCAL] if report.self_signed else [])
    if verdict == MODIFIED:
        lines += [MSG_MODIFIED, _what_changed(report, seal)]
    else:  # « intact » only where the verdict is
        lines.append(MSG_INTACT if EXIT_CODES[verdict] == 0 else MSG_SIGNED_AS_IS)
    lines.append(seal_origin(report) + ".")
    if report.certification is False:
        lines.append(MSG_APPROVAL_SEAL)
    lines.extend(_later_signature(check) for check in report.later_signatures)
    if report.signed_at:
        lines.append(f"Date du sceau{NBSP}: {french_datetime(datetime.fromisoformat(report.signed_at))}.")
    if report.template or report.charter_id:
        charter = f"charte {report.charter_id}" if report.charter_id else ""
        if charter and report.number:  # the number people read, then the id it stands for
            charter = f"charte n°{NBSP}{report.number} ({report.charter_id})"
        parts = [f"modèle {report.template}" if report.template else "", charter]
        lines.append(f"Document{NBSP}: {', '.join(p for p in parts if p)}.")
    return lines


def register_lines(report: VerifyReport) -> list[str]:
    """What this device's register says of the file (the last lines, also under a damaged seal)."""
    if report.matches_local:
        when = f" (signée le {report.local_signed_on})" if report.local_signed_on else ""
        return [f"Identique à la charte enregistrée sur ce poste{when}."]
    if report.differs_from_local and kind(report) != MISMATCH:  # a mismatch says it first already
        return [f"Différent de la charte {report.charter_id} enregistrée sur ce poste."]
    return []


def _mismatch(report: VerifyReport) -> str:
    label = f"n°{NBSP}{report.number}" if report.number else (report.charter_id or "")
    return (f"Ce fichier n’est pas la charte {label} enregistrée sur ce poste{NBSP}: il en porte le numéro, mais "
            "son contenu en diffère. Fiez-vous à la charte enregistrée ici, pas à ce fichier.")


def _what_changed(report: VerifyReport, seal: SignatureCheck) -> str:
    if not seal.intact:
        return MSG_BYTES_CHANGED
    if not seal.valid:
        return MSG_BAD_SIGNATURE
    after = report.revisions_after_seal
    if after == 0:
        return f"Le sceau ne couvre pas tout le fichier{NBSP}: des données ont été ajoutées après lui."
    signed = len(report.later_signatures)
    if signed == 0:
        detail = "aucune n’est signée" if after > 1 else "elle n’est pas signée"
    else:
        detail = f"dont {signed} signée{'s' if signed > 1 else ''}"
    plural = "s" if after > 1 else ""
    return (f"Le sceau ne couvre pas tout le fichier{NBSP}: {after} mise{plural} à jour ajoutée{plural} "
            f"après lui ({detail}).")


def seal_origin(report: VerifyReport) -> str:
    """Who sealed, as far as anyone vouches for it (a sentence without its final period)."""
    names = report.signatures[0].names if report.signatures else None
    if names is None:
        return "Signataire inconnu"
    if not report.intact:  # a broken signature proves nothing about who made it
        return (f"Certificat portant les noms {quoted(names.as_written())}, délivré par {quoted(names.issuer)}"
                f"{NBSP}: le sceau étant altéré, ces noms ne sont pas garantis")
    return _origin(names, report.chains_to_hub, sealed=True)


def _origin(names: CertificateNames, chains_to_hub: bool | None, *, sealed: bool) -> str:
    verb = "Scellé" if sealed else "Signée"
    if chains_to_hub and names.hub_layout:
        return f"{verb} par {_person_and_structure(names)} ({HUB_AUTHORITY})"
    if chains_to_hub:  # a hub certificate of an earlier release: its CN is the device's own name
        structure = f" de {names.organization}" if names.organization else ""
        return (f"{verb} depuis un poste{structure} enrôlé auprès du hub ({HUB_AUTHORITY}){NBSP}; ce certificat "
                f"d’une version antérieure nomme le poste, {quoted(names.common_name)}, pas le conseiller")
    if names.local:
        return f"{verb} avec le certificat local d’un poste non enrôlé{NBSP}: personne ne garantit qui l’a utilisé"
    if names.self_signed:
        return (f"Certificat portant les noms {quoted(names.as_written())}, mais délivré par lui-même{NBSP}: "
                "personne ne garantit ces noms")
    if chains_to_hub is None:
        return (f"Certificat portant les noms {quoted(names.as_written())}, délivré par {quoted(names.issuer)}{NBSP}; "
                f"l’autorité du hub n’est pas connue sur ce poste{NBSP}: l’origine n’a pas pu être vérifiée et ces "
                "noms ne sont pas garantis")
    return (f"Certificat portant les noms {quoted(names.as_written())}, délivré par {quoted(names.issuer)}, qui n’est "
            f"pas l’autorité du hub de ce poste{NBSP}: ces noms ne sont pas garantis")


def _person_and_structure(names: CertificateNames) -> str:
    return ", ".join(part for part in (names.person, names.organization) if part)


def _later_signature(check: SignatureCheck, *, first: bool = False) -> str:
    what = "Horodatage" if check.timestamp else "Signature"
    where = f"{what} du champ {quoted(check.field_name)}" + ("" if first else " ajoutée après le sceau")
    if check.unreadable or check.names is None:
        return f"{where}{NBSP}: illisible, impossible à vérifier."
    if not (check.intact and check.valid):  # a broken signature vouches for no name
        return f"{where}{NBSP}: invalide (certificat portant les noms {quoted(check.names.as_written())})."
    origin = _origin(check.names, check.trusted, sealed=False)
    return f"{where}{NBSP}: {origin[0].lower()}{origin[1:]}{NBSP}; intacte."


def sealer_summary(names: CertificateNames | None, *, self_signed: bool) -> str:
    """Who this device seals as, right after sealing (the hub vouches for its own certificate)."""
    if names is None:
        return "certificat illisible"
    if self_signed:
        return f"certificat local non enrôlé{NBSP}: personne ne garantit qui a apposé ce sceau"
    who = _person_and_structure(names) if names.hub_layout else f"poste {quoted(names.common_name)}"
    return f"{who} (certificat délivré par le hub)"


def authority_text(report: VerifyReport) -> str:
    """The « Autorité » detail row: who vouches for the seal's certificate."""
    names = report.signatures[0].names if report.sealed and report.signatures else None
    if names is None:
        return "—"
    if report.self_signed:
        return f"Aucune{NBSP}: certificat auto-signé, que personne ne garantit"
    if not report.intact:
        return f"{quoted(names.issuer)}{NBSP}: impossible à vérifier, le sceau est altéré"
    if report.chains_to_hub:
        return "L’autorité du hub Tandem de ce poste"
    if report.chains_to_hub is None:
        return f"{quoted(names.issuer)}{NBSP}: impossible à vérifier, ce poste n’est pas enrôlé auprès d’un hub"
    return f"{quoted(names.issuer)}, qui n’est pas l’autorité du hub de ce poste"


def signer_text(report: VerifyReport) -> str:
    """The « Scellé par » detail row: a person only when the hub vouches for the name."""
    names = report.signatures[0].names if report.sealed and report.signatures else None
    if names is None:
        return "—"
    if not report.intact:
        return f"{quoted(names.as_written())} (nom non garanti, le sceau est altéré)"
    if report.chains_to_hub and names.hub_layout:
        return _person_and_structure(names)
    if report.chains_to_hub:
        return f"Un poste de {names.organization}" if names.organization else "Un poste enrôlé auprès du hub"
    if names.local:
        return "Un poste non enrôlé (certificat local)"
    return f"{quoted(names.as_written())} (nom non garanti)"


def signatures_text(report: VerifyReport) -> str:
    """The « Signatures » detail row: how many, and how many after the seal."""
    count = len(report.signatures)
    later = len(report.later_signatures) if report.sealed else count
    if not report.sealed:
        return str(count) if count else "—"
    if later == 0:
        return "1 (le sceau)"
    return f"{count}{NBSP}: le sceau et {later} ajoutée{'s' if later > 1 else ''} après lui"


def seal_kind_text(report: VerifyReport) -> str:
    if not report.sealed or report.certification is None:
        return "—"
    if report.certification:
        return f"Certification (DocMDP){NBSP}: aucune modification permise"
    return "Approbation (version antérieure de Tandem Desktop)"
