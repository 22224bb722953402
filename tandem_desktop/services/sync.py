"""Sync use cases, shared by the window and the `tandem` command: enroll, sync now, status,
conflicts (list, reverse), flags, probe, and wiping the local copy after a revocation.

Errors are `SyncError` subclasses (DomainError) with French messages: `HubUnreachable`,
`DeviceRevoked`, `UpdateRequired`, `NotEnrolled`… The outbox is never touched by a failure.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from threading import Event
from types import MappingProxyType
from typing import Any

import orjson

from .. import background
from ..domain.erasure import ERASED, ERASED_LABEL
from ..domain.errors import DomainError
from ..domain.kinds import KINDS
from ..store import conflicts as conflict_store
from ..store.demo import DEMO_REFUSED, is_demo
from ..store.errors import NotFound
from ..store.keys import forget_key
from ..store.profile import Profile, wipe_profile_files
from ..store.remote import utc_now
from ..sync import client as hub_client
from ..sync.client import HubClient
from ..sync.engine import Progress, SyncReport, sync_once
from ..sync.enroll import certificate_info, connection_settings, enroll_device, forget_token, load_token
from ..sync.errors import (
    DeviceRevoked,
    HubUnreachable,
    NotEnrolled,
    PushFailed,
    SyncCancelled,
    SyncError,
    TokenMissing,
    UpdateRequired,
)
from ..texts.french import NBSP
from .export import display_value, title_of
from .records import Actor, Changes, Records
from .sync_results import Conflict, DeviceInfo, Flag, Resolution
from .sync_steps import Applied, DatabaseSteps

__all__ = [
    "Conflict", "DeviceInfo", "DeviceRevoked", "Enrollment", "Flag", "HubUnreachable", "NotEnrolled",
    "PushFailed", "Resolution", "SyncCancelled", "SyncError", "SyncReport", "SyncStatus", "UpdateRequired",
    "device_info", "dismiss_conflict", "dismiss_flag", "enroll", "list_conflicts", "list_flags",
    "needs_insecure_http", "probe", "resend_conflict", "reverse_conflict", "sync_now", "sync_status",
    "wipe_local_copy",
]

CONFLICT_TYPES = {
    "concurrent_edit": "Modification simultanée",
    "edit_after_delete": "Modification d’une fiche supprimée",
    "refused": "Refusée par le hub",
    "too_large": "Trop volumineuse pour le hub",
    "erased": "Personne effacée",
}
RESENDABLE = ("refused", "too_large")
MSG_CHARTERS_FAILED = (f"Les chartes n’ont pas pu être échangées avec le hub cette fois-ci{NBSP}; elles le seront à la "
                       "prochaine synchronisation (rien n’est perdu).")
log = logging.getLogger(__name__)
SHOWN_CHARS = 300  # a write that never reached the hub: edit the record, send it again


@dataclass
class SyncStatus:
    enrolled: bool
    hub_url: str | None
    device_id: str | None  # the hub's id of this device (what `tandem-hub revoke` takes)
    pending_changes: int  # record writes waiting in the outbox (the unit SyncReport.pushed counts)
    conflicts_open: int
    flags_open: int
    last_sync_at: str | None  # UTC ISO 8601 of the last successful sync
    last_error: str | None
    revoked: bool
    structure_id: str | None = None
    is_admin: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def demo_refusal(profile: Profile) -> str | None:
    """Why this profile may not be enrolled (its records are demo data), or None; the dialog says it first."""
    return DEMO_REFUSED if is_demo(profile.store) else None


@dataclass(frozen=True)
class Enrollment:
    """What the hub answered to an enrollment: this device's identity there (no secrets)."""

    device_id: str
    hub_url: str
    structure_id: str
    counsellor_id: str | None
    is_admin: bool
    device_name: str | None
    token_storage: str  # "keyring" or "database"
    certificate: dict[str, Any]
    previous_device_id: str | None  # enrolled again: the old device stays active at the hub until revoked
    insecure_http: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- enrollment and sync ------------------------------------------------------------------------


def enroll(profile: Profile, hub_url: str, code: str, device_name: str | None = None, *,
           insecure_http: bool = False, tls_ca_pem: str | None = None) -> Enrollment:
    """Enroll this profile with the hub using a one-time code; returns the device's identity.
    Plain http:// to another machine needs `insecure_http` (InsecureHub otherwise, nothing stored)."""
    return Enrollment(**enroll_device(profile, hub_url, code, device_name, insecure_http=insecure_http,
                                      tls_ca_pem=tls_ca_pem))


def needs_insecure_http(hub_url: str) -> bool:
    """True when this address would send the token and the records unencrypted over the network."""
    return hub_client.needs_insecure_http(hub_url)


def _client(profile: Profile, state: dict[str, str]) -> HubClient:
    if not state.get("device_id") or not state.get("hub_url"):
        raise NotEnrolled()
    token = load_token(profile, state)  # TokenLocked / TokenUnreachable: local, the hub is not asked
    if not token:
        raise TokenMissing(state.get("device_id"))
    return HubClient(state["hub_url"], token, **connection_settings(state))


def sync_now(profile: Profile, progress: Progress | None = None, cancel: Event | None = None, *,
             client: HubClient | None = None, database: Callable[[Callable[[], Any]], Any] | None = None,
             applied: Applied | None = None) -> SyncReport:
    """One full sync (push, pull, check). Progress is called as (phase, done, total or None) with
    phase in connect / push / pull / check; setting `cancel` stops between batches and pages.
    `database` runs each database step (the caller's database lane, the window's; default: a lane
    of this sync's own, background.py), and `applied` hears the records each stored page changed
    (kind -> ids, None: too many to name)."""
    if database is None:
        with background.database_lane() as lane:
            return sync_now(profile, progress, cancel, client=client, database=lane, applied=applied)
    remote = DatabaseSteps(profile.store.remote, database, applied)
    own = client is None
    try:
        client = client or _client(profile, remote.state())
        report = sync_once(remote, client, progress, cancel)
        _receive_rules(profile, client, database)
        report.charters = _transfer_charters(profile, client, database, cancel, progress)
    except SyncCancelled:
        raise
    except DeviceRevoked as exc:
        remote.set_state(revoked=True, last_error=str(exc))
        raise
    except PushFailed as exc:  # the pull ran: its report is kept, the sync still counts as failed
        with contextlib.suppress(DomainError):
            remote.set_state(last_error=str(exc), last_report=orjson.dumps(exc.report.as_dict()).decode())
        raise
    except DomainError as exc:
        with contextlib.suppress(DomainError):
            remote.set_state(last_error=str(exc))
        raise
    finally:
        if own and client is not None:
            client.close()
    remote.set_state(last_sync_at=utc_now(), last_error=None, revoked=None,
                     last_report=orjson.dumps(report.as_dict()).decode())
    return report


def _receive_rules(profile: Profile, client: HubClient, database: Callable[[Callable[[], Any]], Any]) -> None:
    """The hub's retention rules, kept for the review of who is due (services/privacy/retention.py). A
    hub that has none to give (an older release) or a failure here never fails the sync."""
    from .privacy.retention import keep_rules

    try:
        answer = client.rules()
    except DomainError:
        return
    if isinstance(answer, dict):
        database(lambda: keep_rules(profile.store, answer.get("retention")))


def _transfer_charters(profile: Profile, client: HubClient, database: Callable[[Callable[[], Any]], Any],
                       cancel: Event | None, progress: Progress | None) -> dict[str, Any]:
    """Charters and their files, after the records (sync/attachments.py): whatever fails here is
    reported in the figures, never fails the sync (a cancel still stops it)."""
    from ..sync.attachments import TransferReport, transfer

    try:
        return transfer(profile.store, client, database, cancel, progress).as_dict()
    except SyncCancelled:
        raise
    except DomainError as exc:
        return TransferReport(errors=[str(exc)]).as_dict()
    except Exception as exc:  # a bug must not cost the counsellor the records just synced
        log.error("charter transfer failed: %s", type(exc).__name__)
        return TransferReport(errors=[MSG_CHARTERS_FAILED]).as_dict()


def probe(hub_url: str, timeout: float = 2.0) -> bool:
    """A light GET /v1/hello: True if a Tandem hub answers there now."""
    return hub_client.probe(hub_url, timeout)


def sync_status(profile: Profile) -> SyncStatus:
    """Local reads only (no network): what the status bar shows."""
    store = profile.store
    state = store.remote.state()
    n_conflicts, n_flags = conflict_store.open_counts(store)
    return SyncStatus(
        enrolled=bool(state.get("device_id")), hub_url=state.get("hub_url"), device_id=state.get("device_id"),
        pending_changes=store.outbox_writes(), conflicts_open=n_conflicts, flags_open=n_flags,
        last_sync_at=state.get("last_sync_at"), last_error=state.get("last_error"),
        revoked=state.get("revoked") == "1", structure_id=state.get("structure_id"),
        is_admin=state.get("is_admin") == "1",
    )


def device_info(profile: Profile) -> DeviceInfo:
    """This device's enrollment, for `tandem device` and the settings dialog (no secrets)."""
    state = profile.store.remote.state()
    return DeviceInfo(
        enrolled=bool(state.get("device_id")), device_id=state.get("device_id"),
        local_device_id=profile.device_id, device_name=state.get("device_name"),
        hub_url=state.get("hub_url"), structure_id=state.get("structure_id"),
        counsellor_id=state.get("counsellor_id"), is_admin=state.get("is_admin") == "1",
        enrolled_at=state.get("enrolled_at"), token_storage=state.get("token_source"),
        certificate=certificate_info(state.get("certificate_pem")), revoked=state.get("revoked") == "1",
        last_sync_at=state.get("last_sync_at"),
    )


# -- conflicts and flags ------------------------------------------------------------------------


def _title(profile: Profile, kind: str, record_id: str) -> str:
    if kind not in KINDS:
        return record_id
    try:
        record = profile.store.get(kind, record_id, include_deleted=True)
        return ERASED_LABEL if record.get(ERASED) else title_of(profile.store, kind, record) or record_id
    except NotFound:
        return record_id


def _shown(kind: str, field: str | None, value: Any) -> str:
    if field == "deleted":
        return "fiche supprimée" if value else "fiche présente"
    spec = KINDS.get(kind)
    if spec is None or field not in (spec.by_name if spec else {}):
        return "" if value is None else str(value)[:SHOWN_CHARS]
    try:
        text = display_value(spec.by_name[field], value)
    except (ValueError, TypeError):
        text = str(value)
    if len(text) > SHOWN_CHARS:  # a long note in a sentence: its start is enough
        text = text[:SHOWN_CHARS].rstrip() + "…"
    return f"«{NBSP}{text}{NBSP}»" if text else "(vide)"


def _describe(item: dict[str, Any], me: str | None) -> str:
    kind, field = item["kind"], item["field"]

    def who(device: str | None) -> str:
        return "cet appareil" if device and device == me else "un autre appareil"

    head = f"{item['kind_label']} «{NBSP}{item['record_label']}{NBSP}»"
    if item["conflict_type"] in RESENDABLE:
        what = "modification refusée par le hub" if item["conflict_type"] == "refused" else \
            "modification trop volumineuse, mise de côté"
        reason = (item.get("message") or "hors du périmètre de cet appareil").rstrip(". ")
        return (f"{head}{NBSP}: {what} ({reason}). Elle est gardée sur ce poste{NBSP}: corrigez la fiche si "
                f"besoin, puis «{NBSP}Renvoyer au hub{NBSP}».")
    if item["conflict_type"] == "erased":  # nothing of the refused edit is kept, only that it was made
        return f"{head}{NBSP}: {item.get('message') or 'modification refusée'}"
    if item["conflict_type"] == "edit_after_delete":
        return (f"{head}{NBSP}: modification ({item['field_label'] or 'plusieurs champs'}"
                f"{NBSP}: {_shown(kind, field, item['lost_value'])}) faite sur {who(item.get('lost_device'))} "
                "alors que la fiche avait été supprimée. Elle n’a pas été appliquée.")
    return (f"{head}, {item['field_label']}{NBSP}: {_shown(kind, field, item['kept_value'])} "
            f"({who(item.get('kept_device'))}) a remplacé {_shown(kind, field, item['lost_value'])} "
            f"({who(item.get('lost_device'))}).")


def list_conflicts(profile: Profile, include_resolved: bool = False) -> list[Conflict]:
    """Conflicts, newest first, with French labels: kind_label, field_label, record_label,
    type_label, kept_text, lost_text, description, reversible."""
    me = profile.store.remote.state().get("device_id")
    result = []
    for item in conflict_store.conflicts(profile.store, include_resolved):
        spec = KINDS.get(item["kind"])
        field = item["field"]
        item["kind_label"] = spec.label if spec else item["kind"]
        item["field_label"] = ("Suppression" if field == "deleted" else
                               spec.by_name[field].label if spec and field in spec.by_name else field or "")
        item["record_label"] = _title(profile, item["kind"], item["record_id"])
        item["type_label"] = CONFLICT_TYPES.get(item["conflict_type"], item["conflict_type"])
        item["kept_text"] = _shown(item["kind"], field, item["kept_value"])
        item["lost_text"] = _shown(item["kind"], field, item["lost_value"])
        item["kept_by_me"] = bool(me and item.get("kept_device") == me)
        item["lost_by_me"] = bool(me and item.get("lost_device") == me)
        item["resendable"] = item["conflict_type"] in RESENDABLE and not item["resolved"] and bool(spec)
        item["reversible"] = item["resendable"] or (
            item["conflict_type"] != "edit_after_delete" and not item["resolved"]
            and bool(spec) and field in (spec.by_name if spec else {}))
        item["description"] = _describe(item, me)
        result.append(Conflict(**item))
    return result


def reverse_conflict(profile: Profile, conflict_id: str) -> Resolution:
    """Write the lost value back as an ordinary local edit (pushed at the next sync), and mark the
    conflict resolved here. Returns the records written and the values written back (both empty if
    the value was already back); a refused or set-aside write is sent again (`resend_conflict`)."""
    store = profile.store
    item = conflict_store.conflict(store, conflict_id)
    if item is None:
        raise SyncError(f"Conflit introuvable{NBSP}: {conflict_id}.")
    spec = KINDS.get(item["kind"])
    field = item["field"]
    if item["conflict_type"] in RESENDABLE:
        return resend_conflict(profile, conflict_id)
    if item["conflict_type"] == "edit_after_delete" or not spec or field not in spec.by_name:
        raise SyncError(f"La fiche a été supprimée{NBSP}: cette modification ne peut pas être rétablie. "
                        "Recréez la fiche si elle est encore utile.")
    with store.transaction():
        try:
            done = Records(store, Actor.of_store(store)).update(item["kind"], item["record_id"],
                                                                {field: item["lost_value"]})
            record = store.get(item["kind"], item["record_id"])
        except NotFound as exc:
            raise SyncError(f"{spec.label} supprimé·e depuis{NBSP}: la valeur ne peut pas être rétablie.") from exc
        conflict_store.mark_resolved(store, conflict_id)
    return Resolution(done, {name: record[name] for name in done.fields})


def resend_conflict(profile: Profile, conflict_id: str) -> Resolution:
    """Send again a write the hub refused for its content or set aside as too large, as a new write
    pushed at the next sync: a refused edit sends its values again (validated as any edit), a write
    set aside sends the record's current values of its fields (the counsellor shortened them), a
    record's creation the hub never took sends every field, a delete deletes again. The conflict is
    marked resolved; a new refusal makes a new one. Returns the records written and what is sent."""
    store = profile.store
    item = conflict_store.conflict(store, conflict_id)
    if item is None:
        raise SyncError(f"Conflit introuvable{NBSP}: {conflict_id}.")
    spec = KINDS.get(item["kind"])
    if item["conflict_type"] not in RESENDABLE or spec is None:
        raise SyncError("Seule une modification refusée par le hub ou mise de côté peut être renvoyée.")
    value = item["lost_value"]
    values = dict(value) if item["field"] is None and isinstance(value, dict) else {item["field"]: value}
    records = Records(store, Actor.of_store(store))
    with store.transaction():
        try:
            record = store.get(item["kind"], item["record_id"])
            if set(values) == {"deleted"}:
                done: Changes = records.delete(item["kind"], item["record_id"])
                sent: dict[str, Any] = {"deleted": True}
            elif item["lost_version"] is not None and item["lost_version"] == record.get("created_hlc"):
                done, sent = records.resend(item["kind"], item["record_id"], None)
            else:
                if item["conflict_type"] == "too_large":
                    values = {name: record[name] for name in values if name in spec.by_name}
                done, sent = records.resend(item["kind"], item["record_id"], values)
        except NotFound as exc:
            raise SyncError(f"{spec.label} supprimé·e depuis{NBSP}: rien à renvoyer.") from exc
        conflict_store.mark_resolved(store, conflict_id)
    return Resolution(done, sent)


def dismiss_conflict(profile: Profile, conflict_id: str) -> None:
    """Mark a conflict as seen without changing any data."""
    if not conflict_store.mark_resolved(profile.store, conflict_id):
        raise SyncError(f"Conflit introuvable{NBSP}: {conflict_id}.")


def list_flags(profile: Profile) -> list[Flag]:
    """Hub flags (mentor_overbooked…), newest first, each with `resolved` and a French `description`."""
    result = []
    for flag in conflict_store.flags(profile.store):
        if flag["type"] == "mentor_overbooked":
            name = _title(profile, "mentor", flag.get("mentor_id") or "")
            description = (f"Mentor «{NBSP}{name}{NBSP}» surchargé{NBSP}: {flag.get('tandems')} tandems "
                           f"en cours pour une capacité de {flag.get('capacity')}, toutes structures confondues.")
        else:
            description = f"Alerte du hub{NBSP}: {flag['type']}."
        result.append(Flag(id=flag["id"], seq=flag["seq"], type=flag["type"], mentor_id=flag["mentor_id"],
                           capacity=flag["capacity"], tandems=flag["tandems"], received_at=flag["received_at"],
                           resolved=flag["resolved"], description=description, data=MappingProxyType(flag)))
    return result


def dismiss_flag(profile: Profile, flag_id: str) -> None:
    if not conflict_store.dismiss_flag(profile.store, flag_id):
        raise SyncError(f"Alerte introuvable{NBSP}: {flag_id}.")


# -- revocation -----------------------------------------------------------------------------------


def wipe_local_copy(profile: Profile) -> list[str]:
    """Close the profile and delete its database, profile file, backups, hub token and key.
    Irreversible: the caller asks for confirmation first. Returns what was removed."""
    settings, meta = profile.settings, profile.meta
    forget_token(profile)
    profile.close()
    removed = [str(p) for p in settings.data_dir.iterdir()
               if p.name.startswith("tandem.db") or p.name == "profile.json"]
    wipe_profile_files(settings)
    forget_key(meta)
    if settings.backups_dir.exists():
        shutil.rmtree(settings.backups_dir, ignore_errors=True)
        removed.append(str(settings.backups_dir))
    settings.lock_path.unlink(missing_ok=True)
    return removed
