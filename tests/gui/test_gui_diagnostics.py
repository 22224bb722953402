"""Through the real window: records written with distinctive names and e-mails, a background job that
fails, an exception in a slot and a Qt warning all reach the field log, and none of the personal values
does; the « erreur inattendue » dialog and its « Copier le rapport »; « À propos »."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from PySide6.QtCore import Qt, QTimer, qVersion, qWarning
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from tandem_desktop import __version__
from tandem_desktop.app import start_diagnostics, watch_runner
from tandem_desktop.diagnostics import FieldLog, logs_dir
from tandem_desktop.gui.diagnostics import TITLE, ErrorDialog
from tandem_desktop.store.queries import ListQuery
from tests.gui.test_gui_mentors import open_new_mentor_form, press, type_into
from tests.test_diagnostics import EMAIL, EMAIL_2, FIRST, LAST, LAST_2, NOTE, PHONE, assert_no_personal_data

pytestmark = pytest.mark.gui


@pytest.fixture
def diagnostics(qapp, settings, profile, runner) -> Iterator[FieldLog]:  # type: ignore[no-untyped-def]
    """What app.py sets up around the window: the field log, hooks, Qt messages, the error dialog."""
    with ExitStack() as stack:
        installed = start_diagnostics(settings, stack)
        watch_runner(runner, installed)
        yield installed
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ErrorDialog):
            widget.close()


def error_dialog(qtbot) -> ErrorDialog:  # type: ignore[no-untyped-def]
    found: list[ErrorDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=5000)
    assert len(found) == 1
    return found[0]


def failing_job() -> None:
    person = {"first_name": FIRST, "email": EMAIL}  # a local: never logged
    raise ZeroDivisionError(f"{person} {NOTE}")


def test_the_window_logs_its_events_and_no_personal_value(qtbot, typist, diagnostics, window, store,  # type: ignore[no-untyped-def]
                                                          runner, settings) -> None:
    form = open_new_mentor_form(qtbot, window)
    for name, value in (("first_name", FIRST), ("last_name", LAST), ("email", EMAIL), ("phone", PHONE)):
        type_into(typist, form, name, value)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: store.count("mentor") == 1)
    mentor = store.find("mentor", ListQuery())[0]["id"]
    window.section("mentor").open_record(mentor)
    form = window.section("mentor").form()
    type_into(typist, form, "last_name", LAST_2)
    type_into(typist, form, "email", EMAIL_2)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: store.get("mentor", mentor)["email"] == EMAIL_2)

    runner.submit(failing_job)  # nobody handles its failure
    dialog = error_dialog(qtbot)
    assert "ZeroDivisionError" in dialog.report_text() and FIRST not in dialog.report_text()

    def slot() -> None:
        raise ValueError(f"« {LAST_2} » <{EMAIL_2}>")

    QTimer.singleShot(0, slot)  # an exception in a slot, raised by Qt's event loop
    qtbot.waitUntil(lambda: len(dialog.reports) == 2, timeout=5000)
    assert dialog.more.text() == "Et 1 autre erreur depuis (dans le rapport)."
    qWarning(f"a Qt warning about {EMAIL}")
    assert window.isVisible(), "the app keeps running"

    window.close()
    runner.wait()
    diagnostics.handler.flush()
    text = assert_no_personal_data(settings.data_dir)
    assert f"created mentor {mentor}" in text and f"updated mentor {mentor}: email,last_name" in text
    assert "unexpected ZeroDivisionError in tandem-desktop (tâche en arrière-plan)" in text
    assert "dans failing_job" in text
    assert "unexpected ValueError in tandem-desktop (exception non rattrapée)" in text and "dans slot" in text
    assert "WARNING qt [MainThread] a Qt warning about <e-mail> (default)" in text


def test_the_error_dialog_copies_a_report_without_personal_data(qtbot, diagnostics, window, runner) -> None:  # type: ignore[no-untyped-def]
    runner.submit(failing_job)
    dialog = error_dialog(qtbot)
    assert dialog.findChild(QLabel, "error_title").text() == TITLE == "Une erreur inattendue s’est produite"
    assert dialog.windowTitle() == "Erreur inattendue"
    QApplication.clipboard().clear()
    copy = dialog.findChild(QPushButton, "copy_report")
    assert copy.text() == "Copier le rapport"
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert copied == dialog.report_text() and copy.text() == "Rapport copié"
    lines = copied.splitlines()
    assert lines[0] == "Rapport d’erreur de Tandem Desktop (sans données personnelles)"
    assert f"Version\u00a0: Tandem Desktop {__version__}" in lines
    assert f"Qt\u00a0: {qVersion()}" in lines and any(line.startswith("Système\u00a0: ") for line in lines)
    assert "Contexte\u00a0: tâche en arrière-plan" in lines and "ZeroDivisionError" in lines
    assert any(line.startswith("  tests/gui/test_gui_diagnostics.py:") and line.endswith("dans failing_job")
               for line in lines)
    for secret in (FIRST, EMAIL, NOTE, "first_name"):
        assert secret not in copied
    dialog.grab().save("/tmp/error_dialog.png")
    qtbot.mouseClick(dialog.findChild(QPushButton, "close_error"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    runner.submit(failing_job)  # a later error opens a new dialog
    assert error_dialog(qtbot) is not dialog


def test_about_names_the_version_and_the_folders(qtbot, window, settings) -> None:  # type: ignore[no-untyped-def]
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "Ai&de")
    assert [a.text() for a in help_menu.actions()] == ["À &propos de Tandem Desktop"]
    window.about_action.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "about_dialog" and w.isVisible())
    assert dialog.windowTitle() == "À propos de Tandem Desktop"
    text = dialog.findChild(QLabel, "about_text").text()
    assert f"Tandem Desktop {__version__}" in text
    assert f"Dossier des données\u00a0: {settings.data_dir}" in text
    assert f"Dossier du journal\u00a0: {logs_dir(settings.data_dir)}" in text and "licence MIT" in text
    dialog.grab().save("/tmp/about.png")
    dialog.close()


def test_the_desktop_app_prints_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    from tandem_desktop import app

    with pytest.raises(SystemExit) as done:
        app.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"tandem-desktop {__version__}\n"
