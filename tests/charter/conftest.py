"""Shared fixtures of the charter tests: a real hub on 127.0.0.1 (SQLite) to enroll devices with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..sync.conftest import World


@pytest.fixture
def hub_world(tmp_path: Path) -> Iterator[World]:
    from tandem_desktop.hub import admin

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    world = World(url, tmp_path)
    world.start_hub()
    world.engine = admin.connect(url)
    try:
        yield world
    finally:
        world.close()
