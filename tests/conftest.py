"""Shared fixtures: a temporary profile per test, a cheap KDF, and an in-memory keyring.

The OS keyring is the one outside system we fake (a real backend would touch the developer's own
secrets); everything else — SQLCipher files, Qt windows, subprocesses — is real.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import keyring
import pytest

from tandem_desktop.settings import Settings, load_settings
from tandem_desktop.store.profile import Profile, init_profile

from .memory_keyring import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TANDEM_KDF_LOG2N", "14")  # tests only: 16 MiB scrypt instead of 128 MiB

PASSPHRASE = "ceci est une phrase de passe"
FIXED_TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """By default no keyring (as on a headless Linux laptop): profiles use a passphrase."""
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "profil", environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase(PASSPHRASE)


@pytest.fixture
def profile(settings: Settings) -> Iterator[Profile]:
    opened = init_profile(settings, today=lambda: FIXED_TODAY)
    yield opened
    opened.close()


@pytest.fixture
def store(profile: Profile):  # type: ignore[no-untyped-def]
    return profile.store


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for the real `tandem` command (tests/cli_run.py, or a subprocess) on a throw-away profile."""
    env = dict(os.environ)
    env.update(
        TANDEM_DATA_DIR=str(tmp_path / "profil-cli"),
        TANDEM_PASSPHRASE=PASSPHRASE,
        TANDEM_KDF_LOG2N="14",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM="offscreen",
    )
    return env


SLOW_S = 15.0  # a test over this must be marked `slow` (pyproject.toml); it still runs in CI
_unmarked_slow: list[tuple[str, float]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.duration > SLOW_S and "slow" not in report.keywords:
        _unmarked_slow.append((report.nodeid, report.duration))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Named after --durations: a test that grew past 15 s without the `slow` mark (not a failure:
    the machine may just be loaded)."""
    if _unmarked_slow:
        terminalreporter.section(f"over {SLOW_S:.0f} s and not marked slow")
        for nodeid, seconds in sorted(_unmarked_slow, key=lambda item: -item[1]):
            terminalreporter.write_line(f"{seconds:6.1f}s {nodeid}")
