"""Charter files through the hub, for the window and the `tandem` command: fetch one charter's files
now (a counsellor opens a charter whose PDF has not arrived), and what still waits to go or come.

Every sync already moves charters (services/sync.py, after the records); this is for the one the
counsellor wants at once. `fetch_charter_files` talks to the hub: the caller runs it on its network
lane; its database steps go to `database` (the window's database lane), as a sync's do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import background
from ..store import charters as charter_store
from ..store.charters import StoredCharter
from ..store.errors import NotReceived
from ..store.profile import Profile
from ..sync.attachments import Cancel, TransferReport, fetch_now
from ..sync.client import CHARTERS, NotAtHub
from ..sync.errors import SyncError
from ..texts.french import NBSP
from .sync import _client

__all__ = ["MSG_HUB_TOO_OLD", "NotAtHub", "NotReceived", "TransferReport", "fetch_charter_files", "files_fetcher",
           "pending_transfers"]

MSG_HUB_TOO_OLD = (f"Ce hub ne transmet pas encore les chartes{NBSP}: demandez à son administrateur de le mettre à "
                   "jour. La charte reste enregistrée sur le poste qui l’a faite.")


def fetch_charter_files(profile: Profile, charter_id: str, cancel: Cancel | None = None, *,
                        database: Callable[[Callable[[], Any]], Any] | None = None) -> StoredCharter:
    """Download the files of one charter received from the hub that are not here yet; returns the
    charter as now stored (has_pdf, has_scan). Raises a SyncError with a French message: the network,
    the hub (NotAtHub: the device that made it has not sent the file yet; MSG_HUB_TOO_OLD), a cancel."""
    if database is None:
        with background.database_lane() as lane:
            return fetch_charter_files(profile, charter_id, cancel, database=lane)
    store = profile.store
    charter = database(lambda: charter_store.get_charter(store, charter_id))
    if charter.has_pdf and (charter.has_scan or charter.scan_sha256 is None):
        return charter
    client = _client(profile, database(lambda: store.remote.state()))
    with client:
        client.negotiate()
        if client.protocol < CHARTERS:
            raise SyncError(MSG_HUB_TOO_OLD)
        fetch_now(store, client, database, charter.id, cancel)
    return database(lambda: charter_store.get_charter(store, charter.id))


def pending_transfers(profile: Profile) -> dict[str, int]:
    """Local reads only: charters to announce, to upload, refused by the hub (their message is on the
    charter: hub_message), to download, waiting for another device to send their files, and chunks
    of a download in progress ("parts")."""
    return charter_store.transfer_counts(profile.store)


def files_fetcher(profile: Profile, database: Callable[[Callable[[], Any]], Any]) -> Callable[[str], StoredCharter]:
    """What the window gives its charter pages: fetch one charter's files now, on its network lane,
    with its database steps on the window's database lane."""

    def fetch(charter_id: str) -> StoredCharter:
        return fetch_charter_files(profile, charter_id, database=database)

    return fetch
