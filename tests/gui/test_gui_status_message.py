"""The status bar's message: cut with « … » (outcome first), whole in the tooltip and in « Détails »;
a sync that works ends a stale failure; the conflict values read in French — real window, real hub."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sync_support import close_window, enroll, hub, make_controller, open_window, shot, status_texts, sync_window

from tandem_desktop.gui.conflicts_view import ConflictTableModel, describe
from tandem_desktop.gui.sync_service import MSG_UNREACHABLE
from tandem_desktop.gui.sync_texts import failure_summary, report_text
from tandem_desktop.services.sync import Conflict, SyncReport
from tandem_desktop.texts.french import NBSP

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]

LOCKED = ("Le trousseau du système est verrouillé : le jeton de ce poste pour le hub ne peut pas être lu. "
          "Inutile de relier ce poste de nouveau : déverrouillez le trousseau, la synchronisation reprendra.")


def test_a_long_message_is_cut_with_an_ellipsis_whole_in_tooltip_and_details(qtbot, sync_window) -> None:  # type: ignore[no-untyped-def]
    window = sync_window  # with the sync parts of the status bar, as a counsellor has it
    window.resize(1100, 600)
    text, detail = failure_summary("Trousseau verrouillé", LOCKED)
    assert text.startswith(f"Trousseau verrouillé{NBSP}: déverrouillez-le"), "what to do comes first"
    window.show_message(text, detail)
    bar = window.status_message
    qtbot.waitUntil(lambda: bar.width() > 0 and bar.is_cut(), timeout=5000)
    shown = bar.shown_text()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert shown.startswith(f"Trousseau verrouillé{NBSP}: déverrouillez"), "the instruction survives the cut"
    assert bar.toolTip() == detail and bar.text() == text
    assert bar.details_button.isVisible()
    shot(window.statusBar(), "polish_status_cut")
    qtbot.mouseClick(bar.label, Qt.MouseButton.LeftButton)
    assert bar.box is not None and bar.box.isVisible() and bar.box.text() == detail
    bar.box.close()
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    assert isinstance(bar.box, QMessageBox) and bar.box.text() == detail
    bar.box.close()

    window.resize(1600, 600)
    window.show_message("Réglages enregistrés.")
    qtbot.waitUntil(lambda: not bar.is_cut(), timeout=5000)
    assert bar.shown_text() == "Réglages enregistrés." and not bar.details_button.isVisible()


def test_the_sync_summary_says_what_was_refused_first() -> None:
    text = report_text(SyncReport(pushed=0, pulled=2, refused=1))
    assert text.startswith("1\u00a0modification refusée par le hub")
    assert text.endswith(f"Synchronisation terminée{NBSP}: 0{NBSP}modification envoyée, 2{NBSP}mises à jour reçues.")
    assert report_text(SyncReport(pushed=3)).startswith(f"Synchronisation terminée{NBSP}: 3{NBSP}modifications")


def test_a_sync_that_works_ends_the_stale_failure(qtbot, typist, profile, runner, hub) -> None:  # type: ignore[no-untyped-def]
    controller = make_controller(profile, runner, debounce_ms=100, probe_ms=150)
    window = open_window(qtbot, profile, runner, controller)
    try:
        enroll(qtbot, typist, window, hub.url, hub.code())
        hub.stop()
        window.sync_ui.sync_now()  # asked for: its failure is told
        qtbot.waitUntil(lambda: window.status_message.text() == MSG_UNREACHABLE, timeout=10_000)
        reports: list[Any] = []
        controller.synced.connect(reports.append)
        hub.start()  # found again by the probe: an automatic sync
        qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
        assert controller.reason not in ("manual",)
        assert status_texts(window)["state"] == "En ligne"
        assert window.status_message.text() == "", "no « Hub injoignable » beside « En ligne »"
        shot(window.statusBar(), "polish_status_back_online")
    finally:
        close_window(window, runner)


def test_conflict_values_have_their_no_break_space_and_unit(qtbot) -> None:  # type: ignore[no-untyped-def]
    conflict = Conflict(
        id="c1", seq=None, conflict_type="refused", kind="mentor", record_id="r1", field=None, kept_value=None,
        kept_version=None, lost_value={"languages": ["fr"], "mobility_km": 15}, lost_version=None, kept_device=None,
        lost_device=None, message=None, received_at="2026-11-20T10:00:00Z", resolved=False, resolved_at=None,
        kind_label="Mentor", field_label="", record_label="Yasmine Benali", type_label="Refusée par le hub",
        kept_text="", lost_text="", kept_by_me=False, lost_by_me=True, resendable=True, reversible=True,
        description="")
    model = ConflictTableModel()
    model.set_rows([describe(None, conflict)])
    lost = model.data(model.index(0, 3))
    assert f"{NBSP}; Déplacement accepté{NBSP}: 15{NBSP}km" in lost and " ;" not in lost


def test_the_charters_part_of_a_sync_is_told_too() -> None:
    report = SyncReport(pushed=1, pulled=0, charters={"announced": 2, "received": 1, "refused": 1, "deferred": True})
    text = report_text(report)
    assert text.startswith(f"1{NBSP}charte refusée par le hub (le motif est affiché dans son groupe "
                           f"«{NBSP}Charte{NBSP}»).")
    assert f"2{NBSP}chartes envoyées, 1{NBSP}charte reçue." in text
    assert text.endswith(f"Fichiers de chartes{NBSP}: la suite à la prochaine synchronisation.")
