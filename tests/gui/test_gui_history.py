"""A record's « Historique… » and « Données de la personne… » from its form, in the real window."""

from __future__ import annotations

import json
from pathlib import Path

from tandem_desktop.services.records import Actor, Records
from tandem_desktop.sync.errors import HubUnreachable


def _mentor(store):  # type: ignore[no-untyped-def]
    records = Records(store, Actor())
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "employer": "CMA CGM"}).record_id
    records.update("mentor", mentor, {"employer": "RTM", "capacity": 3})
    return mentor


def test_the_history_of_a_record_lists_each_field_changed(qtbot, window, store, runner) -> None:  # type: ignore[no-untyped-def]
    mentor = _mentor(store)
    section = window.section("mentor")
    window.show_section("mentor")
    section.edit_record(mentor)
    assert section.form().history_button.isVisible()
    section.form().history_button.click()
    dialog = next(w for w in section.children() if w.objectName() == "history_dialog")
    qtbot.waitUntil(lambda: dialog.history is not None, timeout=3000)
    rows = [[dialog.model.index(r, c).data() for c in range(dialog.model.columnCount())]
            for r in range(dialog.model.rowCount())]
    assert rows[0][1:4] == ["ce poste", "Création", ""]
    assert rows[1][1:] == ["ce poste", "Modification", "Employeur", "CMA CGM", "RTM"]
    assert ["ce poste", "Modification", "Capacité (mentorés en même temps)", "1", "3"] in [r[1:] for r in rows]
    assert all(r[0] for r in rows)  # a date on every line
    assert dialog.note.text() == "Historique de ce poste (non relié à un hub)."
    dialog.close()


def test_an_unreachable_hub_is_said_and_the_local_history_shown(qtbot, window, store, runner) -> None:  # type: ignore[no-untyped-def]
    mentor = _mentor(store)
    store.remote.set_state(device_id="poste-test", hub_url="http://127.0.0.1:9")  # as if enrolled
    section = window.section("mentor")

    def unreachable(kind: str, record_id: str):  # type: ignore[no-untyped-def]
        raise HubUnreachable()

    section.hub_history = unreachable
    dialog = section.show_history(mentor)
    qtbot.waitUntil(lambda: dialog.history is not None, timeout=3000)
    assert dialog.note.text().startswith("Hub injoignable") and dialog.note.text().endswith("connu de ce poste.")
    assert dialog.model.rowCount() == 3
    dialog.close()


def test_the_right_of_access_writes_the_dossier_from_the_form(qtbot, window, store, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mentor = _mentor(store)
    section = window.section("mentor")
    section.edit_record(mentor)
    assert section.form().access_button.text() == "Données de la personne…"
    assert section.export_access(mentor, str(tmp_path))
    runner.wait()
    qtbot.waitUntil(lambda: window.status_message.text().startswith("Données de la personne écrites"), timeout=5000)
    folder = next(tmp_path.glob("acces-mentor-*"))
    dossier = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    assert "Durand" in json.dumps(dossier, ensure_ascii=False)
    assert (folder / "dossier.pdf").read_bytes().startswith(b"%PDF")
