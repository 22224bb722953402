"""« Fichier › Conservation des données… »: who is due and why, anonymised in bulk when asked twice."""

from __future__ import annotations

import time
from datetime import date, timedelta

from PySide6.QtWidgets import QMessageBox

from tandem_desktop.domain.hlc import HybridClock
from tandem_desktop.services.records import Actor, Records

DAY_MS = 86_400_000


def _old_mentee(store):  # type: ignore[no-untyped-def]
    clock = store.clock
    store.clock = HybridClock(store.device_id, wall_ms=lambda: time.time_ns() // 1_000_000 - 1000 * DAY_MS)
    today = store.today
    store.today = lambda: date.today() - timedelta(days=1000)
    record_id = Records(store, Actor()).create("mentee", {"first_name": "Ancien", "last_name": "Dossier"}).record_id
    store.clock, store.today = clock, today
    store.today = lambda: date.today()
    return record_id


def test_the_review_lists_who_is_due_and_anonymises_after_two_yes(qtbot, window, store, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    old = _old_mentee(store)
    Records(store, Actor()).create("mentee", {"first_name": "Nouvelle", "last_name": "Fiche"})
    asked: list[str] = []

    def answer(parent, title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(answer))
    window.retention_action.trigger()
    dialog = window.retention_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    rows = [[dialog.model.index(r, c).data() for c in range(dialog.model.columnCount())]
            for r in range(dialog.model.rowCount())]
    assert [r[:3] for r in rows] == [["Anonymiser", "Mentoré·e", "Ancien Dossier"]]
    assert rows[0][4].startswith("Dernier contact le ")
    assert dialog.anonymise_button.text() == "Anonymiser 1\u00a0personne…" and dialog.anonymise_button.isEnabled()
    assert dialog.anonymise()
    runner.wait()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=3000)
    assert len(asked) == 2 and "définitivement" in asked[1]
    assert store.get("mentee", old, include_deleted=True)["erased"]["reason"] == "retention"
    assert not dialog.anonymise_button.isEnabled()
    assert dialog.note.text().startswith("Aucune fiche")


def test_no_at_the_second_question_anonymises_nothing(qtbot, window, store, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    old = _old_mentee(store)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    window.retention()
    dialog = window.retention_dialog
    qtbot.waitUntil(lambda: dialog.loaded, timeout=3000)
    assert not dialog.anonymise()
    runner.wait()
    assert store.get("mentee", old)["first_name"] == "Ancien"
