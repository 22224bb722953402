"""A real hub on 127.0.0.1 per test, on SQLite and — when TANDEM_TEST_POSTGRES_URL is set — on
PostgreSQL, each test in its own schema (dropped afterwards), so tests stay independent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from tandem_desktop.hub import admin
from tandem_desktop.hub.server import RunningHub, run_in_thread

from .helpers import TEST_OPTIONS, World

POSTGRES_URL = os.environ.get("TANDEM_TEST_POSTGRES_URL")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql",
                 marks=pytest.mark.skipif(not POSTGRES_URL, reason="TANDEM_TEST_POSTGRES_URL not set")),
]


def schema_url(base_url: str, schema: str) -> str:
    """The same database, with `schema` first on the search path of every connection."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    assert POSTGRES_URL
    schema = f"hub_test_{uuid.uuid4().hex[:12]}"
    owner = create_engine(POSTGRES_URL)
    with owner.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(POSTGRES_URL, schema)
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        owner.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = admin.connect(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def hub(db_url: str, engine: Engine) -> Iterator[RunningHub]:
    running = run_in_thread(db_url, options=TEST_OPTIONS)
    yield running
    running.stop()


@pytest.fixture
def world(hub: RunningHub, engine: Engine) -> Iterator[World]:
    w = World(hub.url, engine)
    yield w
    w.close()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[object]:
    """A SQLite hub with real device profiles (tests/sync/conftest.py's World), for the charter tests."""
    from ..sync.conftest import running_world

    with running_world(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path) as world:
        yield world
