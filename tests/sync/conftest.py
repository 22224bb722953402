"""A real hub on 127.0.0.1 (SQLite, and PostgreSQL when TANDEM_TEST_POSTGRES_URL is set) and real
encrypted device profiles enrolled with it; `world` makes structures and devices on demand."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tandem_desktop.domain.hlc import HybridClock
from tandem_desktop.domain.kinds import KINDS
from tandem_desktop.services import sync as sync_service
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import Profile, init_profile
from tandem_desktop.store.schema import RECORD_TABLES

from ..conftest import FIXED_TODAY, PASSPHRASE
from ..hub.helpers import TEST_OPTIONS

POSTGRES_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
DAY_MS = 86_400_000


@pytest.fixture(params=BACKENDS)
def hub_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh hub database per test: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    with fresh_postgres_database(POSTGRES_URL or "") as url:
        yield url


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    import psycopg

    base = make_url(base_url)
    name = f"tandem_sync_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class World:
    """One hub and the devices of a test. Devices are real profiles in their own folders."""

    db_url: str
    tmp_path: Path
    hub: Any = None
    engine: Any = None
    profiles: list[Profile] = field(default_factory=list)
    _n: int = 0

    def start_hub(self) -> Any:
        from tandem_desktop.hub.server import run_in_thread

        self.hub = run_in_thread(self.db_url, options=TEST_OPTIONS)
        return self.hub

    def stop_hub(self) -> None:
        if self.hub is not None:
            self.hub.stop()
            self.hub = None

    @property
    def url(self) -> str:
        return self.hub.url

    def structure(self, name: str) -> str:
        from tandem_desktop.hub import admin

        return admin.add_structure(self.engine, name)

    def code(self, structure_id: str, admin_role: bool = False, name: str = "Conseillère") -> str:
        from tandem_desktop.hub import admin

        self._n += 1
        counsellor = admin.add_counsellor(self.engine, structure_id, name, f"c{self._n}@exemple.fr",
                                          admin=admin_role)
        return admin.make_enroll_code(self.engine, counsellor)

    def new_profile(self, name: str | None = None) -> Profile:
        self._n += 1
        folder = self.tmp_path / (name or f"poste{self._n}")
        settings = load_settings(folder, environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase(PASSPHRASE)
        profile = init_profile(settings, today=lambda: FIXED_TODAY)
        self.profiles.append(profile)
        return profile

    def device(self, structure_id: str, name: str | None = None, *, admin_role: bool = False,
               skew_ms: int = 0, first_sync: bool = True) -> Profile:
        """An enrolled device (its first sync done: it knows the structures and counsellors)."""
        profile = self.new_profile(name)
        if skew_ms:
            skew(profile, skew_ms)
        sync_service.enroll(profile, self.url, self.code(structure_id, admin_role), device_name=name)
        if first_sync:
            sync_service.sync_now(profile)
        return profile

    def close(self) -> None:
        for profile in self.profiles:
            if profile.lock.held:
                profile.close()
        self.stop_hub()
        if self.engine is not None:
            self.engine.dispose()


@contextmanager
def running_world(db_url: str, tmp_path: Path) -> Iterator[World]:
    """A hub started on `db_url`, its engine, and the devices made in it, closed afterwards."""
    from tandem_desktop.hub import admin

    w = World(db_url, tmp_path)
    w.start_hub()
    w.engine = admin.connect(db_url)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def world(hub_db_url: str, tmp_path: Path) -> Iterator[World]:
    with running_world(hub_db_url, tmp_path) as w:
        yield w


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    """One SQLite hub: for the scenarios that do not depend on the hub's database."""
    with running_world(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path) as w:
        yield w


def skew(profile: Profile, offset_ms: int) -> None:
    """Give a device a wrong wall clock (HLC and today's date) from now on."""
    store = profile.store
    store.clock = HybridClock(profile.device_id, wall_ms=lambda: time.time_ns() // 1_000_000 + offset_ms)
    store.today = lambda: date.fromordinal(FIXED_TODAY.toordinal() + offset_ms // DAY_MS)


def snapshot(profile: Profile, *, versions: bool = True, deleted: bool = False) -> dict[str, dict[str, Any]]:
    """kind -> {record id: {field: value} (+ versions)} of the live (or all) records of a device."""
    result: dict[str, dict[str, Any]] = {}
    with profile.store.reading() as conn:
        for kind, spec in KINDS.items():
            table = RECORD_TABLES[kind]
            stmt = select(table) if deleted else select(table).where(table.c.deleted.is_(False))
            rows = {}
            for row in conn.execute(stmt).mappings():
                record = {name: row[name] for name in spec.field_names}
                if deleted:
                    record["deleted"] = bool(row["deleted"])
                if versions:
                    from tandem_desktop.store.rows import effective_versions

                    record["versions"] = effective_versions(spec, row)
                rows[row["id"]] = record
            result[kind] = rows
    return result


def outbox_rows(profile: Profile) -> int:
    with profile.store.reading() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()


def sync_all(profiles: list[Profile], rounds: int = 2) -> None:
    for _ in range(rounds):
        for profile in profiles:
            report = sync_service.sync_now(profile)
            assert report.refused == 0



@pytest.fixture
def page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pulled page in a transaction of its own (engine.GROUP_PAGES = 1): for the tests that
    count what one stored page leaves behind; grouping itself is tested in test_grouped_pull.py."""
    from tandem_desktop.sync import engine

    monkeypatch.setattr(engine, "GROUP_PAGES", 1)


def writer_and_reader(world: World, mentors: int, mentor: Any = None) -> tuple[Profile, Profile]:
    """A device that pushed `mentors` mentors (`mentor(i)` their fields), and a second device of the
    same structure that has not synced yet: the reader of a long first pull."""
    structure = world.structure("Mission locale")
    writer = world.device(structure, "redacteur")
    make = mentor or (lambda i: {"first_name": f"P{i}", "last_name": f"N{i}"})
    writer.store.create_many("mentor", [make(i) for i in range(mentors)])
    sync_service.sync_now(writer)
    return writer, world.device(structure, "lecteur", first_sync=False)
