"""A Hypothesis state machine: 3 devices in 2 structures (and an administrator's device to look at the
hub), random offline creates, edits and deletes, syncs in random order, some push batches sent twice,
some syncs cut halfway through a push or a pull.

At the end (everyone syncs twice): every device's scoped data equals the hub's, every operation the
hub acknowledged is applied or in the conflict list, and nothing of another structure reached a device.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from tandem_desktop.hub.merge import OWNED_KINDS
from tandem_desktop.services import sync as sync_service
from tandem_desktop.store.errors import NotFound
from tandem_desktop.sync.client import HubClient
from tandem_desktop.sync.enroll import load_token

from .conftest import BACKENDS, POSTGRES_URL, World, fresh_postgres_database, outbox_rows, snapshot

# Free-text fields only: a commune must now be a reference one.
EDITABLE = {"mentor": ("employer", "notes", "job_title"), "mentee": ("notes", "project", "trade")}
PAGE = 25  # small pull pages, so that cuts fall between pages
CHUNK = 3  # push batches cut in chunks of 3 ops, so that a cut push leaves some applied, some not


class Cut(Exception):
    """The laptop is closed, the process dies: nothing after this point happens."""


class ChaosClient(HubClient):
    """A real client that may send each push chunk twice and may die after a push chunk or a pull page."""

    def __init__(self, url: str, token: str, machine: SyncMachine, duplicate: bool, cut: str | None,
                 device: int | None = None):
        super().__init__(url, token)
        self.machine, self.duplicate, self.cut, self.device = machine, duplicate, cut, device
        self.pushed_chunks = self.pages = 0

    def push(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        results, flags = [], []
        for start in range(0, len(ops), CHUNK):
            chunk = ops[start:start + CHUNK]
            answer = super().push(chunk)
            if self.duplicate:
                again = super().push(chunk)
                assert again["results"] == answer["results"]  # the hub answers a resent op identically
            self.machine.acknowledged(chunk, answer["results"], self.device)
            results += answer["results"]
            flags += answer.get("flags") or []
            self.pushed_chunks += 1
            if self.cut == "push" and self.pushed_chunks == 1 and len(ops) > CHUNK:
                raise Cut()
        return {"results": results, "flags": flags}

    def pull(self, cursor: int, limit: int) -> dict[str, Any]:
        page = super().pull(cursor, min(limit, PAGE))
        self.pages += 1
        if self.cut == "pull" and self.pages == 2:
            raise Cut()  # downloaded, never stored
        return page


def guarded(step: Any) -> Any:
    """Remember that a step failed, so that teardown does not run the final check over a broken run."""

    @functools.wraps(step)
    def wrapper(self: SyncMachine, *args: Any, **kwargs: Any) -> Any:
        try:
            return step(self, *args, **kwargs)
        except BaseException:
            self.broken = True
            raise

    return wrapper


class SyncMachine(RuleBasedStateMachine):
    backend = "sqlite"
    records = Bundle("records")  # (kind, id) of every record some device created

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.tmp = Path(tempfile.mkdtemp(prefix="tandem-stateful-"))
        self.stack.callback(shutil.rmtree, self.tmp, ignore_errors=True)
        if self.backend == "sqlite":
            url = f"sqlite:///{self.tmp / 'hub.db'}"
        else:
            url = self.stack.enter_context(fresh_postgres_database(POSTGRES_URL or ""))
        self.world = World(url, self.tmp)
        self.stack.callback(self.world.close)
        self.acked: dict[str, tuple[dict[str, Any], str]] = {}  # op id -> (op, status)
        self.owner: dict[str, str] = {}  # owned record id -> structure of the device that made it
        self.mentor_structure: dict[str, str] = {}  # mentor id -> structure of the device that made it
        self.broken = False
        self.edits = 0

    @initialize(target=records)
    @guarded
    def start(self) -> Any:
        """The hub, the devices, and a mentor and a mentee from each device that everyone has synced:
        from the first step on, devices can touch the same records."""
        from tandem_desktop.hub import admin

        self.world.start_hub()
        self.world.engine = admin.connect(self.world.db_url)
        s1, s2 = self.world.structure("Mission locale"), self.world.structure("Adie")
        self.structures = [s1, s1, s2]
        self.admin = self.world.device(s1, "administrateur", admin_role=True)  # sees the whole hub
        self.devices = [self.world.device(s, f"poste{i}") for i, s in enumerate(self.structures)]
        seeded = [make(self, i, 0) for i in range(len(self.devices)) for make in (
            SyncMachine.create_mentor, SyncMachine.create_mentee)]
        for _ in range(2):
            for i in range(len(self.devices)):
                self._sync(i)
        return multiple(*seeded)

    def teardown(self) -> None:
        self.stack.close()

    def acknowledged(self, ops: list[dict[str, Any]], results: list[dict[str, Any]], device: int | None) -> None:
        by_id = {op["op_id"]: op for op in ops}
        for result in results:
            op = by_id[result["op_id"]]
            if result["status"] == "refused":
                # Every device writes inside its own scope; the one refusal is deleting a mentor of the
                # shared pool that another structure brought (PROTOCOL.md, "Who may change what").
                assert device is not None and result["code"] == "not_owner", result
                assert op["kind"] == "mentor" and op["action"] == "delete", (op, result)
                assert self.mentor_structure.get(op["record_id"]) != self.structures[device], (op, result)
                continue
            self.acked[result["op_id"]] = (op, result["status"])

    # -- offline work ------------------------------------------------------------------------------

    @rule(target=records, device=st.integers(0, 2), n=st.integers(0, 99))
    @guarded
    def create_mentor(self, device: int, n: int) -> tuple[str, str]:
        record_id = self.devices[device].store.create("mentor", {
            "first_name": f"M{n}", "last_name": "Mentor", "employer": f"Employeur {n}"})
        self.mentor_structure[record_id] = self.structures[device]
        return "mentor", record_id

    @rule(target=records, device=st.integers(0, 2), n=st.integers(0, 99))
    @guarded
    def create_mentee(self, device: int, n: int) -> tuple[str, str]:
        record_id = self.devices[device].store.create("mentee", {"first_name": f"E{n}", "last_name": "Mentoré"})
        self.owner[record_id] = self.structures[device]
        return "mentee", record_id

    def _has(self, device: int, kind: str, record_id: str) -> bool:
        try:
            self.devices[device].store.get(kind, record_id)
        except NotFound:
            return False  # not pulled yet, deleted, or another structure's
        return True

    @rule(device=st.integers(0, 2), record=records, field=st.integers(0, 2), clear=st.booleans())
    @guarded
    def edit(self, device: int, record: tuple[str, str], field: int, clear: bool = False) -> None:
        """Set a field to a value never used before (or clear it): every edit is a real change."""
        kind, record_id = record
        if self._has(device, kind, record_id):
            self.edits += 1
            name = EDITABLE[kind][field % len(EDITABLE[kind])]
            self.devices[device].store.update(kind, record_id, {name: None if clear else f"v{self.edits}"})

    @rule(devices=st.lists(st.integers(0, 2), min_size=2, max_size=3, unique=True), record=records,
          field=st.integers(0, 2))
    @guarded
    def concurrent_edits(self, devices: list[int], record: tuple[str, str], field: int) -> None:
        """Several devices edit the same field of one record before syncing (when they have it)."""
        for device in devices:
            self.edit(device, record, field)

    @rule(deleter=st.integers(0, 2), editor=st.integers(0, 2), record=records, field=st.integers(0, 2))
    @guarded
    def edit_against_delete(self, deleter: int, editor: int, record: tuple[str, str], field: int) -> None:
        self.edit(editor, record, field)
        self.delete(deleter, record)

    @rule(device=st.integers(0, 2), record=records)
    @guarded
    def delete(self, device: int, record: tuple[str, str]) -> None:
        kind, record_id = record
        if self._has(device, kind, record_id):
            self.devices[device].store.delete(kind, record_id)

    # -- syncs ---------------------------------------------------------------------------------------

    def _sync(self, device: int, duplicate: bool = False, cut: str | None = None) -> Any:
        profile = self.devices[device]
        state = profile.store.remote.state()
        with ChaosClient(state["hub_url"], load_token(profile) or "", self, duplicate, cut, device) as client:
            return sync_service.sync_now(profile, client=client)

    @rule(device=st.integers(0, 2), duplicate=st.booleans(), cut=st.sampled_from([None, None, "push", "pull"]))
    @guarded
    def sync(self, device: int, duplicate: bool, cut: str | None) -> None:
        try:
            report = self._sync(device, duplicate, cut)
        except Cut:
            return
        assert report.kept == 0  # nothing a device of the right version cannot send

    # -- the end -------------------------------------------------------------------------------------

    def check_final(self) -> None:
        for _ in range(2):
            for i in range(len(self.devices)):
                self._sync(i)
        reports = [self._sync(i) for i in range(len(self.devices))]
        admin = self.admin
        assert sync_service.sync_now(admin).mismatches == {}
        whole = snapshot(admin)
        for i, (profile, report) in enumerate(zip(self.devices, reports, strict=True)):
            # 1. Every device's scoped data equals the hub's: the hub's own per-kind digests agree,
            #    and so does an administrator's device, which sees the whole hub.
            assert report.checked and report.mismatches == {}, report.mismatches
            assert outbox_rows(profile) == 0
            mine = snapshot(profile)
            for kind, records in mine.items():
                expected = {rid: r for rid, r in whole[kind].items()
                            if kind not in OWNED_KINDS or self.owner.get(rid) == self.structures[i]}
                assert records == expected, kind
            # 2. Nothing of another structure reached it, not even as a tombstone.
            everything = snapshot(profile, versions=False, deleted=True)
            for kind in OWNED_KINDS:
                assert {self.owner.get(rid) for rid in everything[kind]} <= {self.structures[i]}
        # 3. Every acknowledged operation is applied (its version in the feed, which keeps each record's
        #    current state), superseded by another acknowledged write of the field, or in the conflicts.
        applied, conflicts = self._feed(admin)
        writes: dict[tuple[str, str], int] = {}
        for op, _ in self.acked.values():
            for name in op["changes"]:
                writes[(op["record_id"], name)] = writes.get((op["record_id"], name), 0) + 1
        for op, status in self.acked.values():
            assert status in ("applied", "conflict")
            for name in op["changes"]:
                key = (op["record_id"], name, op["hlc"])
                superseded = writes[(op["record_id"], name)] > 1
                assert key in applied or key in conflicts or superseded, (op, status)

    def _feed(self, admin: Any) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
        state = admin.store.remote.state()
        applied: set[tuple[str, str, str]] = set()
        conflicts: set[tuple[str, str, str]] = set()
        with HubClient(state["hub_url"], load_token(admin)) as client:
            client.negotiate()
            cursor, more = 0, True
            while more:
                page = client.pull(cursor, 1000)
                for entry in page["entries"]:
                    if entry["type"] == "record":
                        applied.update((entry["record_id"], name, version)
                                       for name, version in entry["versions"].items())
                    elif entry["type"] == "conflict":
                        c = entry["conflict"]
                        conflicts.add((c["record_id"], c["field"], c["lost_version"]))
                        conflicts.add((c["record_id"], c["field"], c["kept_version"]))
                cursor, more = page["cursor"], page["more"]
        return applied, conflicts


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_random_offline_work_and_syncs_converge(backend: str) -> None:
    class Machine(SyncMachine):
        pass

    Machine.backend = backend
    original_teardown = Machine.teardown

    def teardown(self: SyncMachine) -> None:
        try:
            if not self.broken:
                self.check_final()
        finally:
            original_teardown(self)

    Machine.teardown = teardown  # type: ignore[method-assign]
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=8, stateful_step_count=25, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
