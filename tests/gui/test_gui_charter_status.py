"""Issue 10, point 6: the « Charte » group says where the charter is — here, on paper, or on another
device — and never contradicts the tandem's « Charte signée le ». Issue 14: charters come through the hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from test_gui_charter import open_tandem

from tandem_desktop.charter.render import PARTIES, Signature
from tandem_desktop.gui.main_window import MainWindow
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.repository import Store
from tests.sync.conftest import World

pytestmark = pytest.mark.gui

NBSP = "\u00a0"
DRAWING = [[(0.1, 0.5), (0.5, 0.2), (0.9, 0.6)]]


def move(store: Store, tandem_id: str, status: str, **extra: str) -> None:
    """A step of the tandem, through the one door for record writes."""
    Records(store, Actor()).move_tandem(tandem_id, status, **extra)


def people(store, structure_id: str | None = None, counsellor_id: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """A proposed tandem whose records hold everything the charter needs."""
    if structure_id is None:
        structure_id = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale",
                                                  "commune": "Marseille", "email": "contact@ml-marseille.fr"})
    if counsellor_id is None:
        counsellor_id = store.create("counsellor", {"first_name": "Claire", "last_name": "Moreau",
                                                    "email": "claire.moreau@ml-marseille.fr",
                                                    "structure_id": structure_id})
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "employer": "Centre social",
                                     "job_title": "Café, bar brasserie", "structure_id": structure_id})
    mentee = store.create("mentee", {"first_name": "Inès", "last_name": "Haddad", "structure_id": structure_id,
                                     "counsellor_id": counsellor_id})
    values = {"mentor_id": mentor, "mentee_id": mentee, "duration_months": 6, "structure_id": structure_id,
              "counsellor_id": counsellor_id, "objectives": "Trouver un CDI", "proposed_on": "2025-03-01"}
    return Records(store, Actor()).create("tandem", values).record_id


def test_a_charter_signed_on_paper_is_said_so_even_once_the_tandem_ended(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    """The day's case: « Charte signée le 05/04/2025 » on the record, no charter row, tandem ended."""
    tandem = people(store)
    move(store, tandem, "accepted", accepted_on="2025-03-10")
    move(store, tandem, "charter_signed", charter_signed_on="2025-04-05")
    move(store, tandem, "active", started_on="2025-04-06")
    move(store, tandem, "ended", ended_on="2025-10-01", outcome="job")
    panel = open_tandem(qtbot, window, tandem)
    text = panel.status_label.text()
    assert text == (f"Charte signée sur papier le 5 avril 2025{NBSP}: aucun exemplaire n’est enregistré dans "
                    "Tandem Desktop.")
    assert "sans charte" not in text
    assert not panel.charters.isVisible()

    still_live = people(store)  # not ended: the way to keep a trace is offered
    move(store, still_live, "accepted", accepted_on="2025-03-10")
    move(store, still_live, "charter_signed", charter_signed_on="2025-04-05")
    panel = open_tandem(qtbot, window, still_live)
    assert panel.status_label.text().endswith(f"Pour en garder la trace, utilisez «{NBSP}Signée à l’encre…{NBSP}».")
    assert panel.ink_button.isEnabled()


def test_an_ended_tandem_never_signed_and_one_signed_here(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    ended = people(store)
    move(store, ended, "ended", ended_on="2025-05-01", outcome="stopped_early")
    panel = open_tandem(qtbot, window, ended)
    assert panel.status_label.text() == "Ce tandem s’est terminé sans charte signée."

    signed = people(store)
    move(store, signed, "accepted", accepted_on="2025-03-10")
    service = window.section("tandem").charters
    stored = service.seal(signed, [Signature(p, strokes=DRAWING) for p in PARTIES], place="Aubagne")
    panel = open_tandem(qtbot, window, signed)
    assert panel.status_label.text() == (
        f"Charte signée à l’écran et scellée le {_long(stored.signed_on)} à Aubagne{NBSP}: enregistrée sur ce poste.")
    assert panel.charters.topLevelItem(0).text(1) == stored.verification_code


def _long(iso: str) -> str:
    from tandem_desktop.services.charters import _french_date

    return _french_date(iso)


@pytest.fixture
def two_devices(tmp_path: Path) -> Iterator[tuple[World, object, object]]:
    """A real hub on 127.0.0.1 and two enrolled devices of the same structure."""
    from tandem_desktop.hub import admin

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    world = World(url, tmp_path)
    world.start_hub()
    world.engine = admin.connect(url)
    try:
        structure = world.structure("Mission locale de Marseille")
        yield world, world.device(structure, "Bureau"), world.device(structure, "Portable")
    finally:
        world.close()


def test_on_a_second_device_the_charter_came_through_the_hub_and_opens(qtbot, two_devices) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: the second device lists the charter sealed on the first, and opens it; a charter whose
    file has not arrived yet is fetched from the hub when the counsellor opens it."""
    import hashlib

    from sqlalchemy import update

    from tandem_desktop.services import attachments
    from tandem_desktop.store.schema import charters as charters_table

    _world, office, laptop = two_devices
    state = office.store.remote.state()
    structure_id, counsellor_id = state["structure_id"], state["counsellor_id"]
    office.store.update("structure", structure_id, {"commune": "Marseille", "email": "contact@ml-marseille.fr"})
    tandem = people(office.store, structure_id, counsellor_id)
    move(office.store, tandem, "accepted", accepted_on="2025-03-10")
    stored = CharterService(office.store).seal(tandem, [Signature(p, strokes=DRAWING) for p in PARTIES])
    original = CharterService(office.store).pdf(stored.id)
    sync_service.sync_now(office)
    sync_service.sync_now(laptop)
    assert laptop.store.get("tandem", tandem)["charter_signed_on"] == stored.signed_on
    # As if the file had not arrived yet: the metadata is here, the PDF is still at the hub.
    with laptop.store.transaction() as conn:
        conn.execute(update(charters_table).where(charters_table.c.id == stored.id).values(pdf=None))

    from tandem_desktop.gui.tasks import TaskRunner

    runner = TaskRunner()
    window = MainWindow(laptop.store, runner)
    window.section("tandem").charter_files = attachments.files_fetcher(laptop, runner.database_lane)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        panel = open_tandem(qtbot, window, tandem)
        assert panel.status_label.text() == (
            f"Charte signée à l’écran et scellée le {_long(stored.signed_on)} à Marseille{NBSP}: reçue du hub, son PDF "
            "arrive à la prochaine synchronisation (ou à son ouverture, le poste en ligne).")
        assert "Aucune charte signée" not in panel.status_label.text()
        assert panel.charters.topLevelItem(0).text(1) == stored.verification_code
        panel.open_button.click()
        from tandem_desktop.gui.pdf_view import PdfPreviewDialog

        qtbot.waitUntil(lambda: isinstance(panel.dialog, PdfPreviewDialog) and panel.dialog.isVisible(),
                        timeout=15000)
        fetched = CharterService(laptop.store).pdf(stored.id)
        assert hashlib.sha256(fetched).hexdigest() == hashlib.sha256(original).hexdigest() == stored.sha256
        panel.dialog.close()
        qtbot.waitUntil(lambda: "enregistrée sur ce poste et au hub" in panel.status_label.text(), timeout=5000)
    finally:
        for section in window.sections.values():
            section.close_overlay(ask=False)
        window.close()
        runner.shutdown()
    QApplication.processEvents()


def test_the_number_printed_on_the_paper_is_the_one_recorded(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader
    from test_gui_charter import LEFT, wait_dialog

    from tandem_desktop.gui.charter_ink import MSG_NUMBER, InkSignatureDialog
    from tandem_desktop.gui.pdf_view import PdfPreviewDialog

    tandem = people(store)
    move(store, tandem, "accepted", accepted_on="2025-03-10")
    panel = open_tandem(qtbot, window, tandem)
    qtbot.mouseClick(panel.preview_button, LEFT)
    preview = wait_dialog(qtbot, panel, PdfPreviewDialog)
    printed = PdfReader(io.BytesIO(preview.data)).metadata["/TandemNumber"]
    preview.close()
    qtbot.mouseClick(panel.ink_button, LEFT)
    dialog = wait_dialog(qtbot, panel, InkSignatureDialog)
    dialog.number_edit.setText("0000-1111")
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert dialog.error_label.text() == MSG_NUMBER and panel.service.charters_of(tandem) == []
    dialog.number_edit.setText(printed.lower())
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    [stored] = panel.service.charters_of(tandem)
    assert stored.verification_code == printed
    panel = open_tandem(qtbot, window, tandem)
    assert panel.charters.topLevelItem(0).text(1) == printed
