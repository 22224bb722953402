"""Drive matching in the real window: the review deck with the keyboard, the batch proposal page."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressBar
from waiting import loaded, settle

from tandem_desktop.gui.match_card import MatchCard, decimal, score_text
from tandem_desktop.gui.match_deck import LOADING_TEXT, MatchDeck
from tandem_desktop.gui.match_models import CHECK
from tandem_desktop.matching import score
from tandem_desktop.matching.assign import Cancelled

pytestmark = pytest.mark.gui

NBSP = "\u00a0"
RIGHT, LEFT, UP = Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Up
CTRL = Qt.KeyboardModifier.ControlModifier


def _mentor(store, first: str, last: str, **values: Any) -> str:  # type: ignore[no-untyped-def]
    base = {"first_name": first, "last_name": last, "employer": "CMA CGM", "trade_code": "M1203",
            "trade": "Comptabilité", "commune": "Marseille", "postal_code": "13001", "capacity": 1,
            "active": True, "consent_given": True, "skills": ["Relecture de CV"], "languages": ["français"],
            "availability": ["lundi soir"], "project_types": ["job_search"], "meeting_modes": ["in_person"],
            "mobility_km": 20}
    return store.create("mentor", {**base, **values})


def _mentee(store, first: str, last: str, **values: Any) -> str:  # type: ignore[no-untyped-def]
    base = {"first_name": first, "last_name": last, "project_type": "job_search", "trade_code": "M1203",
            "trade": "Comptabilité", "commune": "Marseille", "postal_code": "13003", "consent_given": True,
            "status": "waiting", "needs": ["Relecture de CV"], "languages": ["français"],
            "availability": ["lundi soir"], "meeting_modes": ["in_person"], "mobility_km": 30,
            "waiting_since": "2026-09-01"}
    return store.create("mentee", {**base, **values})


@pytest.fixture
def people(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Three possible mentors of different fit for Inès, one inactive, and three waiting mentees."""
    return {
        "helene": _mentor(store, "Hélène", "Dupont", capacity=2),
        "jean": _mentor(store, "Jean", "Martin", employer="Airbus Helicopters", commune="Aix-en-Provence",
                        postal_code="13100"),
        "sophie": _mentor(store, "Sophie", "Bernard", employer="La Poste", trade_code="K2111",
                          trade="Formation professionnelle", skills=["Réseau professionnel"]),
        "paul": _mentor(store, "Paul", "Roux", employer="Orange", active=False),
        "ines": _mentee(store, "Inès", "Haddad"),
        "kevin": _mentee(store, "Kevin", "Martinez", commune="Aix-en-Provence", postal_code="13100"),
        "lina": _mentee(store, "Lina", "Thomas", trade_code="K2111", trade="Formation professionnelle"),
    }


def open_deck(qtbot, window, kind: str, record_id: str) -> MatchDeck:  # type: ignore[no-untyped-def]
    """Select the row, press « Suggérer… », wait for the worker's suggestions."""
    window.show_section(kind)
    section = window.section(kind)
    section.list_page.refresh()  # the people were created after the window
    loaded(qtbot, section.list_page)
    assert section.list_page.select(record_id)
    button = section.list_page.suggest_button
    assert button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    deck = section.deck()
    assert deck is not None and deck.subject_id == record_id
    qtbot.waitUntil(lambda: not deck.loading, timeout=5000)
    return deck


def tandems(store) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return sorted((t["mentee_id"], t["mentor_id"], t["status"]) for t in store.live_records("tandem"))


def declined(store, mentee_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(store.get("mentee", mentee_id).get("declined_mentors") or [])


def card_of(deck: MatchDeck) -> MatchCard:
    assert deck.card is not None and deck.card.isVisible()
    return deck.card


def test_deck_shows_a_card_and_right_arrow_proposes_a_tandem_that_undo_removes(qtbot, window, store, people):  # type: ignore[no-untyped-def]
    deck = open_deck(qtbot, window, "mentee", people["ines"])
    assert deck.title_label.text() == "Suggestions de mentors pour Inès Haddad"
    shown = deck.current()
    assert shown is not None and shown.id == people["helene"], "same trade, same town: first"
    assert deck.position_label.text() == f"1{NBSP}/{NBSP}3", "the inactive mentor is never suggested"
    card = card_of(deck)
    assert card.badge.text() == "HD" and card.name_label.text() == "Hélène Dupont"
    assert card.facts_label.text() == "CMA CGM · Comptabilité"
    assert card.place_label.text().startswith("Marseille, à ")
    bar = card.findChild(QProgressBar, "score_bar")
    assert bar.format() == score_text(shown.score) and "," in bar.format() and bar.value() == round(shown.score)
    assert f"✓ Même métier{NBSP}: Comptabilité" in card.reason_lines
    assert card.reason_lines[0].startswith("✓")
    assert card.findChild(type(card.name_label), "reason_trade").styleSheet() == "color: #1b7f3b;"

    qtbot.keyClick(deck.focusWidget() or deck, RIGHT)
    settle(qtbot, window)
    assert tandems(store) == [(people["ines"], people["helene"], "proposed")]
    assert store.get("mentee", people["ines"])["status"] == "in_tandem"
    assert deck.current() is None, "one mentor per mentee: the deck stops on the proposal"
    assert deck.message_label.text().startswith(f"Tandem proposé{NBSP}: Inès Haddad – Hélène Dupont.")
    assert window.status_message.text() == f"Tandem proposé{NBSP}: Inès Haddad – Hélène Dupont."
    tandem_list = window.section("tandem").list_page
    assert not tandem_list.stale and tandem_list.model.rowCount() == 1, (
        "the broadcast named the new tandem: the hidden tandem list read it, in place")
    window.show_section("tandem")
    loaded(qtbot, tandem_list)
    assert tandem_list.model.rowCount() == 1  # other lists refreshed
    window.show_section("mentee")

    qtbot.keyClick(deck, Qt.Key.Key_Z, CTRL)
    settle(qtbot, window)
    assert tandems(store) == []
    assert store.get("mentee", people["ines"])["status"] == "waiting"
    assert deck.current() is not None and deck.current().id == people["helene"], "the card is back"
    assert not tandem_list.stale and tandem_list.model.rowCount() == 0, "the undone tandem left the list in place"
    window.show_section("tandem")
    loaded(qtbot, tandem_list)
    assert tandem_list.model.rowCount() == 0


def test_left_arrow_declines_for_good_and_undo_or_reset_brings_it_back(qtbot, window, store, people, answer_yes):  # type: ignore[no-untyped-def]
    deck = open_deck(qtbot, window, "mentee", people["ines"])
    first = deck.current()
    assert first is not None
    qtbot.keyClick(deck, LEFT)
    settle(qtbot, window)
    assert declined(store, people["ines"]) == [first.id]
    assert tandems(store) == []
    assert deck.position_label.text() == f"2{NBSP}/{NBSP}3" and deck.current().id != first.id
    assert deck.reset_button.text() == "Réinitialiser les refus (1)"

    qtbot.keyClick(deck, Qt.Key.Key_Z, CTRL)
    settle(qtbot, window)
    assert declined(store, people["ines"]) == []
    assert deck.current().id == first.id and deck.position_label.text() == f"1{NBSP}/{NBSP}3"

    qtbot.keyClick(deck, LEFT)
    settle(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.section("mentee").deck() is None, "Échap closes the deck"
    assert window.section("mentee").list_page.selected_id() == people["ines"]
    again = open_deck(qtbot, window, "mentee", people["ines"])
    ids = [c.id for c in again.load.suggestions.candidates]
    assert first.id not in ids and len(ids) == 2, "a declined mentor is not suggested again"
    assert again.load.suggestions.excluded.get("declined") == 1

    qtbot.keyClick(again, LEFT)
    settle(qtbot, window)
    qtbot.keyClick(again, LEFT)
    settle(qtbot, window)
    assert again.current() is None
    end = again.message_label.text()
    assert end.startswith("Plus de suggestion pour Inès Haddad.")
    assert f"Déjà écarté pour ce mentoré{NBSP}: 3" in end and f"Mentor inactif{NBSP}: 1" in end
    assert again.position_label.text() == ""

    qtbot.mouseClick(again.reset_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert answer_yes and "3 mentors écartés pour Inès Haddad pourront de nouveau être suggérés" in answer_yes[0]
    assert declined(store, people["ines"]) == []
    qtbot.waitUntil(lambda: not again.loading, timeout=5000)
    assert len(again.load.suggestions.candidates) == 3 and again.current().id == first.id


def test_up_arrow_details_add_up_to_the_score(qtbot, window, store, people):  # type: ignore[no-untyped-def]
    deck = open_deck(qtbot, window, "mentee", people["kevin"])
    shown = deck.current()
    assert shown is not None
    qtbot.keyClick(deck, UP)
    settle(qtbot, window)
    details = deck.details
    assert details is not None and details.isVisible()
    assert details.windowTitle() == f"Détail du score — {shown.name}"
    points = details.points()
    assert len(points) == 9, "eight criteria and the total"
    criteria = [float(p.replace(",", ".")) for p in points[:-1]]
    assert round(sum(criteria) * 10) == shown.score_milli
    assert points[-1] == decimal(shown.score)
    assert details.table.item(8, 0).text() == "Total"
    labels = [details.table.item(row, 0).text() for row in range(8)]
    assert labels[:4] == ["Type de projet", "Métier et secteur", "Besoins et compétences", "Distance"]
    details.close()
    assert tandems(store) == [], "looking changes nothing"


def test_mentor_deck_shows_mentee_cards_until_the_places_are_taken(qtbot, window, store, people):  # type: ignore[no-untyped-def]
    deck = open_deck(qtbot, window, "mentor", people["helene"])
    assert deck.title_label.text() == "Suggestions de mentorés pour Hélène Dupont"
    assert "2 places libres" in deck.subtitle_label.text()
    assert not deck.reset_button.isVisible(), "declines belong to mentees"
    first = deck.current()
    assert first is not None and first.kind == "mentee"
    assert card_of(deck).facts_label.text().startswith("Recherche d’emploi · ")
    qtbot.keyClick(deck, RIGHT)
    settle(qtbot, window)
    assert tandems(store) == [(first.id, people["helene"], "proposed")]
    second = deck.current()
    assert second is not None and second.id != first.id and "1 place libre" in deck.subtitle_label.text()
    qtbot.keyClick(deck, LEFT)
    settle(qtbot, window)
    assert declined(store, second.id) == [people["helene"]]
    third = deck.current()
    assert third is not None
    qtbot.keyClick(deck, RIGHT)
    settle(qtbot, window)
    both = sorted([(first.id, people["helene"], "proposed"), (third.id, people["helene"], "proposed")])
    assert tandems(store) == both
    assert deck.current() is None
    assert deck.message_label.text().startswith(f"Plus de place chez Hélène Dupont{NBSP}: 2 tandems proposés.")
    qtbot.keyClick(deck, Qt.Key.Key_Z, CTRL)
    settle(qtbot, window)
    assert tandems(store) == [(first.id, people["helene"], "proposed")]
    assert deck.current().id == third.id


def test_ctrl_m_opens_the_deck_of_the_selected_row(qtbot, window, people):  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    section = window.section("mentee")
    section.list_page.refresh()
    loaded(qtbot, section.list_page)
    assert section.list_page.suggest_button.text() == "Suggérer des mentors"
    assert window.section("mentor").list_page.suggest_button.text() == "Suggérer des mentorés"
    assert not window.section("tandem").list_page.suggest_button.isVisibleTo(window)
    section.list_page.select(people["lina"])
    section.list_page.table.setFocus()
    qtbot.keyClick(section.list_page.table, Qt.Key.Key_M, CTRL)
    deck = section.deck()
    assert deck is not None and deck.subject_id == people["lina"]
    assert deck.message_label.text() == LOADING_TEXT or not deck.loading
    qtbot.waitUntil(lambda: not deck.loading, timeout=5000)
    assert deck.current() is not None and deck.current().id == people["sophie"], "same trade as Lina"


# -- batch proposal ------------------------------------------------------------------------------


def compute(qtbot, window):  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    batch = window.batch
    assert window.stack.currentWidget() is batch
    before = batch.proposal
    qtbot.mouseClick(batch.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: batch.proposal is not before and not batch._busy, timeout=10000)
    return batch


def test_batch_proposal_accepts_exactly_the_ticked_pairs(qtbot, window, store, people):  # type: ignore[no-untyped-def]
    batch = compute(qtbot, window)
    assert batch.min_score.text() == f"35,0{NBSP}/{NBSP}100" and batch.spread.isChecked()
    pairs = batch.pairs.pairs
    assert len(pairs) == 3 and {p.mentee_id for p in pairs} == {people["ines"], people["kevin"], people["lina"]}
    assert all(p.mentor_id != people["paul"] for p in pairs)
    assert batch.pairs.ticked == [True, True, True]
    total = sum(p.score_milli for p in pairs) / 10
    assert batch.summary_label.text() == (f"3{NBSP}paires proposées, score moyen {decimal(total / 3)} sur 100 "
                                          f"(somme des scores {decimal(total)}){NBSP}; 0{NBSP}mentoré sans mentor")
    assert batch.pairs_table.model().index(0, 4).data(), "main reasons shown"
    assert batch.tabs.tabText(0) == "Paires proposées (3)"
    assert batch.accept_button.text() == f"Accepter la sélection (3{NBSP}paires cochées)"
    assert batch.progress.value() == batch.progress.maximum()

    table = batch.pairs_table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert batch.pairs.ticked == [True, False, True]
    assert batch.pairs.index(1, CHECK).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert batch.accept_button.text() == f"Accepter la sélection (2{NBSP}paires cochées)"
    left_out = pairs[1]
    ticked = [(p.mentee_id, p.mentor_id, "proposed") for p in pairs if p is not left_out]

    qtbot.mouseClick(batch.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: batch.status_label.text().startswith("2 tandems créés"), timeout=5000)
    assert tandems(store) == sorted(ticked)
    assert window.status_message.text() == f"2 tandems créés, à l’étape «{NBSP}Proposé{NBSP}»."
    assert [p.mentee_id for p in batch.pairs.pairs] == [left_out.mentee_id], "what was created leaves the table"
    window.show_section("tandem")
    qtbot.waitUntil(lambda: window.section("tandem").list_page.model.rowCount() == 2, timeout=2000)


def test_batch_accept_is_all_or_nothing_with_a_french_message(qtbot, window, store, people, warnings):  # type: ignore[no-untyped-def]
    batch = compute(qtbot, window)
    victim = batch.pairs.pairs[-1]
    store.delete("mentor", victim.mentor_id)  # e.g. removed on another desk meanwhile
    qtbot.mouseClick(batch.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings), timeout=5000)
    assert tandems(store) == [], "not one tandem of the batch was created"
    assert all(store.get("mentee", m)["status"] == "waiting" for m in (people["ines"], people["kevin"], people["lina"]))
    assert warnings[0].startswith(f"Aucun tandem n’a été créé{NBSP}: Mentor introuvable{NBSP}: {victim.mentor_name}.")
    assert batch.status_label.text() == "Aucun tandem créé."
    assert len(batch.pairs.pairs) == 3 and batch.accept_button.isEnabled()


def test_batch_untick_all_and_stale_after_a_deck_decision(qtbot, window, store, people):  # type: ignore[no-untyped-def]
    batch = compute(qtbot, window)
    batch.pairs_table.setFocus()
    qtbot.keyClick(batch.pairs_table, Qt.Key.Key_A, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert batch.pairs.ticked == [False] * 3 and not batch.accept_button.isEnabled()
    qtbot.keyClick(batch.pairs_table, Qt.Key.Key_A, CTRL)
    assert batch.pairs.ticked == [True] * 3 and batch.accept_button.isEnabled()
    deck = open_deck(qtbot, window, "mentee", people["ines"])
    qtbot.keyClick(deck, RIGHT)
    settle(qtbot, window)
    assert not batch.accept_button.isEnabled(), "a proposal computed before a new tandem must be recomputed"
    assert batch.status_label.text() == f"Les fiches ont changé depuis ce calcul{NBSP}: relancez-le avant d’accepter."
    batch = compute(qtbot, window)
    assert {p.mentee_id for p in batch.pairs.pairs} == {people["kevin"], people["lina"]}
    assert batch.accept_button.isEnabled()


def test_stopping_a_run_keeps_the_previous_proposal(qtbot, window, store, people, monkeypatch):  # type: ignore[no-untyped-def]
    batch = compute(qtbot, window)
    previous = batch.proposal
    shown = [(p.mentee_id, p.mentor_id) for p in batch.pairs.pairs]
    started = threading.Event()
    threads: list[int] = []

    def slow_propose(mentee_ids=None, *, progress=None, cancel=None, **options):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        progress("score", 0, 1000)
        started.set()
        deadline = time.monotonic() + 10
        while not cancel() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise Cancelled()

    monkeypatch.setattr(window.matching, "propose", slow_propose)
    qtbot.mouseClick(batch.compute_button, Qt.MouseButton.LeftButton)
    assert not batch.compute_button.isEnabled() and batch.stop_button.isEnabled()
    qtbot.waitUntil(lambda: batch.status_label.text() == "Calcul des scores…", timeout=5000)
    assert started.is_set() and threads[0] != threading.get_ident(), "the run is on the worker"
    assert batch.progress.value() == 0 and batch.progress.maximum() == 1000
    QApplication.processEvents()
    assert batch.isEnabled() and batch.stop_button.isEnabled(), "the window stays responsive"
    qtbot.mouseClick(batch.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: batch.status_label.text().startswith("Calcul arrêté"), timeout=5000)
    assert batch.status_label.text() == f"Calcul arrêté{NBSP}; la proposition précédente est conservée."
    assert batch.proposal is previous
    assert [(p.mentee_id, p.mentor_id) for p in batch.pairs.pairs] == shown
    assert batch.compute_button.isEnabled() and not batch.stop_button.isEnabled()
    assert tandems(store) == []


def test_the_real_run_shows_its_progress_and_stops_between_chunks(qtbot, window, store, people,  # type: ignore[no-untyped-def]
                                                                  monkeypatch):
    batch = window.batch
    real = window.matching.propose
    monkeypatch.setattr(score, "CHUNK_CELLS", 1)  # one pair per chunk: many steps even on four people
    held = threading.Event()
    steps: list[tuple[str, int]] = []

    def held_propose(mentee_ids=None, *, progress=None, cancel=None, **options):  # type: ignore[no-untyped-def]
        def report(stage: str, done: int, total: int) -> None:
            steps.append((stage, done))
            progress(stage, done, total)
            if stage == "score" and done > 350 and not held.is_set():  # hold the run mid-way, as a big one is
                held.set()
                deadline = time.monotonic() + 10
                while not cancel() and time.monotonic() < deadline:
                    time.sleep(0.01)
        return real(mentee_ids, progress=report, cancel=cancel, **options)

    monkeypatch.setattr(window.matching, "propose", held_propose)
    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    assert window.stack.currentWidget() is batch
    qtbot.mouseClick(batch.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: held.is_set() and batch.status_label.text() == "Calcul des scores…", timeout=10000)
    qtbot.waitUntil(lambda: 350 < batch.progress.value() < 1000, timeout=5000)
    assert batch.progress.maximum() == 1000
    assert [s for s, _ in steps][:2] == ["constraints", "constraints"]
    qtbot.mouseClick(batch.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: batch.status_label.text().startswith("Calcul arrêté"), timeout=5000)
    assert max(done for _, done in steps) < 850, "stopped in the scoring, before the solver"
    assert batch.proposal is None and tandems(store) == []


def test_closing_the_deck_while_it_loads_drops_the_late_answer(qtbot, window, runner, people):  # type: ignore[no-untyped-def]
    window.show_section("mentee")
    section = window.section("mentee")
    gate = threading.Event()
    runner.submit(lambda: gate.wait(5))  # the worker is busy: the deck's load waits its turn
    section.suggest(people["ines"])
    deck = section.deck()
    assert deck is not None and deck.loading
    assert deck.message_label.text() == LOADING_TEXT and not deck.yes_button.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert section.deck() is None
    gate.set()
    runner.wait(5000)
    qtbot.wait(50)  # the late answer reaches a deleted deck and is dropped without error
    assert window.stack.currentWidget() is section and section.currentWidget() is section.list_page


def test_settings_dialog_from_the_menu_updates_the_batch_controls(qtbot, window, monkeypatch):  # type: ignore[no-untyped-def]
    from tandem_desktop.gui.match_settings import MatchSettingsDialog

    def save_and_accept(dialog: MatchSettingsDialog) -> int:
        dialog.service.save_settings(replace(dialog.service.settings(), min_score=0.5, spread=False))
        return 1

    monkeypatch.setattr(MatchSettingsDialog, "exec", save_and_accept)
    window.match_settings_action.trigger()
    assert window.batch.min_score.text() == f"50,0{NBSP}/{NBSP}100" and not window.batch.spread.isChecked()
    assert window.status_message.text() == "Réglages de la mise en relation enregistrés."
