"""The window's lock (gui/lock.py): after an idle time, at Ctrl+L or when the session locks, no visible
widget of the application shows a personal value; the passphrase (or the keyring) unlocks it, an open form
keeps its edits, and background work goes on behind the lock."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest
from fill import type_into
from PySide6.QtCore import QAbstractListModel, QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMenuBar,
    QMessageBox,
    QPlainTextEdit,
    QStatusBar,
    QTabBar,
    QTextEdit,
    QWidget,
)
from waiting import loaded, settle

from tandem_desktop.gui import lock as lock_module
from tandem_desktop.gui.lock import MSG_WRONG, LockScreen, failure_delay
from tandem_desktop.settings import ENV_LOCK_MINUTES, SettingsError, load_settings, parse_lock_minutes
from tandem_desktop.store.keys import KeyMeta, verify_keyring_key, verify_passphrase
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.gui

MENTOR = {"first_name": "Hélène", "last_name": "Dupontel", "email": "helene.dupontel@exemple.fr",
          "phone": "06 12 34 56 78", "capacity": 2}
MENTEE = {"first_name": "Inès", "last_name": "Haddadou", "email": "ines.haddadou@exemple.fr", "phone": "07 98 76 54 32"}
TYPED = {"first_name": "Séverine", "last_name": "Quintard", "email": "severine.quintard@exemple.fr",
         "phone": "06 55 44 33 22"}
PERSONAL = [v for record in (MENTOR, MENTEE, TYPED) for k, v in record.items() if k != "capacity"]


class FakeClock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- what the screen shows ------------------------------------------------------------------------

def _model_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()  # its columnCount is private
    texts = [str(model.headerData(column, Qt.Orientation.Horizontal) or "") for column in range(columns)]
    for row in range(min(model.rowCount(), 500)):
        for column in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.EditRole):
                texts.append(str(model.index(row, column).data(role) or ""))
    return texts


def _texts_of(widget: QWidget) -> list[str]:
    texts = [widget.toolTip(), widget.windowTitle() if widget.isWindow() else ""]
    if isinstance(widget, QLabel | QAbstractButton):
        texts.append(widget.text())
    if isinstance(widget, QLineEdit):
        texts += [widget.text(), widget.placeholderText()]
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        texts.append(widget.toPlainText())
    if isinstance(widget, QComboBox):
        texts += [widget.currentText(), *(widget.itemText(i) for i in range(widget.count()))]
    if isinstance(widget, QGroupBox):
        texts.append(widget.title())
    if isinstance(widget, QTabBar):
        texts += [widget.tabText(i) for i in range(widget.count())]
    if isinstance(widget, QAbstractItemView):
        texts += _model_texts(widget)
    if isinstance(widget, QMenuBar | QMenu):
        texts += [action.text() for action in widget.actions()]
    if isinstance(widget, QStatusBar):
        texts.append(widget.currentMessage())
    return texts


def shown_texts() -> list[str]:
    """Every text a visible widget of the application shows (titles, labels, fields, views' data)."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if top.isVisible():
            texts += _texts_of(top)
            texts += [t for child in top.findChildren(QWidget) if child.isVisible() for t in _texts_of(child)]
    return texts


def leaks() -> set[str]:
    """The personal values of the test's records that some visible widget shows."""
    shown = "\n".join(shown_texts())
    flat = shown.replace(" ", "").replace("\u00a0", "")
    return {value for value in PERSONAL if value in shown or value.replace(" ", "") in flat}


# -- set-up ---------------------------------------------------------------------------------------

@pytest.fixture
def records(store) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return store.create("mentor", dict(MENTOR)), store.create("mentee", dict(MENTEE))


def show_everything(qtbot, typist, window, records):  # type: ignore[no-untyped-def]
    """The mentee list, a mentor's form with unsaved edits, and a dialog naming her: all on screen."""
    mentor, _ = records
    window.show_section("mentee")
    window.section("mentee").refresh()
    loaded(qtbot, window.section("mentee").list_page)
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    window.show_section("mentor")
    window.section("mentor").edit_record(mentor)
    qtbot.waitUntil(lambda: window.section("mentor").form() is not None, timeout=5000)
    form = window.section("mentor").form()
    settle(qtbot, window)
    type_into(typist, form, "phone", TYPED["phone"])
    window.setWindowTitle(f"{MENTOR['first_name']} {MENTOR['last_name']} — Tandem Desktop")
    box = QMessageBox(QMessageBox.Icon.Information, f"Fiche de {MENTEE['last_name']}",
                      f"{MENTEE['first_name']} {MENTEE['last_name']} attend un mentor.", parent=window)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
    qtbot.waitExposed(box)
    assert {MENTOR["last_name"], MENTEE["last_name"], TYPED["phone"]} <= leaks(), "the check sees what shows"
    return form, box


def unlock_with(qtbot, typist, screen: LockScreen, passphrase: str) -> None:  # type: ignore[no-untyped-def]
    screen.passphrase.setFocus()
    typist(screen.passphrase, passphrase)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)


def wait_answer(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.screen_lock._checking, timeout=20_000)


# -- tests ----------------------------------------------------------------------------------------

def test_ctrl_l_hides_every_personal_value_and_the_passphrase_brings_all_back(
        qtbot, typist, window, records) -> None:  # type: ignore[no-untyped-def]
    form, box = show_everything(qtbot, typist, window, records)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    assert window.screen_lock.locked
    assert leaks() == set()
    assert window.screen_lock.screen.isVisible() and window.screen_lock.screen.passphrase.isVisible()
    assert window.windowTitle() == box.windowTitle() == lock_module.LOCKED_TITLE
    assert box.isVisible(), "the dialog stays open, its contents hidden under a lock screen"
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    qtbot.keyClick(window.screen_lock.screen.passphrase, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.navigation.currentRow() == 0, "the window's shortcuts do nothing while locked (Ctrl+2)"

    unlock_with(qtbot, typist, window.screen_lock.screen, PASSPHRASE)
    wait_answer(qtbot, window)
    assert not window.screen_lock.locked
    assert window.windowTitle() == f"{MENTOR['first_name']} {MENTOR['last_name']} — Tandem Desktop"
    assert box.windowTitle() == f"Fiche de {MENTEE['last_name']}"
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert {MENTOR["last_name"], MENTEE["last_name"], TYPED["phone"]} <= leaks()
    assert window.section("mentor").form() is form and form.widget("phone").text() == TYPED["phone"]
    box.close()


def test_an_open_form_keeps_its_unsaved_edits_across_the_lock(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section("mentee").form()
    for name in ("first_name", "last_name", "email"):
        type_into(typist, form, name, TYPED[name])
    window.lock_action.trigger()
    assert window.screen_lock.locked and leaks() == set()
    unlock_with(qtbot, typist, window.screen_lock.screen, PASSPHRASE)
    wait_answer(qtbot, window)

    assert not window.screen_lock.locked
    assert window.section("mentee").form() is form and form.isVisible()
    assert [form.widget(n).text() for n in ("first_name", "last_name", "email")] == [
        TYPED["first_name"], TYPED["last_name"], TYPED["email"]]
    assert form.is_dirty() and store.count("mentee") == 0


def test_idle_time_locks_and_input_puts_it_off(qtbot, window, records) -> None:  # type: ignore[no-untyped-def]
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    idle, clock = window.screen_lock.idle, FakeClock()
    assert idle.seconds == 10 * 60, "the default: ten minutes"
    idle.clock = clock
    idle.touch()
    clock.now += 599
    idle.check()
    assert not window.screen_lock.locked
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):  # the counsellor types something
        QApplication.sendEvent(window.navigation, QKeyEvent(kind, Qt.Key.Key_Shift, Qt.KeyboardModifier.NoModifier))
    clock.now += 599
    idle.check()
    assert not window.screen_lock.locked, "input starts the ten minutes again"
    clock.now += 2
    idle.check()
    assert window.screen_lock.locked and leaks() == set()


def test_the_idle_timer_fires_by_itself(qtbot, window, records) -> None:  # type: ignore[no-untyped-def]
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    assert MENTOR["last_name"] in leaks()
    window.screen_lock.idle.set_seconds(0.3)
    qtbot.waitUntil(lambda: window.screen_lock.locked, timeout=5000)
    assert leaks() == set()


def test_zero_minutes_never_locks(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    idle = window.screen_lock.idle
    idle.clock = FakeClock()
    idle.set_seconds(0)
    idle.clock.now += 10 ** 6
    idle.check()
    qtbot.wait(50)
    assert not window.screen_lock.locked


def test_a_wrong_passphrase_stays_locked_and_repeated_ones_wait_longer(qtbot, typist, window, records,
                                                                       settings, store) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    window.screen_lock.clock = clock
    profile_json = settings.profile_path.read_bytes()
    window.screen_lock.lock()
    screen = window.screen_lock.screen
    for attempt in (1, 2):
        unlock_with(qtbot, typist, screen, "pas la bonne phrase")
        wait_answer(qtbot, window)
        assert window.screen_lock.locked and leaks() == set()
        assert screen.message.isVisible() and screen.message.text() == MSG_WRONG
        assert screen.button.isEnabled(), f"no wait after {attempt} failure(s)"
    unlock_with(qtbot, typist, screen, "toujours pas la bonne")
    wait_answer(qtbot, window)
    assert screen.message.text().startswith(MSG_WRONG)
    assert "Nouvel essai possible dans 2\u00a0s." in screen.message.text()
    assert not screen.button.isEnabled() and not screen.passphrase.isEnabled()
    window.screen_lock.attempt(PASSPHRASE)
    assert not window.screen_lock._checking, "no attempt while it waits"
    clock.now += failure_delay(3) + 0.1
    qtbot.waitUntil(lambda: screen.button.isEnabled(), timeout=3000)
    assert screen.message.text() == MSG_WRONG
    unlock_with(qtbot, typist, screen, PASSPHRASE)
    wait_answer(qtbot, window)
    assert not window.screen_lock.locked
    assert settings.profile_path.read_bytes() == profile_json and store.count("mentor") == 1, "nothing wiped"
    assert [failure_delay(n) for n in (1, 2, 3, 4, 5, 20)] == [0, 0, 2, 4, 8, 60]


def test_with_the_key_in_the_keyring_one_button_unlocks(qtbot, memory_keyring, window, records) -> None:  # type: ignore[no-untyped-def]
    window.section("mentor").refresh()
    loaded(qtbot, window.section("mentor").list_page)
    window.lock_action.trigger()
    screen = window.screen_lock.screen
    assert window.screen_lock.locked and leaks() == set()
    assert not screen.passphrase.isVisible() and screen.button.isVisible()
    memory_keyring.lock()
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    wait_answer(qtbot, window)
    assert window.screen_lock.locked and "Le trousseau du système est verrouillé" in screen.message.text()
    memory_keyring.unlock()
    reads = memory_keyring.calls
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    wait_answer(qtbot, window)
    assert not window.screen_lock.locked and memory_keyring.calls > reads, "the key was read again"
    assert MENTOR["last_name"] in leaks()


def test_a_keyring_that_lost_the_key_does_not_unlock(qtbot, memory_keyring, window) -> None:  # type: ignore[no-untyped-def]
    window.screen_lock.lock()
    memory_keyring.clear()
    qtbot.mouseClick(window.screen_lock.screen.button, Qt.MouseButton.LeftButton)
    wait_answer(qtbot, window)
    assert window.screen_lock.locked and window.screen_lock.screen.message.text() == lock_module.MSG_KEY_GONE


def test_a_save_started_before_the_lock_finishes_behind_it(qtbot, typist, window, store) -> None:  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.section("mentee").form()
    for name in ("first_name", "last_name", "email"):
        type_into(typist, form, name, TYPED[name])
    gate = threading.Event()
    window.runner.submit(lambda: gate.wait(10))  # the database lane is busy: the save waits behind it
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    window.screen_lock.lock()
    gate.set()
    settle(qtbot, window)

    assert window.screen_lock.locked, "still locked: the write went on without it"
    assert [r["last_name"] for r in store.live_records("mentee")] == [TYPED["last_name"]]
    assert window.section("mentee").form() is None, "the form closed on its save, behind the lock"
    loaded(qtbot, window.section("mentee").list_page)
    assert leaks() == set(), "the list read its new row, and nothing of it shows"


def test_a_modal_dialog_keeps_running_and_its_lock_screen_unlocks(qtbot, typist, window, records) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}
    box = QMessageBox(QMessageBox.Icon.Question, "Supprimer", f"Supprimer la fiche de {MENTOR['last_name']}\u00a0?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)

    def while_open() -> None:
        window.screen_lock.lock()
        seen["leaks"] = leaks()
        covers = [s for s in box.findChildren(LockScreen) if s.isVisible()]
        seen["covered"] = bool(covers)
        if covers:
            unlock_with(qtbot, typist, covers[0], PASSPHRASE)  # the one a modal dialog lets through
            qtbot.waitUntil(lambda: not window.screen_lock.locked, timeout=20_000)
        seen["text_back"] = box.isVisible() and MENTOR["last_name"] in box.text() and box.findChild(QLabel).isVisible()
        box.button(QMessageBox.StandardButton.No).click()

    QTimer.singleShot(100, while_open)
    answer = box.exec()
    assert seen == {"leaks": set(), "covered": True, "text_back": True}
    assert answer == QMessageBox.StandardButton.No, "the counsellor's own answer, not one made by the lock"


def test_a_dialog_shown_while_locked_is_covered_too(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.screen_lock.lock()
    box = QMessageBox(QMessageBox.Icon.Warning, "Erreur", f"Échec pour {MENTEE['last_name']}", parent=window)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
    assert box.isVisible() and leaks() == set() and box.windowTitle() == lock_module.LOCKED_TITLE
    box.setWindowTitle(f"Erreur — {MENTEE['last_name']}")
    assert leaks() == set(), "a title set while locked waits for the unlock"
    window.screen_lock.unlock()
    assert box.windowTitle() == f"Erreur — {MENTEE['last_name']}" and MENTEE["last_name"] in leaks()
    box.close()


def test_the_application_suspended_locks(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationSuspended)
    assert window.screen_lock.locked


@pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="no dbus-daemon on this machine")
def test_the_screen_saver_the_session_lock_and_sleep_lock_it(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """A private bus stands in for the session and system buses; a second connection plays the screen
    saver and logind (it owns org.freedesktop.login1, as logind does)."""
    from PySide6.QtDBus import QDBusConnection, QDBusMessage

    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = daemon.stdout.readline().strip()  # type: ignore[union-attr]
        bus = QDBusConnection.connectToBus(address, "tandem-lock-test")
        system = QDBusConnection.connectToBus(address, "tandem-lock-logind")
        assert system.registerService("org.freedesktop.login1")
        assert len(lock_module.watch_session(window.screen_lock, session=bus, system=bus)) == 4
        signals = [("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged", [True]),
                   ("/org/freedesktop/login1/session/_32", "org.freedesktop.login1.Session", "Lock", []),
                   ("/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep", [True])]
        for path, interface, name, arguments in signals:
            signal = QDBusMessage.createSignal(path, interface, name)
            signal.setArguments(arguments)
            assert system.send(signal)
            qtbot.waitUntil(lambda: window.screen_lock.locked, timeout=5000)
            assert leaks() == set()
            window.screen_lock.unlock()
    finally:
        for name in ("tandem-lock-test", "tandem-lock-logind"):
            QDBusConnection.disconnectFromBus(name)
        daemon.terminate()
        daemon.wait(5)


def test_the_lock_minutes_come_from_tandem_lock_minutes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_settings(tmp_path, environ={}).lock_after_minutes == 10
    assert load_settings(tmp_path, environ={ENV_LOCK_MINUTES: " 5 "}).lock_after_minutes == 5
    assert parse_lock_minutes("0") == 0 and parse_lock_minutes("") == 10
    for bad in ("abc", "-5", "1.5", "99999", "５"):
        with pytest.raises(SettingsError) as error:
            load_settings(tmp_path, environ={ENV_LOCK_MINUTES: bad})
        assert str(error.value).startswith(f"{ENV_LOCK_MINUTES} doit être un nombre entier de minutes de 0 à 1440")


def test_the_store_checks_a_passphrase_against_profile_json_alone(settings, profile) -> None:  # type: ignore[no-untyped-def]
    meta = KeyMeta.load(settings.profile_path)
    assert verify_passphrase(meta, PASSPHRASE) and not verify_passphrase(meta, PASSPHRASE + " ")
    assert not verify_passphrase(meta, "") and not verify_keyring_key(meta), "a passphrase profile has no keyring key"
    assert lock_module.check_unlock(settings.profile_path, PASSPHRASE) is True
