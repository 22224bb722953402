"""Shared pieces of the sync window tests: a real hub on 127.0.0.1 (SQLite file, restartable on the
same port), a window wired to the real sync service with intervals in milliseconds, enrollment
through the « Connexion au hub… » dialog, and screenshots for review.

Import the fixtures by name in a test module (`from sync_support import hub, ...`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import Engine

from tandem_desktop.gui.enroll_dialog import EnrollDialog
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.gui.sync_controller import SyncController
from tandem_desktop.gui.tasks import TaskRunner
from tandem_desktop.hub import admin
from tandem_desktop.hub.server import RunningHub, run_in_thread
from tandem_desktop.services import sync as sync_service
from tandem_desktop.settings import Settings, load_settings
from tandem_desktop.store.profile import Profile, init_profile

SHOTS = Path(os.environ.get("TANDEM_SHOTS_DIR", "/tmp/shots"))
PASSPHRASE = "ceci est une phrase de passe"
NBSP = "\u00a0"
# Test intervals (ms): what the counsellor's laptop does in seconds or minutes.
FAST = {"debounce_ms": 150, "periodic_ms": 60_000, "probe_ms": 100, "backoff_base_ms": 60_000,
        "backoff_max_ms": 60_000, "probe_timeout_s": 1.0, "network_information": False}


@dataclass
class Hub:
    """A real hub on a SQLite file; stop() and start() again keep its port and its data."""

    db_url: str
    engine: Engine
    running: RunningHub | None = None
    port: int = 0
    structures: dict[str, str] = field(default_factory=dict)
    counsellors: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.running = run_in_thread(self.db_url, port=self.port)
        self.port = urlsplit(self.running.url).port or 0

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def code(self, structure: str = "Mission locale de Marseille") -> str:
        """A one-time enrollment code for a counsellor of `structure` (created on first use)."""
        if structure not in self.structures:
            self.structures[structure] = admin.add_structure(self.engine, structure)
            self.counsellors[structure] = admin.add_counsellor(
                self.engine, self.structures[structure], f"Claire Conseillère {len(self.structures)}",
                f"claire{len(self.structures)}@exemple.fr")
        return admin.make_enroll_code(self.engine, self.counsellors[structure])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = admin.connect(db_url)
    running = Hub(db_url, engine)
    running.start()
    yield running
    running.stop()
    engine.dispose()


def make_controller(profile: Profile, runner: TaskRunner, service: Any = sync_service,
                    **intervals: Any) -> SyncController:
    return SyncController(profile, runner, service, **{**FAST, **intervals})


def open_window(qtbot, profile: Profile, runner: TaskRunner, controller: SyncController) -> MainWindow:  # type: ignore[no-untyped-def]
    """The real window with sync, shown and active; the controller started as app.main does."""
    window = MainWindow(profile.store, runner, sync=controller)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window)
    controller.start()
    qtbot.waitUntil(lambda: controller.status is not None, timeout=5000)
    return window


def close_window(window: MainWindow, runner: TaskRunner) -> None:
    for section in window.sections.values():
        section.close_overlay(ask=False)
    window.close()
    runner.wait()


@pytest.fixture
def sync_window(qtbot, profile: Profile, runner: TaskRunner) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, profile, runner, make_controller(profile, runner))
    yield window
    close_window(window, runner)


def enroll_through_dialog(qtbot, typist, window: MainWindow, url: str, code: str) -> EnrollDialog:  # type: ignore[no-untyped-def]
    """Fichier › Connexion au hub…, type the address and the code, « Connecter ce poste »."""
    next(a for a in window.file_menu.actions() if a.objectName() == "action_enroll").trigger()
    dialog = window.sync_ui.enroll_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.hub_url.clear()
    typist(dialog.hub_url, url)
    dialog.code.clear()
    typist(dialog.code, code)
    qtbot.mouseClick(dialog.enroll_button, Qt.MouseButton.LeftButton)
    return dialog


def enroll(qtbot, typist, window: MainWindow, url: str, code: str) -> None:  # type: ignore[no-untyped-def]
    """Enroll and wait for the first sync to end; the dialog is closed."""
    controller = window.sync
    dialog = enroll_through_dialog(qtbot, typist, window, url, code)
    qtbot.waitUntil(lambda: dialog.result_info is not None, timeout=10_000)
    qtbot.waitUntil(lambda: controller.last_report is not None and not controller.syncing, timeout=10_000)
    dialog.close()
    activate(qtbot, window)


def activate(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Back to the window after a dialog (shortcuts only fire in the active window)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def new_device(tmp_path: Path, name: str) -> Profile:
    """Another laptop (its own encrypted profile), driven through the service as the CLI would."""
    settings: Settings = load_settings(tmp_path / name, environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase(PASSPHRASE)
    return init_profile(settings)


def status_texts(window: MainWindow) -> dict[str, str]:
    bar = window.sync_ui.status
    return {"state": bar.state_text(), "pending": bar.pending_label.text(),
            "conflicts": bar.conflicts_button.text() if bar.conflicts_button.isVisible() else "",
            "last": bar.last_label.text(),
            "flags": bar.flags_label.text() if bar.flags_label.isVisible() else "",
            "mismatch": bar.mismatch_label.text() if bar.mismatch_label.isVisible() else ""}


def shot(widget: QWidget, name: str) -> None:
    """An offscreen screenshot for review (never committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"sync_{name}.png"))

