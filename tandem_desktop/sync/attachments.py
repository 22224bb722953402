"""Charters and their files through the hub (PROTOCOL.md, "Charters and attachments", protocol 6).

After the records of a sync: announce the charters made here, pull the charter feed, upload the files
the hub lacks, download the files this device lacks. Every step is safe to cut: the hub lists the
chunks it holds (an upload resumes with the others), downloaded chunks are kept in the encrypted
database (`blob_parts`) until the whole file checks out. Talks only through HubClient; every store
access is handed to `database` (the caller's database lane, as services/sync.py does), never made
from the network thread. A failure here is reported, never raised (but a cancel): records and
charters stay as they were, the next sync goes on.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from threading import Event
from typing import Any

from ..domain.errors import DomainError
from ..store import charters as charter_store
from ..store.repository import Store
from ..texts.french import NBSP
from .client import CHARTERS, BlobRefused, HubClient, NotAtHub
from .errors import AuthenticationFailed, DeviceRevoked, HubError, HubUnreachable, SyncCancelled, UpdateRequired

log = logging.getLogger(__name__)

Database = Callable[[Callable[[], Any]], Any]
Progress = Callable[[str, int, int | None], None]
Cancel = Event  # what callers pass as `cancel` (services/attachments.py names it without importing threading)

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_FILE = 64 * 1024 * 1024  # a file the hub describes beyond this is not taken (the hub's own limit is 20 MiB)
ROLES = ("pdf", "scan")  # the attachments this release keeps; others (a later release's) are left at the hub
CONTENT_REFUSALS = ("forbidden", "erased", "invalid_value", "number_taken", "charter_exists")
ANNOUNCE_BATCH = 100  # the hub's maximum per POST /v1/charters
FEED_PAGE = 500  # the hub's maximum per GET /v1/charters
BUDGET_S = 45.0  # a sync's time for charter files; the rest goes at the next sync
_STOP = (DeviceRevoked, AuthenticationFailed, UpdateRequired, HubUnreachable)  # no use trying the next step
MSG_CORRUPT = (f"Un fichier de charte reçu du hub ne correspond pas à son empreinte{NBSP}: il n’a pas été gardé "
               "et sera téléchargé de nouveau à la prochaine synchronisation.")


@dataclass
class TransferReport:
    """What one transfer did; `errors` are French messages (nothing personal)."""

    announced: int = 0  # charters the hub took
    received: int = 0  # charters new to this device (metadata; their files may follow)
    uploaded_files: int = 0
    downloaded_files: int = 0
    refused: int = 0  # charters the hub refused for good (hub_message kept on the charter)
    bytes_sent: int = 0
    bytes_received: int = 0
    errors: list[str] = field(default_factory=list)
    deferred: bool = False  # the time budget ran out: the next sync goes on where this one stopped
    deadline: float | None = field(default=None, repr=False)  # time.monotonic() past which no chunk starts

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("deadline")
        return out

    def in_time(self) -> None:
        """Between two chunks: past the budget, stop here (what arrived is kept, the rest comes next)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _OutOfTime()


class _OutOfTime(Exception):
    """This sync's time for charter files is spent; not an error."""


def _check(cancel: Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise SyncCancelled()


def transfer(store: Store, client: HubClient, database: Database, cancel: Event | None = None,
             progress: Progress | None = None, budget_s: float | None = -1.0) -> TransferReport:
    """Announce, pull the feed, upload, download, on a client that has negotiated its protocol (a hub
    before protocol 6 has no charters: nothing is done). Raises only SyncCancelled. Files stop after
    `budget_s` seconds (between two chunks): a sync that moves a big scan on a slow line never holds
    back the next sync's records for long, and the next one resumes where this one stopped."""
    budget = BUDGET_S if budget_s == -1.0 else budget_s  # -1: this module's budget (None: no limit)
    report = TransferReport(deadline=None if budget is None else time.monotonic() + budget)
    if client.protocol < CHARTERS:
        return report
    sent, got = client.bytes_sent, client.bytes_received
    try:
        for step in (_announce, _pull, _upload, _download):
            try:
                step(store, client, database, report, cancel, progress)
            except SyncCancelled:
                raise
            except _OutOfTime:
                report.deferred = True
                break
            except _STOP as exc:
                report.errors.append(str(exc))
                break
            except DomainError as exc:  # one step failed (a hub error, the disk): the others may still go
                report.errors.append(str(exc))
    finally:
        report.bytes_sent = client.bytes_sent - sent
        report.bytes_received = client.bytes_received - got
    return report


def fetch_now(store: Store, client: HubClient, database: Database, charter_id: str,
              cancel: Event | None = None) -> TransferReport:
    """The missing files of one charter (a counsellor opens a charter whose PDF has not arrived),
    whatever the feed said of them. Raises the SyncError of the network or the hub (NotAtHub: the
    file is not complete at the hub yet)."""
    report = TransferReport()
    sent, got = client.bytes_sent, client.bytes_received
    try:
        for wanted in database(lambda: charter_store.missing_files(store, charter_id)):
            if _fetch(store, client, database, wanted, report, cancel) is None:
                raise NotAtHub()
    finally:
        report.bytes_sent = client.bytes_sent - sent
        report.bytes_received = client.bytes_received - got
    return report


# -- the steps ----------------------------------------------------------------------------------


def _announce(store: Store, client: HubClient, database: Database, report: TransferReport,
              cancel: Event | None, progress: Progress | None) -> None:
    """Charters made here go to the hub by batches; a refusal to retry (the tandem not there yet) stays
    'local', one for the content becomes 'refused' with the hub's message."""
    after = ""
    while True:
        _check(cancel)
        rows = database(lambda after=after: charter_store.to_announce(store, after, ANNOUNCE_BATCH))
        if not rows:
            return
        batch = [wire_charter(row, files) for row, files in rows]
        after = batch[-1]["id"]
        answer = client.announce_charters(batch)
        changes: list[tuple[str, str, str | None]] = []
        for charter, result in zip(batch, answer["results"], strict=True):
            status = result.get("status") if isinstance(result, dict) else None
            if status == "applied":
                changes.append((charter["id"], "announced", None))
                report.announced += 1
            elif status == "refused" and not _retry(result):
                message = str(result.get("message") or f"Charte refusée par le hub ({result.get('code')}).")
                changes.append((charter["id"], "refused", message[:1000]))
                report.refused += 1
                report.errors.append(message)
        database(lambda changes=changes: charter_store.set_hub_status(store, changes))
        if progress:
            progress("charters", report.announced, None)


def _retry(result: dict[str, Any]) -> bool:
    retry = result.get("retry")
    if isinstance(retry, bool):
        return retry
    return result.get("code") not in CONTENT_REFUSALS


def _pull(store: Store, client: HubClient, database: Database, report: TransferReport,
          cancel: Event | None, progress: Progress | None) -> None:
    """The charter feed from `charter_cursor`, each page stored with its new cursor in one transaction."""
    cursor = int(database(lambda: store.remote.state()).get("charter_cursor") or 0)
    while True:
        _check(cancel)
        page = client.charters(cursor, FEED_PAGE)
        new_cursor, more = page["cursor"], bool(page.get("more"))
        if new_cursor < cursor:
            raise HubError("curseur des chartes en arrière")
        _check(cancel)
        rows = [row for row in map(received_row, page["charters"]) if row is not None]
        report.received += database(lambda rows=rows, new_cursor=new_cursor: charter_store.store_received(
            store, rows, new_cursor))
        if not more:
            return
        if new_cursor == cursor:
            raise HubError("le hub annonce d’autres chartes sans avancer")
        cursor = new_cursor


def _upload(store: Store, client: HubClient, database: Database, report: TransferReport,
            cancel: Event | None, progress: Progress | None) -> None:
    """The files of announced charters: only the chunks the hub lacks. All there: 'synced'. A blob the
    hub drops (not what was announced, a seal that does not check): 'refused' with its message."""
    for charter_id, files in database(lambda: charter_store.to_upload(store)):
        try:
            done = all([_send(store, client, database, charter_id, f, report, cancel) for f in files])
        except BlobRefused as exc:
            report.errors.append(str(exc))
            if exc.code in ("blob_mismatch", "quota_exceeded"):  # dropped, or no room yet: sent again later
                continue
            _mark(store, database, charter_id, "refused", str(exc))  # a seal the hub does not vouch for
            report.refused += 1
            continue
        except NotAtHub:  # the hub no longer holds the charter (its database restored): announce it again
            _mark(store, database, charter_id, "local")
            continue
        except HubError as exc:  # this charter's files only (a size the hub disagrees with): the others go on
            report.errors.append(str(exc))
            continue
        if done:
            _mark(store, database, charter_id, "synced")
        if progress:
            progress("charters", report.uploaded_files, None)


def _mark(store: Store, database: Database, charter_id: str, status: str, message: str | None = None) -> None:
    database(lambda: charter_store.set_hub_status(store, [(charter_id, status, message)]))


def _send(store: Store, client: HubClient, database: Database, charter_id: str, file: dict[str, Any],
          report: TransferReport, cancel: Event | None) -> bool:
    """One file; True once the hub holds it whole."""
    _check(cancel)
    status = client.blob_status(file["sha256"])
    if status.get("complete") is True:
        return True
    size, chunk = status["size"], status["chunk_size"]
    data = database(lambda: charter_store.charter_file(store, charter_id, file["role"]))
    if data is None or len(data) != size or size != file["size"]:
        raise HubError("taille de fichier différente de celle annoncée")
    have = {n for n in status["received"] if isinstance(n, int)}
    answer: dict[str, Any] = status
    for n in range(status["chunks"]):
        if n in have:
            continue
        _check(cancel)
        report.in_time()
        answer = client.put_chunk(file["sha256"], n, data[n * chunk:(n + 1) * chunk])
    if answer.get("complete") is True:
        report.uploaded_files += 1
        return True
    return False


def _download(store: Store, client: HubClient, database: Database, report: TransferReport,
              cancel: Event | None, progress: Progress | None) -> None:
    """The files of received charters the hub holds whole, each chunk stored as it arrives."""
    seen: set[str] = set()
    for wanted in database(lambda: charter_store.missing_files(store)):
        if wanted["sha256"] in seen:
            continue
        seen.add(wanted["sha256"])
        try:
            _fetch(store, client, database, wanted, report, cancel)
        except NotAtHub:
            continue  # not complete yet, or gone with an erasure: the feed will say
        except HubError as exc:  # this file only: the others may still come
            report.errors.append(str(exc))
            continue
        if progress:
            progress("charters", report.downloaded_files, None)
    database(lambda: charter_store.purge_parts(store))


def _fetch(store: Store, client: HubClient, database: Database, wanted: dict[str, Any],
           report: TransferReport, cancel: Event | None) -> bool | None:
    """One file into the charters waiting for it. None: the hub does not hold it whole yet; False:
    what came was not the file (dropped, reported)."""
    sha = wanted["sha256"]
    status = client.blob_status(sha)
    if status.get("complete") is not True:
        return None
    # The digest fixes the bytes, so the file's size is the hub's, whatever size a charter naming it
    # announced (a hostile charter must not keep the genuine file from the others naming it).
    size, chunk, chunks = status["size"], status["chunk_size"], status["chunks"]
    if not 0 < size <= MAX_FILE or chunks != -(-size // chunk):
        raise HubError("taille de fichier invalide")
    have = database(lambda: charter_store.part_numbers(store, sha))
    for n in range(chunks):
        if n in have:
            continue
        _check(cancel)
        report.in_time()
        data = client.get_chunk(sha, n)
        if len(data) != min(chunk, size - n * chunk):
            raise HubError("morceau de fichier de taille inattendue")
        database(lambda n=n, data=data: charter_store.store_part(store, sha, n, data))
    if database(lambda: charter_store.assemble(store, sha, size)):
        report.downloaded_files += 1
        return True
    log.warning("charter file: the assembled chunks do not match their digest; dropped")
    report.errors.append(MSG_CORRUPT)
    return False


# -- the protocol's charter JSON ---------------------------------------------------------------


def wire_charter(row: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """A charter made here as the protocol's charter JSON (the same every time: the hub compares)."""
    return {
        "id": row["id"], "tandem_id": row["tandem_id"], "number": row["verification_code"], "mode": row["mode"],
        "template": f"{row['template_id']} {row['template_version']}".strip(), "signed_on": row["signed_on"],
        "signed_place": row["signed_place"], "created_at": row["created_at"],
        "self_signed": None if row["self_signed"] is None else bool(row["self_signed"]),
        "attachments": [dict(f, name=_file_name(f["name"])) for f in files],
    }


def _file_name(name: str | None) -> str | None:
    """A scan's name as the hub takes it: printable, 200 characters at most (the same every time)."""
    kept = "".join(ch for ch in name or "" if ch.isprintable()).strip()[:200].strip()
    return kept or None


def _base_name(name: Any) -> str | None:
    """A received scan's name without any folder (« ../../x.desktop » → « x.desktop »): it is only ever
    offered as the name of a file to save, never as where to save it."""
    if not isinstance(name, str):
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    return _file_name(base[:255])


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _attachment(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or value.get("role") not in ROLES:
        return None
    sha, size = value.get("sha256"), value.get("size")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha) or not isinstance(size, int) \
            or isinstance(size, bool) or not 0 < size <= MAX_FILE:
        return None
    return {"role": value["role"], "sha256": sha, "size": size, "media_type": _text(value.get("media_type"), 40),
            "name": _text(value.get("name"), 255), "at_hub": value.get("at_hub") is True}


def received_row(item: Any) -> dict[str, Any] | None:
    """A feed entry as a `charters` row without its files, or None when it is not one this release reads."""
    if not isinstance(item, dict):
        return None
    texts = {name: item.get(name) for name in ("id", "tandem_id", "number", "template", "signed_on", "created_at")}
    if not all(isinstance(v, str) and 0 < len(v) <= 100 for v in texts.values()) \
            or item.get("mode") not in ("screen", "ink"):
        return None
    files = {a["role"]: a for a in map(_attachment, item.get("attachments") or []) if a is not None} \
        if isinstance(item.get("attachments"), list) else {}
    pdf, scan = files.get("pdf"), files.get("scan")
    if pdf is None:
        return None
    template_id, _, version = texts["template"].rpartition(" ")
    self_signed = item.get("self_signed")
    return {
        "id": texts["id"], "tandem_id": texts["tandem_id"], "template_id": template_id or version,
        "template_version": version if template_id else "", "verification_code": texts["number"],
        "mode": item["mode"], "pdf": None, "sha256": pdf["sha256"], "signed_on": texts["signed_on"],
        "signed_place": _text(item.get("signed_place"), 500), "scan": None,
        "scan_name": _base_name(scan["name"]) if scan else None, "sealed_by": None,
        "self_signed": self_signed if isinstance(self_signed, bool) else None, "created_at": texts["created_at"],
        "pdf_size": pdf["size"], "scan_sha256": scan["sha256"] if scan else None,
        "scan_size": scan["size"] if scan else None, "scan_type": scan["media_type"] if scan else None,
        "device_id": _text(item.get("device_id"), 64), "received": True, "hub_message": None,
        "hub_status": "synced" if all(a["at_hub"] for a in files.values()) else "waiting",
    }
