"""Issue 14: a charter sealed on a colleague's laptop arrives through the hub while the tandem's page is
open here, and the page shows it at once (the records came first; the charter's row and file after)."""

from __future__ import annotations

from typing import Any

import pytest
from sync_support import enroll, hub, new_device, sync_window  # noqa: F401  (fixtures used by name)
from test_gui_charter import open_tandem
from test_gui_sync_conflicts import sync_and_wait

from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tests.sync.test_charter_sync import make_tandem, seal

pytestmark = pytest.mark.gui
NBSP = "\u00a0"


def test_an_open_tandem_page_shows_the_charter_that_just_arrived(qtbot, typist, sync_window, hub,  # noqa: F811
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = sync_window
    enroll(qtbot, typist, window, hub.url, hub.code())
    profile: Any = window.sync.profile
    tandem = make_tandem(profile, profile.store.remote.state()["structure_id"])
    sync_and_wait(qtbot, window)
    panel = open_tandem(qtbot, window, tandem)
    assert panel.status_label.text() == "Aucune charte signée pour l’instant."
    colleague = new_device(tmp_path, "poste-b")
    try:
        sync_service.enroll(colleague, hub.url, hub.code(), "Poste B")
        sync_service.sync_now(colleague)
        stored = seal(colleague, tandem)
        sync_service.sync_now(colleague)
        report = sync_and_wait(qtbot, window)
        assert report.charters["received"] == 1 and report.charters["downloaded_files"] == 1
        panel = window.section("tandem").detail().charter_panel
        qtbot.waitUntil(lambda: "reçue d’un autre poste" in panel.status_label.text(), timeout=5000)
        assert panel.charters.topLevelItem(0).text(1) == stored.verification_code
        assert panel.charters.topLevelItem(0).text(4) == "Oui"
        assert CharterService(profile.store).pdf(stored.id)[:5] == b"%PDF-"
    finally:
        colleague.close()
