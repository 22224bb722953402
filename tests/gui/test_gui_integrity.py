"""The app checks its database: at open, in the background after opening, and offers the latest backup.

Real SQLCipher files damaged on disk (a page changed deep in the file; an index that no longer
matches its table, which only SQLite's integrity_check sees), a real window driven offscreen.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton

from tandem_desktop import app
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.services import backup as backup_service
from tandem_desktop.settings import Settings
from tandem_desktop.store.engine import open_raw
from tandem_desktop.store.profile import open_profile
from tandem_desktop.store.queries import ListQuery
from tests.test_check import damage_page

pytestmark = pytest.mark.gui
PASSPHRASE = "ceci est une phrase de passe"


def fill_and_back_up(profile, names: list[str]) -> Path:  # type: ignore[no-untyped-def]
    profile.store.create_many("mentor", [{"first_name": n, "last_name": "Durand", "notes": "x" * 300} for n in names])
    folder = profile.settings.backups_dir
    folder.mkdir(exist_ok=True)
    return backup_service.backup_profile(profile, folder / "sauvegarde-lundi.db")


def break_an_index(settings: Settings, key: bytes) -> None:
    """Point an index at an empty b-tree: every page's HMAC stays valid, SQLite's check fails."""
    conn = open_raw(settings.database_path, key)
    conn.execute("CREATE INDEX empty_one ON meta(value)")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'empty_one'").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'ix_mentor_active'", (root,))
    conn.close()


def test_damage_found_after_opening_offers_the_latest_backup(qtbot, profile, window, runner) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.integrity import IntegrityWatch

    backup = fill_and_back_up(profile, ["Hélène", "Paul"])
    break_an_index(profile.settings, profile.key)
    watch = IntegrityWatch(profile, runner, window)
    watch.start()
    qtbot.waitUntil(lambda: watch.box is not None and watch.box.isVisible(), timeout=10_000)
    text = watch.box.text()
    assert "La base de ce profil est endommagée" in text and "incohérence(s) dans la structure" in text
    assert "sauvegarde-lundi.db" in text and "Elle n’a pas été modifiée" in text
    assert "Base endommagée" in window.status_message.text()
    assert watch.restore_button is not None and watch.restore_button.text() == "Restaurer cette sauvegarde"
    with qtbot.waitSignal(watch.restore_requested, timeout=5000) as signal:
        qtbot.mouseClick(watch.restore_button, Qt.MouseButton.LeftButton)
    assert signal.args == [backup]
    assert not list(profile.settings.backups_dir.glob("auto-*.db"))  # never a backup of a damaged base


def test_damage_without_any_backup_says_where_else_to_look(qtbot, profile, window, runner,  # type: ignore[no-untyped-def]
                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.integrity import IntegrityWatch

    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    break_an_index(profile.settings, profile.key)
    watch = IntegrityWatch(profile, runner, window)
    watch.start()
    qtbot.waitUntil(lambda: watch.box is not None and watch.box.isVisible(), timeout=10_000)
    text = watch.box.text()
    assert "Aucune sauvegarde saine" in text and "tandem restore" not in text, "the window names its buttons"
    assert str(profile.settings.backups_dir) in text and "Choisir une sauvegarde…" in text
    assert watch.restore_button is not None and watch.restore_button.text() == "Choisir une sauvegarde…"
    elsewhere = profile.settings.data_dir.parent / "cle-usb" / "sauvegarde.db"
    asked: list[str] = []

    def pick(parent, caption, folder, filters):  # type: ignore[no-untyped-def]
        asked.append(folder)
        return str(elsewhere), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    with qtbot.waitSignal(watch.restore_requested, timeout=5000) as signal:
        qtbot.mouseClick(watch.restore_button, Qt.MouseButton.LeftButton)
    assert signal.args == [elsewhere], "the chosen file goes the usual restore way (checked there)"
    assert asked and Path(asked[0]) in (profile.settings.backups_dir, profile.settings.data_dir)


def test_a_sound_database_gets_its_daily_backup(qtbot, profile, window, runner) -> None:  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.integrity import IntegrityWatch

    profile.store.create("mentor", {"first_name": "Hélène", "last_name": "Durand"})
    watch = IntegrityWatch(profile, runner, window)
    with qtbot.waitSignal(watch.checked, timeout=10_000) as signal:
        watch.start()
    assert signal.args[0].ok and watch.box is None
    qtbot.waitUntil(lambda: "Sauvegarde automatique écrite" in window.status_message.text(), timeout=10_000)
    [auto] = profile.settings.backups_dir.glob("auto-*.db")
    assert stat.S_IMODE(auto.stat().st_mode) == 0o600
    again = IntegrityWatch(profile, runner, window)
    with qtbot.waitSignal(again.checked, timeout=10_000):
        again.start()
    runner.wait()
    qtbot.wait(50)
    assert list(profile.settings.backups_dir.glob("auto-*.db")) == [auto]  # one a day


# -- the whole app: app.main, its boxes answered as a counsellor would -----------------------------


def _later(ms: int, action: Callable[[], bool], every: int = 100) -> QTimer:
    """Retry `action` every `every` ms from `ms` on until it returns True."""
    timer = QTimer()
    timer.setInterval(every)
    timer.timeout.connect(lambda: action() and timer.stop())
    QTimer.singleShot(ms, timer.start)
    return timer


def _click(label: str) -> Callable[[], bool]:
    def click() -> bool:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible() and widget.objectName() == "damage_box":
                for button in widget.findChildren(QPushButton):
                    if button.text() == label:
                        button.click()
                        return True
        return False
    return click


def _close_window(seen: list[int]) -> Callable[[], bool]:
    def close() -> bool:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and not widget.findChildren(QMessageBox):
                seen.append(widget.store.count("mentor"))
                widget.close()
                return True
        return False
    return close


def check_profile(settings: Settings):  # type: ignore[no-untyped-def]
    from tandem_desktop.services.check import check_profile as check

    return check(settings)


def _run_app(settings: Settings, *timers: QTimer) -> int:
    safety_net = QTimer()  # never hang the suite
    safety_net.setSingleShot(True)
    safety_net.timeout.connect(lambda: QApplication.exit(99))
    safety_net.start(30_000)
    try:
        return app.main(["--data-dir", str(settings.data_dir)])
    finally:
        safety_net.stop()
        for timer in timers:
            timer.stop()


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_KDF_LOG2N", "14")
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("TANDEM_DATA_DIR", raising=False)


def test_app_offers_the_latest_backup_when_a_page_is_damaged_and_reopens_restored(qapp, settings, profile,  # type: ignore[no-untyped-def]
                                                                                  app_env) -> None:
    backup = fill_and_back_up(profile, [f"Prénom{i}" for i in range(60)])
    profile.store.create("mentor", {"first_name": "Après", "last_name": "Sauvegarde"})
    profile.close()
    damage_page(settings.database_path)
    seen: list[int] = []
    timers = (_later(200, _click("Restaurer cette sauvegarde")), _later(400, _close_window(seen)))
    assert _run_app(settings, *timers) == 0
    assert seen == [60]  # the window opened on the restored backup
    assert check_profile(settings).ok
    [kept] = settings.backups_dir.glob("avant-restauration-*.db")
    offered = check_profile(settings).backup.path  # the damaged copy kept aside is never offered
    # the restored backup, or the daily automatic one the reopened window may have taken from it
    assert offered == backup or offered.name.startswith("auto-"), offered
    assert kept.stat().st_size > 0


def test_app_restores_from_the_background_check_and_reopens(qapp, settings, profile, app_env) -> None:  # type: ignore[no-untyped-def]
    fill_and_back_up(profile, ["Hélène", "Paul"])
    break_an_index(settings, profile.key)
    profile.close()
    seen: list[int] = []
    timers = (_later(200, _click("Restaurer cette sauvegarde")), _later(1500, _close_window(seen)))
    assert _run_app(settings, *timers) == 0
    assert seen == [2]
    assert check_profile(settings).ok
    with open_profile(settings) as reopened:
        assert {m["first_name"] for m in reopened.store.find("mentor", ListQuery(), 0, 10)} == {"Hélène", "Paul"}


def test_app_quits_when_the_counsellor_declines_the_restore(qapp, settings, profile, app_env) -> None:  # type: ignore[no-untyped-def]
    fill_and_back_up(profile, [f"Prénom{i}" for i in range(60)])
    profile.close()
    damage_page(settings.database_path)
    before = settings.database_path.read_bytes()
    shown: list[str] = []
    original = QMessageBox.critical
    QMessageBox.critical = staticmethod(lambda parent, title, text, *a: shown.append(text))  # type: ignore[method-assign]
    try:
        assert _run_app(settings, _later(200, _click("Quitter"))) == 1
    finally:
        QMessageBox.critical = original  # type: ignore[method-assign]
    assert shown == [], "the box said it all: no second box with the command line's advice"
    assert settings.database_path.read_bytes() == before


def test_app_restores_a_backup_chosen_by_hand_when_none_is_in_the_profile(qapp, settings, profile, app_env,  # type: ignore[no-untyped-def]
                                                                         monkeypatch, tmp_path) -> None:
    profile.store.create_many("mentor", [{"first_name": f"P{i}", "last_name": "Durand", "notes": "x" * 300}
                                         for i in range(40)])
    elsewhere = backup_service.backup_profile(profile, tmp_path / "cle-usb.db")  # not in backups/
    profile.close()
    damage_page(settings.database_path)
    texts: list[str] = []

    def read_box() -> bool:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible() and widget.objectName() == "damage_box":
                texts.append(widget.text() + "\n" + widget.informativeText())
                return True
        return False

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a: (str(elsewhere), "")))
    seen: list[int] = []
    timers = (_later(150, read_box), _later(300, _click("Choisir une sauvegarde…")), _later(600, _close_window(seen)))
    assert _run_app(settings, *timers) == 0
    assert seen == [40], "the window opened on the chosen backup"
    assert texts and "tandem restore" not in texts[0] and str(settings.backups_dir) in texts[0]
    assert check_profile(settings).ok
