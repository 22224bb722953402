"""Typed answers of the sync service (`services.sync`): a conflict, a hub flag, this device's
enrollment, and what reversing or resending a conflict wrote.

Frozen, so a worker thread can hand them to the window as they are. `as_dict()` gives the JSON the
`tandem` command prints (`--json`), with the same keys, in the same order, as before they were typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from .records import Changes

__all__ = ["Conflict", "DeviceInfo", "Flag", "Resolution"]

_NONE: Mapping[str, Any] = MappingProxyType({})


def _shallow(item: Any, skip: str = "") -> dict[str, Any]:
    return {f.name: getattr(item, f.name) for f in fields(item) if f.name != skip}


@dataclass(frozen=True)
class Conflict:
    """One conflict as stored (the hub's decision or a refused push), with its French labels."""

    id: str
    seq: int | None  # hub seq of the feed entry; None for a refused push
    conflict_type: str  # concurrent_edit, edit_after_delete, refused, too_large
    kind: str
    record_id: str
    field: str | None  # None: a whole write (a creation the hub never took)
    kept_value: Any
    kept_version: str | None
    lost_value: Any
    lost_version: str | None
    kept_device: str | None
    lost_device: str | None
    message: str | None  # the hub's French reason for a refused operation
    received_at: str
    resolved: bool
    resolved_at: str | None
    kind_label: str
    field_label: str
    record_label: str
    type_label: str
    kept_text: str
    lost_text: str
    kept_by_me: bool
    lost_by_me: bool
    resendable: bool  # refused or set aside: « Renvoyer au hub »
    reversible: bool  # the lost value can be written back (or the write sent again)
    description: str

    def as_dict(self) -> dict[str, Any]:
        return _shallow(self)


@dataclass(frozen=True)
class Flag:
    """A hub-wide invariant breach the hub reported (a mentor overbooked across structures)."""

    id: str
    seq: int | None
    type: str  # mentor_overbooked…
    mentor_id: str | None
    capacity: int | None
    tandems: int | None
    received_at: str
    resolved: bool
    description: str  # French
    data: Mapping[str, Any] = field(default_factory=lambda: _NONE, hash=False)
    # ^ the flag as stored: the hub's fields, then the columns

    def as_dict(self) -> dict[str, Any]:
        """The hub's flag, then the stored columns over it (as the store has always merged them)."""
        return {**self.data, **_shallow(self, skip="data")}


@dataclass(frozen=True)
class DeviceInfo:
    """This device's enrollment, for `tandem device` and the settings dialog (no secrets)."""

    enrolled: bool
    device_id: str | None  # the hub's id of this device
    local_device_id: str
    device_name: str | None
    hub_url: str | None
    structure_id: str | None
    counsellor_id: str | None
    is_admin: bool
    enrolled_at: str | None
    token_storage: str | None  # "keyring" or "database"
    certificate: Mapping[str, Any]  # subject, issuer, serial, not_before, not_after; empty when none
    revoked: bool
    last_sync_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**_shallow(self), "certificate": dict(self.certificate)}


@dataclass(frozen=True)
class Resolution:
    """What reversing or resending a conflict wrote: the records (`changes`, for the views to
    refresh) and the field values written back or queued for the hub (`values`)."""

    changes: Changes
    values: Mapping[str, Any] = field(default_factory=lambda: _NONE, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """The values, as `tandem conflicts --resend --json` prints them."""
        return dict(self.values)
