"""The window's lock: after an idle time, at Ctrl+L, or when the session locks, every personal value goes
behind an unlock screen until the counsellor shows again that they hold the profile's key.

Nothing is closed or rebuilt, only hidden: a form keeps its unsaved edits, a dialog stays open under a lock
screen of its own (a modal `exec()` goes on; the lock screen it lets through is there), tasks and sync go on.
Session locks are seen on Linux (D-Bus), not on Windows or macOS: there the idle time does it, on a clock that
counts sleep. The keyring has no « ask the user again » call: « Déverrouiller » just reads the key again."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import SLOT, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ..store.errors import StoreError
from ..store.keys import KeyMeta, verify_keyring_key, verify_passphrase
from .display import NBSP
from .fitting import ERROR_STYLE, adopt, say
from .tasks import Lane, TaskRunner

Clock = Callable[[], float]
LOCKED_TITLE = "Verrouillé — Tandem Desktop"
_GOES_ON = f"{NBSP}; le travail en cours continue (fiches ouvertes, synchronisation)."
INTRO_PASSPHRASE = "Les fiches sont masquées. Saisissez la phrase de passe du profil pour les afficher" + _GOES_ON
INTRO_KEYRING = "Les fiches sont masquées. Déverrouillez pour les afficher" + _GOES_ON
MSG_WRONG = f"Phrase de passe incorrecte{NBSP}: Tandem Desktop reste verrouillé. Vérifiez-la, puis réessayez."
MSG_CHECKING = "Vérification…"
MSG_KEY_GONE = (f"La clé de ce profil n’est plus dans le trousseau du système{NBSP}: Tandem Desktop reste "
                f"verrouillé. Les fiches enregistrées sont conservées{NBSP}; rouvrez le profil avec son code "
                "de secours.")
MSG_NO_PROFILE = (f"Le fichier profile.json du profil est illisible{NBSP}: Tandem Desktop reste verrouillé. "
                  "Rien n’a été modifié.")
_E = QEvent.Type
INPUT_EVENTS = frozenset({_E.KeyPress, _E.MouseButtonPress, _E.MouseMove, _E.Wheel, _E.TouchBegin, _E.TouchUpdate,
                          _E.TabletPress, _E.InputMethod})
WINDOW_TYPES = {Qt.WindowType.Window, Qt.WindowType.Dialog, Qt.WindowType.Sheet, Qt.WindowType.Drawer,
                Qt.WindowType.Tool}
SUSPENDED = {Qt.ApplicationState.ApplicationSuspended, Qt.ApplicationState.ApplicationHidden}
MAX_CHECK_S = 30.0  # the idle timer looks at least this often (a resume from sleep is seen soon)


def sleep_counting_clock() -> Clock:
    """Seconds that go on while the laptop sleeps (a lid closed for an hour is an hour idle): Linux's
    CLOCK_BOOTTIME, macOS's CLOCK_MONOTONIC (time.monotonic stops in sleep on both); Windows' monotonic."""
    clock_id = getattr(time, "CLOCK_BOOTTIME", None)
    if clock_id is None and sys.platform == "darwin":
        clock_id = time.CLOCK_MONOTONIC
    return time.monotonic if clock_id is None else (lambda: time.clock_gettime(clock_id))


def failure_delay(failures: int) -> float:
    """Seconds before the next attempt: two free tries, then 2, 4, 8… up to a minute. Nothing is wiped."""
    return 0.0 if failures < 3 else min(60.0, 2.0 ** (failures - 2))


def check_unlock(profile_path: Path, passphrase: str) -> bool:
    """On a worker: is the key still at hand (the passphrase, or the keyring)? Reads profile.json only,
    never the database. LockedKeyring / KeyringUnreachable say themselves; OSError, ValueError if unreadable."""
    meta = KeyMeta.load(profile_path)
    return verify_keyring_key(meta) if meta.key_source == "keyring" else verify_passphrase(meta, passphrase)


class IdleWatcher(QObject):
    """An application event filter: `idle` fires after `seconds` without keyboard, mouse or touch input
    anywhere in the application (0: never). The clock is injectable: tests need not wait."""

    idle = Signal()

    def __init__(self, seconds: float, clock: Clock | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.clock = clock or sleep_counting_clock()
        self._timer = QTimer(self, singleShot=True, timeout=self.check)
        QApplication.instance().installEventFilter(self)
        self.set_seconds(seconds)

    def set_seconds(self, seconds: float) -> None:
        self.seconds = seconds
        self.touch()
        self.check()

    def touch(self) -> None:
        self.last_input = self.clock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self.last_input = self.clock()
        return False

    def check(self) -> None:
        """Fire if the idle time is over (then count a whole period again); else wait for what is left."""
        if self.seconds <= 0:
            self._timer.stop()
            return
        left = self.seconds - (self.clock() - self.last_input)
        if left <= 0:
            self.touch()
            self.idle.emit()
            left = self.seconds
        self._timer.start(int(min(left, MAX_CHECK_S) * 1000) + 1)


class LockScreen(QWidget):
    """What a locked window shows: no record, only how to unlock (a passphrase, or one button)."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="lock_screen", autoFillBackground=True)
        heading = QLabel("Tandem Desktop est verrouillé", self, styleSheet="font-size: 14pt; font-weight: bold;")
        self.intro = QLabel(self, wordWrap=True)
        self.passphrase = QLineEdit(self, objectName="lock_passphrase", echoMode=QLineEdit.EchoMode.Password,
                                    placeholderText="Phrase de passe du profil")
        self.button = QPushButton("&Déverrouiller", self, objectName="unlock_button")
        self.message = QLabel(self, objectName="lock_message")
        adopt(self.message)
        box = QWidget(self, minimumWidth=380, maximumWidth=460)  # wrapped lines need a width of their own
        inner = QVBoxLayout(box)
        for widget in (heading, self.intro, self.passphrase, self.button, self.message):
            inner.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(box, 1, Qt.AlignmentFlag.AlignCenter)
        self.button.clicked.connect(lambda: self.submitted.emit(self.passphrase.text()))
        self.passphrase.returnPressed.connect(self.button.click)

    def prepare(self, with_passphrase: bool) -> None:
        self.intro.setText(INTRO_PASSPHRASE if with_passphrase else INTRO_KEYRING)
        self.passphrase.setVisible(with_passphrase)
        self.passphrase.clear()

    def show_state(self, message: str, style: str, enabled: bool) -> None:
        say(self.message, message, style)
        self.passphrase.setEnabled(enabled)
        self.button.setEnabled(enabled)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        event.accept()  # Échap or Entrée left by the fields stops here, never closing the dialog behind

    def take_focus(self) -> None:
        (self.passphrase if self.passphrase.isVisibleTo(self) else self.button).setFocus()


@dataclass
class _Covered:  # a window while locked: its own title, the direct children hidden, the one left shown
    window: QWidget
    title: str
    keep: QWidget
    cover: LockScreen | None = None
    hidden: list[QWidget] = field(default_factory=list)


class LockController(QObject):
    """Locks and unlocks the whole application, for its one main window (one profile per process)."""

    locked_changed = Signal(bool)

    def __init__(self, window: QMainWindow, runner: TaskRunner, profile_path: Path, minutes: int, *,
                 clock: Clock | None = None):
        super().__init__(window)
        self.window, self.runner, self.profile_path = window, runner, profile_path
        self.clock = clock or sleep_counting_clock()
        self.locked = self._checking = self._with_passphrase = False
        self.failures, self.retry_at, self._reason, self._style = 0, 0.0, "", ERROR_STYLE
        self._covered: list[_Covered] = []
        self._focus: QWidget | None = None
        self.stack = QStackedWidget(window, objectName="lock_stack")  # the window's content, its lock screen
        self.stack.addWidget(window.takeCentralWidget())
        self.screen = self._new_screen(self.stack)
        self.stack.addWidget(self.screen)
        window.setCentralWidget(self.stack)
        self.idle = IdleWatcher(minutes * 60, self.clock, self)
        self.idle.idle.connect(self.lock)
        self._wait_timer = QTimer(self, interval=500, timeout=self._show_state)
        QGuiApplication.instance().applicationStateChanged.connect(self._app_state)
        self.session_hooks = watch_session(self)

    def _new_screen(self, parent: QWidget) -> LockScreen:
        screen = LockScreen(parent)
        screen.submitted.connect(self.attempt)
        screen.prepare(self._with_passphrase)
        return screen

    def screens(self) -> list[LockScreen]:
        return [self.screen, *(c.cover for c in self._covered if c.cover is not None and isValid(c.cover))]

    def _alive(self) -> bool:
        return isValid(self.window) and self.window.isVisible()  # closed (not deleted yet): locks nothing

    # -- locking ------------------------------------------------------------------------------

    @Slot()
    def lock(self) -> None:
        if self.locked or not self._alive():
            return
        self.locked = True
        try:
            self._with_passphrase = KeyMeta.load(self.profile_path).key_source != "keyring"
        except (OSError, ValueError, TypeError):  # said at the first attempt (check_unlock)
            self._with_passphrase = True
        self._focus = QApplication.focusWidget()
        QToolTip.hideText()
        for _ in range(10):  # an open menu, completer or combo list closes (its exec() just returns)
            if (popup := QApplication.activePopupWidget()) is None:
                break
            popup.close()
        self.screen.prepare(self._with_passphrase)
        self.stack.setCurrentWidget(self.screen)
        self._cover(self.window, keep=self.stack)
        for widget in QApplication.topLevelWidgets():
            if widget is not self.window and widget.isVisible() and widget.windowType() in WINDOW_TYPES:
                self._cover(widget)
        QApplication.instance().installEventFilter(self)
        self._say("")
        self._top_screen().take_focus()
        self.locked_changed.emit(True)

    def _cover(self, window: QWidget, keep: QWidget | None = None) -> None:
        """Hide the window's direct children (all it shows) but `keep`, or else a lock screen of its own."""
        if self._record(window) is not None:
            return
        cover = None if keep is not None else self._new_screen(window)
        record = _Covered(window, window.windowTitle(), keep or cover, cover)  # type: ignore[arg-type]
        self._covered.append(record)  # before the cover shows: the filter must know it is ours
        for child in window.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child is not record.keep and not child.isWindow() and not child.isHidden():
                child.hide()
                record.hidden.append(child)
        if cover is not None:
            if window.layout() is not None and not isinstance(window, QMainWindow):
                window.layout().addWidget(cover)  # the dialog's layout gives it room
            else:
                cover.setGeometry(window.rect())
            cover.show()
        window.setWindowTitle(LOCKED_TITLE)

    def unlock(self) -> None:
        if not self.locked:
            return
        QApplication.instance().removeEventFilter(self)
        self.locked, self.failures, self.retry_at, self._reason = False, 0, 0.0, ""
        self._wait_timer.stop()
        for record in self._covered:
            if not isValid(record.window):
                continue
            if record.cover is not None and isValid(record.cover):
                record.cover.hide()
                record.cover.deleteLater()  # its layout lets go of it then
            for child in record.hidden:
                if isValid(child) and child.parentWidget() is record.window:
                    child.show()
            record.window.setWindowTitle(record.title)
            if callable(refresh := getattr(record.window, "after_unlock", None)):
                refresh()  # a window whose state moved behind the lock shows it again (import_dialog)
        self._covered.clear()
        self.stack.setCurrentIndex(0)
        self.screen.prepare(False)  # nothing typed stays in it
        if self._focus is not None and isValid(self._focus) and self._focus.isVisible():
            self._focus.setFocus()
        self._focus = None
        self.idle.touch()
        self.locked_changed.emit(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While locked: what shows up is hidden again (or covered, for a new window), shortcuts do nothing
        outside the lock screens, and a title set meanwhile waits for the unlock."""
        kind = event.type()
        if not self._alive():
            return False
        if kind == QEvent.Type.Show and isinstance(watched, QWidget):
            self._shown(watched)
        elif kind == QEvent.Type.Shortcut:
            return not _inside_lock_screen(watched)
        elif (kind == QEvent.Type.WindowTitleChange and (record := self._record(watched)) is not None
              and record.window.windowTitle() != LOCKED_TITLE):
            record.title = record.window.windowTitle()
            record.window.setWindowTitle(LOCKED_TITLE)
        return False

    def _shown(self, widget: QWidget) -> None:
        if widget.isWindow():
            if widget.windowType() in WINDOW_TYPES:
                self._cover(widget)
                self._show_state()
                QTimer.singleShot(0, self._top_screen().take_focus)
            elif not _inside_lock_screen(widget):  # a menu or a list popping up behind the lock
                QTimer.singleShot(0, widget.close)
        elif (record := self._record(widget.parentWidget())) is not None and widget is not record.keep:
            widget.hide()
            record.hidden.append(widget)

    def _record(self, window: QObject | None) -> _Covered | None:
        return next((c for c in self._covered if c.window is window), None)

    def _top_screen(self) -> LockScreen:
        """The lock screen of the newest covered window shown: the one a modal dialog lets through."""
        shown = [c.cover for c in self._covered if c.cover is not None and isValid(c.cover) and c.window.isVisible()]
        return shown[-1] if shown else self.screen

    @Slot(Qt.ApplicationState)
    def _app_state(self, state: Qt.ApplicationState) -> None:  # mostly mobile: desktops stay « active »
        self._session_changed(state in SUSPENDED)

    @Slot(bool)
    def _session_changed(self, locking: bool) -> None:
        """A screen saver started, the laptop goes to sleep, or the application is suspended."""
        if locking:
            self.lock()

    # -- unlocking ----------------------------------------------------------------------------

    def attempt(self, passphrase: str) -> None:
        """Check the key on the CPU lane (scrypt is slow on purpose): the window stays responsive."""
        if not self.locked or self._checking or self.clock() < self.retry_at:
            return
        self._checking = True
        self._say(MSG_CHECKING, "")
        path = self.profile_path
        self.runner.submit(lambda: check_unlock(path, passphrase), on_done=self._checked,
                           on_error=self._checked, lane=Lane.CPU)

    def _checked(self, answer: bool | BaseException) -> None:
        self._checking = False
        if not self.locked:
            return
        if answer is True:
            self.unlock()
            return
        if answer is False and self._with_passphrase:
            self.failures += 1
            self.retry_at = self.clock() + failure_delay(self.failures)
        for screen in self.screens():
            screen.passphrase.clear()
        if answer is False:
            self._say(MSG_WRONG if self._with_passphrase else MSG_KEY_GONE)
        else:  # a locked or unreachable keyring says what to do; profile.json unreadable
            self._say(str(answer) if isinstance(answer, StoreError) else MSG_NO_PROFILE)
        self._top_screen().take_focus()

    def _say(self, reason: str, style: str = ERROR_STYLE) -> None:
        self._reason, self._style = reason, style
        self._show_state()

    def _show_state(self) -> None:
        """The same message on every lock screen; after repeated failures, field and button wait, with
        the seconds left under the message."""
        left = self.retry_at - self.clock()
        waiting = left > 0 and self.locked
        text = self._reason + (f"\nNouvel essai possible dans {math.ceil(left)}{NBSP}s." if waiting else "")
        for screen in self.screens():
            screen.show_state(text, self._style, not waiting and not self._checking)
        if waiting and not self._wait_timer.isActive():
            self._wait_timer.start()
        elif not waiting and self._wait_timer.isActive():
            self._wait_timer.stop()
            self._top_screen().take_focus()


def _inside_lock_screen(obj: QObject | None) -> bool:
    while obj is not None and not isinstance(obj, LockScreen):
        obj = obj.parent()
    return obj is not None


def watch_session(target: LockController, session=None, system=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Linux: lock when a screen saver starts, logind locks the session or the laptop goes to sleep.
    The buses are injectable (a test's own bus); returns the signals hooked (none without D-Bus)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        from PySide6.QtDBus import QDBusConnection
    except ImportError:
        return []
    session = session if session is not None else QDBusConnection.sessionBus()
    system = system if system is not None else QDBusConnection.systemBus()
    login1 = "org.freedesktop.login1"  # its Lock: of any session on this laptop (a lock too many is harmless)
    hooks = [(session, "", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged"),
             (session, "", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver", "ActiveChanged"),
             (system, login1, "", f"{login1}.Session", "Lock"),
             (system, login1, "/org/freedesktop/login1", f"{login1}.Manager", "PrepareForSleep")]  # (True)
    hooked = []
    for bus, service, path, interface, name in hooks:
        slot = SLOT("lock()" if name == "Lock" else "_session_changed(bool)")
        if bus.isConnected() and bus.connect(service, path, interface, name, target, slot):
            hooked.append(f"{interface}.{name}")
    return hooked

