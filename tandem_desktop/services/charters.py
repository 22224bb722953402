"""Charter use cases: print one, seal one signed on screen, record one signed in ink, check a file.

The GUI and the CLI call only this. Everything that can refuse (missing data, a bad signature image or
scan, an ended tandem) is checked before anything is written; the charter row and the tandem's move to
« charte signée » then commit in one transaction. PDFs stay inside the encrypted database: files are
written only where the counsellor asks, and atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from ..charter.context import CharterContext, CharterRecords, MissingData, build_context
from ..charter.render import PARTIES, PARTY_LABELS, Signature, render_charter, verification_code
from ..charter.seal import SealIdentity, new_local_identity, seal_pdf
from ..charter.template import DEFAULT_TEMPLATE, Template, load_template
from ..charter.verify import LocalCopy, VerifyReport, verify_pdf
from ..domain.errors import DomainError
from ..domain.files import JPEG, PNG, media_type
from ..domain.ids import new_id
from ..store import charters as charter_store
from ..store.charters import StoredCharter
from ..store.errors import NotFound
from ..store.files import write_private
from ..store.repository import Store
from ..texts.french import NBSP
from .charter_check import HubCheck, ask_hub, hub_address
from .charter_texts import french_date as _french_date
from .charter_texts import latest_text
from .records import Actor, Records

__all__ = ["CharterError", "CharterService", "StoredCharter", "device_identity", "hub_ca_pem", "image_kind",
           "load_records", "local_identity", "scan_kind", "write_atomically"]

META_LOCAL_KEY = "charter_local_key_pem"
META_LOCAL_CERT = "charter_local_cert_pem"
MAX_SCAN_BYTES = 20 * 1024 * 1024  # what the hub takes (PROTOCOL.md, "Charters and attachments")
SEAL_REASON = "Charte du tandem signée par les parties"


class CharterError(DomainError):
    """A charter that cannot be made or recorded; the message is French and says what to do."""


def load_records(store: Store, tandem_id: str) -> CharterRecords:
    """The tandem and its people, for charter/ (which takes plain data). The counsellor is the
    tandem's, else the mentee's; the structure is the tandem's, else the counsellor's, else the mentee's."""
    tandem = store.get("tandem", tandem_id)
    mentee = _get(store, "mentee", tandem.get("mentee_id"))
    counsellor = _get(store, "counsellor", tandem.get("counsellor_id") or (mentee or {}).get("counsellor_id"))
    structure_id = (tandem.get("structure_id") or (counsellor or {}).get("structure_id")
                    or (mentee or {}).get("structure_id"))
    return CharterRecords(tandem=tandem, mentee=mentee, mentor=_get(store, "mentor", tandem.get("mentor_id")),
                          counsellor=counsellor, structure=_get(store, "structure", structure_id))


def _get(store: Store, kind: str, record_id: str | None) -> dict | None:  # type: ignore[type-arg]
    if not record_id:
        return None
    try:
        return store.get(kind, record_id)
    except NotFound:  # deleted since: the charter treats it as missing
        return None


def local_identity(store: Store, device_id: str | None = None) -> SealIdentity:
    """This device's self-signed seal identity, made on first use and kept in the encrypted meta table."""
    with store.transaction():
        key_pem, cert_pem = store.meta_value(META_LOCAL_KEY), store.meta_value(META_LOCAL_CERT)
        if not key_pem or not cert_pem:
            key_pem, cert_pem = new_local_identity(device_id or store.device_id, datetime.now(UTC))
            store.set_meta_value(META_LOCAL_KEY, key_pem)
            store.set_meta_value(META_LOCAL_CERT, cert_pem)
    return SealIdentity(key_pem=key_pem, cert_pem=cert_pem, chain_pem=[], self_signed=True)


def device_identity(store: Store) -> SealIdentity:
    """The hub-issued identity when this device is enrolled (and not revoked), else the local one."""
    state = store.remote.state()
    key_pem, cert_pem = state.get("private_key_pem"), state.get("certificate_pem")
    if key_pem and cert_pem and state.get("revoked") != "1":
        chain = [state["ca_pem"]] if state.get("ca_pem") else []
        return SealIdentity(key_pem=key_pem, cert_pem=cert_pem, chain_pem=chain, self_signed=False)
    return local_identity(store, store.device_id)


def verify_page(store: Store) -> str | None:
    """The hub's verification page (« https://hub…/charte ») when this device is enrolled and not
    revoked: the charter's QR code and footer lead there. None before enrollment."""
    state = store.remote.state()
    if state.get("device_id") and state.get("hub_url") and state.get("revoked") != "1":
        return state["hub_url"].rstrip("/") + "/charte"
    return None


def hub_ca_pem(store: Store) -> str | None:
    """The hub CA this device trusts (received at enrollment), to check where a seal comes from."""
    return store.remote.state().get("ca_pem") or None


def image_kind(data: bytes) -> str | None:
    """"png" or "jpeg" from the file's first bytes (never from its name), else None."""
    return {PNG: "png", JPEG: "jpeg"}.get(media_type(data) or "")


def scan_kind(data: bytes, name: str | None = None) -> str:
    """"pdf", "png" or "jpeg" for an accepted scan; CharterError in French for anything else."""
    shown = f"«{NBSP}{name}{NBSP}»" if name else "Le fichier"
    if not data:
        raise CharterError(f"Scan refusé{NBSP}: {shown} est vide.")
    if len(data) > MAX_SCAN_BYTES:
        raise CharterError(f"Scan refusé{NBSP}: {shown} dépasse {MAX_SCAN_BYTES // (1024 * 1024)}{NBSP}Mo.")
    suffix = Path(name or "").suffix.lower()
    if data.startswith(b"%PDF"):
        return "pdf"
    if suffix == ".pdf":
        raise CharterError(f"Scan refusé{NBSP}: {shown} porte l’extension .pdf mais n’est pas un PDF.")
    kind = image_kind(data)
    if kind is None:
        raise CharterError(f"Scan refusé{NBSP}: {shown} n’est ni un PDF ni une image PNG ou JPEG.")
    return kind


def write_atomically(path: Path | str, data: bytes) -> None:
    """Whoever opens the path sees the old file or the whole new one, never half a PDF; on failure
    nothing is left; the file is 0600 (a charter names people)."""
    write_private(Path(path), data)


@dataclass(frozen=True)
class _Prepared:
    template: Template
    context: CharterContext
    tandem: dict


@dataclass(frozen=True)
class SigningSetup:
    """What the signing dialogs need, read on the worker: who signs, where, with which certificate."""

    parties: list[tuple[str, str]]
    place: str
    local_certificate: bool


class CharterService:
    """Charters of the tandems in one profile's encrypted store."""

    def __init__(self, store: Store, *, templates_dir: Path | None = None, records: Records | None = None):
        self.store = store
        self.records = records if records is not None else Records(store, Actor.of_store(store))
        self.templates_dir = templates_dir
        # Fetches a charter's files from the hub now (network; services/attachments.py), set by the
        # window of an enrolled device: opening a charter whose file has not arrived yet waits for it.
        self.fetch_files: Callable[[str], object] | None = None

    # -- making charters ------------------------------------------------------------------------

    def generate(self, tandem_id: str, *, template_id: str | None = None, today: date | None = None,
                 place: str | None = None) -> bytes:
        """The unsigned charter, for printing and signing in ink; nothing is stored."""
        prepared = self._prepare(tandem_id, template_id, today or self.store.today(), place)
        charter_id = new_id()
        return render_charter(prepared.template, prepared.context, charter_id=charter_id,
                              verification_code=verification_code(charter_id), signed_place=place,
                              created_at=_now(), verify_url=verify_page(self.store))

    def seal(self, tandem_id: str, signatures: Sequence[Signature], *, place: str | None = None,
             today: date | None = None, template_id: str | None = None) -> StoredCharter:
        """Render with the drawn signatures, seal with this device's identity, store, mark signed."""
        signed_on = today or self.store.today()
        prepared = self._prepare(tandem_id, template_id, signed_on, place)
        for signature in signatures:
            if signature.image is None and not signature.strokes:
                label = PARTY_LABELS.get(signature.party, signature.party)
                raise CharterError(f"Signature vide ({label}){NBSP}: dessinez-la ou retirez-la.")
        charter_id = new_id()
        code = verification_code(charter_id)
        signed_place = self._place(prepared, place)
        moment = _now()  # the PDF's creation date and the seal's time: one moment, never out of order
        rendered = render_charter(prepared.template, prepared.context, charter_id=charter_id,
                                  verification_code=code, signatures=tuple(signatures), signed_on=signed_on,
                                  signed_place=signed_place, created_at=moment,
                                  verify_url=verify_page(self.store))  # refuses a bad party or image
        identity = self.identity()  # only now: a refused charter must not even create the local key
        sealed = seal_pdf(rendered, identity, reason=SEAL_REASON, location=signed_place, signing_time=moment)
        return self._store(prepared, charter_id, code, "screen", sealed, signed_on, signed_place,
                           sealed_by=identity.subject, self_signed=identity.self_signed, created_at=moment)

    def record_ink_signature(self, tandem_id: str, *, signed_on: date, place: str | None,
                             scan: bytes | None = None, scan_name: str | None = None,
                             template_id: str | None = None, number: str | None = None) -> StoredCharter:
        """A charter printed and signed by hand: keep the reference text (and the scan if given).

        `number` is the one printed on the signed paper (each printed copy gets its own): the charter
        recorded here then carries it, so the paper and the app name the charter alike.
        """
        if signed_on > self.store.today():
            raise CharterError(f"Date de signature invalide{NBSP}: elle ne peut pas être dans le futur.")
        if scan is not None:
            scan_kind(scan, scan_name)
        code = self._printed_number(number) if number and number.strip() else None
        prepared = self._prepare(tandem_id, template_id, signed_on, place)
        _check_not_before_steps(prepared.tandem, signed_on)
        charter_id = new_id()
        code = code or verification_code(charter_id)
        signed_place = self._place(prepared, place)
        moment = _now()
        reference = render_charter(prepared.template, prepared.context, charter_id=charter_id,
                                   verification_code=code, signed_on=signed_on, signed_place=signed_place,
                                   created_at=moment, verify_url=verify_page(self.store))
        return self._store(prepared, charter_id, code, "ink", reference, signed_on, signed_place,
                           scan=scan, scan_name=(scan_name or None) if scan is not None else None,
                           created_at=moment)

    # -- reading and checking -------------------------------------------------------------------

    def signing_setup(self, tandem_id: str) -> SigningSetup:
        """Check the records first (MissingData before anyone signs); a missing place only is fine, it is asked."""
        template = load_template(DEFAULT_TEMPLATE, directory=self.templates_dir)
        records = load_records(self.store, tandem_id)
        try:
            context = build_context(records, self.store.today(), template)
        except MissingData:
            context = build_context(records, self.store.today(), template, place="?")  # what else
            context = replace(context, values={**context.values, "charter.place": ""})
        names = [(party, context.values.get(f"{party}.full_name") or "") for party in PARTIES]
        return SigningSetup(names, context.values.get("charter.place", ""), self.identity().self_signed)

    def identity(self) -> SealIdentity:
        """What seals on this device: the hub-issued certificate once enrolled, else the local one."""
        return device_identity(self.store)

    def charters_of(self, tandem_id: str) -> list[StoredCharter]:
        return charter_store.charters_of(self.store, tandem_id)

    def status_text(self, tandem_id: str, stored: Sequence[StoredCharter] | None = None) -> str:
        """Where the tandem's charter is, in one French sentence: here (and at the hub), on paper, or
        on its way from another device.

        Charters travel through the hub (PROTOCOL.md, "Charters and attachments"); the tandem's
        `charter_signed_on` comes with the records, so a date without a charter here yet is told apart
        by who wrote it (see signing_date_device).
        """
        stored = self.charters_of(tandem_id) if stored is None else stored
        tandem = self.store.get("tandem", tandem_id)
        ended = tandem.get("status") == "ended"
        if stored:
            return latest_text(stored, enrolled=bool(self.store.remote.state().get("device_id")))
        signed_on = tandem.get("charter_signed_on")
        if signed_on:
            day = _french_date(signed_on)
            device = charter_store.signing_date_device(self.store, tandem_id)
            if device is not None and device != self.store.device_id:
                return (f"Charte signée le {day} sur un autre poste{NBSP}: elle arrivera ici par le hub à la "
                        "prochaine synchronisation des deux postes (si elle y a été enregistrée).")
            text = f"Charte signée sur papier le {day}{NBSP}: aucun exemplaire n’est enregistré dans Tandem Desktop."
            return text if ended else text + f" Pour en garder la trace, utilisez «{NBSP}Signée à l’encre…{NBSP}»."
        if tandem.get("status") in ("charter_signed", "active"):
            return (f"Étape «{NBSP}charte signée{NBSP}» sans date de signature{NBSP}: la charte n’est pas "
                    "enregistrée sur ce poste (signée sur papier ou sur un autre poste).")
        return "Ce tandem s’est terminé sans charte signée." if ended else "Aucune charte signée pour l’instant."

    def charter(self, charter_id: str) -> StoredCharter:
        """By its id or by its number as a person reads it (« k7q4 9xpm » finds K7Q4-9XPM)."""
        number = charter_number(charter_id)
        if number is not None:
            found = charter_store.find_by_number(self.store, number)
            if found is not None:
                return found
        return charter_store.get_charter(self.store, charter_id)

    def pdf(self, charter_id: str) -> bytes:
        return charter_store.charter_pdf(self.store, self.charter(charter_id).id)

    def scan(self, charter_id: str) -> tuple[bytes, str | None] | None:
        return charter_store.charter_scan(self.store, self.charter(charter_id).id)

    def verify(self, pdf: bytes) -> VerifyReport:
        """verify_pdf against this device's hub CA and its register of charters (charter/verdict.py)."""
        return verify_pdf(pdf, hub_ca_pem=hub_ca_pem(self.store), register=self._local_copy)

    def hub_check(self, number: str | None, sha256: str | None = None) -> HubCheck:
        """What the hub says of this number (network: the caller's network lane); never raises."""
        return ask_hub(hub_address(self.store), number, sha256)

    # -- internals ------------------------------------------------------------------------------

    def _prepare(self, tandem_id: str, template_id: str | None, today: date, place: str | None) -> _Prepared:
        records = load_records(self.store, tandem_id)
        if records.tandem["status"] == "ended":
            raise CharterError(f"Ce tandem est terminé{NBSP}: sa charte ne peut plus être signée.")
        template = load_template(template_id or DEFAULT_TEMPLATE, directory=self.templates_dir)
        context = build_context(records, today, template, place=place)
        return _Prepared(template, context, records.tandem)

    def _printed_number(self, text: str) -> str:
        number = charter_number(text)
        if number is None:
            raise CharterError(f"Numéro de charte invalide{NBSP}: «{NBSP}{text.strip()}{NBSP}». Il s’écrit en huit "
                               f"caractères, comme K7Q4-9XPM, en tête et en pied de chaque page de la charte.")
        if charter_store.find_by_number(self.store, number) is not None:
            raise CharterError(f"Le numéro {number} est déjà celui d’une charte enregistrée sur ce poste{NBSP}: "
                               "vérifiez-le sur l’exemplaire signé.")
        return number

    @staticmethod
    def _place(prepared: _Prepared, place: str | None) -> str | None:
        return (place or "").strip() or prepared.context.values.get("charter.place") or None

    def _local_copy(self, charter_id: str | None, sha256: str) -> LocalCopy:
        """Is this file byte for byte a charter stored here, or another file under a stored id?"""
        match = charter_store.find_by_sha256(self.store, sha256, charter_id)
        if match is not None:
            return LocalCopy(identical=True, id_stored=True, signed_on=_french_date(match.signed_on))
        return LocalCopy(identical=False, id_stored=bool(charter_id) and self._known(charter_id or ""))

    def _known(self, charter_id: str) -> bool:
        try:
            self.charter(charter_id)
        except DomainError:
            return False
        return True

    def _store(self, prepared: _Prepared, charter_id: str, code: str, mode: str, pdf: bytes, signed_on: date,
               signed_place: str | None, *, sealed_by: str | None = None, self_signed: bool | None = None,
               scan: bytes | None = None, scan_name: str | None = None,
               created_at: datetime | None = None) -> StoredCharter:
        values = {
            "id": charter_id, "tandem_id": prepared.tandem["id"], "template_id": prepared.template.id,
            "template_version": prepared.template.version, "verification_code": code, "mode": mode, "pdf": pdf,
            "sha256": hashlib.sha256(pdf).hexdigest(), "signed_on": signed_on.isoformat(),
            "signed_place": signed_place, "scan": scan, "scan_name": scan_name, "sealed_by": sealed_by,
            "self_signed": self_signed, "created_at": (created_at or _now()).isoformat(),
            "device_id": self.store.device_id,
        }
        with self.store.transaction():
            stored = charter_store.insert_charter(self.store, values)
            _mark_signed(self.records, prepared.tandem["id"], signed_on)
        return stored


def charter_number(text: str) -> str | None:
    """« k7q4 9xpm », « K7Q49XPM » → « K7Q4-9XPM »; None when `text` cannot be a charter number."""
    from ..charter.render import CODE_ALPHABET

    letters = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    if len(letters) != 8 or any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


def _now() -> datetime:
    """UTC, to the second: what a PDF date can hold, so the file and the charter row say the same."""
    return datetime.now(UTC).replace(microsecond=0)


def _check_not_before_steps(tandem: dict, signed_on: date) -> None:
    for name, label in (("proposed_on", "la proposition"), ("accepted_on", "l’acceptation")):
        if tandem.get(name) and signed_on.isoformat() < tandem[name]:
            raise CharterError(f"Date de signature invalide{NBSP}: elle précède {label} du tandem "
                               f"({_french_date(tandem[name])}).")


def _mark_signed(records: Records, tandem_id: str, signed_on: date) -> None:
    """Step by step to « charte signée » (the lifecycle allows no jump); a later step stays as it is."""
    status = records.store.get("tandem", tandem_id)["status"]
    if status == "proposed":
        records.move_tandem(tandem_id, "accepted", accepted_on=signed_on.isoformat())
        status = "accepted"
    if status == "accepted":
        records.move_tandem(tandem_id, "charter_signed", charter_signed_on=signed_on.isoformat())
    elif status == "charter_signed":  # signed again (a new template version): the latest date counts
        records.update("tandem", tandem_id, {"charter_signed_on": signed_on.isoformat()})
