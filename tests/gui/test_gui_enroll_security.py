"""« Connexion au hub… » and plain http://: the choice to allow an unencrypted hub on another machine
appears only for such an address, with what it risks; without it nothing is sent; with it the device
enrolls over real HTTP and keeps the choice for its syncs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sync_support import NBSP, enroll_through_dialog, hub, shot, sync_window

from tandem_desktop.gui.enroll_dialog import MSG_INSECURE
from tandem_desktop.hub import admin
from tandem_desktop.hub.config import HubOptions
from tandem_desktop.hub.server import run_in_thread

pytestmark = pytest.mark.gui
__all__ = ["hub", "sync_window"]  # fixtures used by name


def _lan_address() -> str | None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_the_unencrypted_choice_shows_only_for_plain_http_to_another_machine(qtbot, typist, sync_window,  # type: ignore[no-untyped-def]
                                                                             hub) -> None:
    window, controller = sync_window, sync_window.sync
    dialog = enroll_through_dialog(qtbot, typist, window, "http://192.0.2.77:8765", hub.code())
    assert dialog.insecure_http.isVisible() and dialog.insecure_label.isVisible()
    assert not dialog.insecure_http.isChecked()
    warning = dialog.insecure_label.text()
    assert "en clair" in warning and f"réseau{NBSP}:" in warning and "https://" in warning
    assert dialog.error.text() == MSG_INSECURE, "refused before any request"
    assert dialog.enroll_button.isEnabled() and not controller.is_enrolled
    shot(dialog, "enroll_insecure_http")
    for address, shown in (("https://hub.exemple.fr", False), (hub.url, False), ("http://hub.lan:8765", True)):
        dialog.hub_url.clear()
        typist(dialog.hub_url, address)
        assert dialog.insecure_http.isVisible() is shown, address
    dialog.insecure_http.setChecked(True)
    dialog.hub_url.clear()
    typist(dialog.hub_url, hub.url)
    assert not dialog.insecure_http.isChecked(), "the choice goes with the address that needed it"
    dialog.close()


def test_allowed_plain_http_enrolls_and_syncs(qtbot, typist, sync_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    address = _lan_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    db_url = f"sqlite:///{tmp_path / 'hub-lan.db'}"
    engine = admin.connect(db_url)
    running = run_in_thread(db_url, host=address, options=HubOptions(secret_key=b"\x01" * 32))
    try:
        structure = admin.add_structure(engine, "Mission locale")
        counsellor = admin.add_counsellor(engine, structure, "Claire Conseillère", "claire@exemple.fr")
        window, controller = sync_window, sync_window.sync
        dialog = enroll_through_dialog(qtbot, typist, window, running.url, admin.make_enroll_code(engine, counsellor))
        assert dialog.error.text() == MSG_INSECURE
        qtbot.mouseClick(dialog.insecure_http, Qt.MouseButton.LeftButton, pos=dialog.insecure_http.rect().center())
        assert dialog.insecure_http.isChecked()
        qtbot.mouseClick(dialog.enroll_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result_info is not None, timeout=10_000)
        qtbot.waitUntil(lambda: controller.last_report is not None and not controller.syncing, timeout=10_000)
        assert controller.is_enrolled and controller.last_error in (None, "")
        assert window.sync.profile.store.remote.state()["insecure_http"] == "1"
        dialog.close()
    finally:
        running.stop()
        engine.dispose()
