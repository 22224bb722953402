"""One title per record, whoever shows it: a tandem read « mentor – mentee » in the window and
« mentee – mentor » in the command line, the exports and the conflict views."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtWidgets import QLabel

from tandem_desktop.cli import main
from tandem_desktop.gui import conflicts_view, display
from tandem_desktop.gui.tandem_detail import TandemDetail
from tandem_desktop.services import export as export_service
from tandem_desktop.services import sync as sync_service
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.store.profile import init_profile, open_profile
from tests.conftest import FIXED_TODAY, PASSPHRASE

pytestmark = pytest.mark.gui

EXPECTED = "Inès Haddad – Hélène Dupont"


def test_a_tandem_has_one_title_in_the_window_the_cli_the_export_and_the_conflict_view(
        qtbot, settings, tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    profile = init_profile(settings, today=lambda: FIXED_TODAY)
    records = Records(profile.store, Actor.of_store(profile.store))
    mentor = records.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"}).record_id
    mentee = records.create("mentee", {"first_name": "Inès", "last_name": "Haddad"}).record_id
    tandem = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee}).record_id
    meeting = records.create("meeting", {"tandem_id": tandem, "date": "2026-11-20"}).record_id
    profile.store.remote.apply_page([{"seq": 1, "type": "conflict", "conflict": {
        "id": "c1", "kind": "tandem", "record_id": tandem, "field": "notes", "kept_value": "a", "lost_value": "b",
        "kept_version": "v2", "lost_version": "v1", "kept_device": "autre", "lost_device": profile.device_id}}],
        cursor=1)
    [conflict] = sync_service.list_conflicts(profile)
    titles = {"service des conflits": conflict["record_label"]}
    out = tmp_path / "rencontres.csv"
    export_service.export_kind(profile.store, "meeting", "csv", out)
    with out.open(encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle, delimiter=";"))
    titles["export"] = row["Tandem"]
    profile.close()

    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    assert main(["--data-dir", str(settings.data_dir), "show", "meeting", meeting]) == 0
    shown = dict(line.split("\u00a0: ", 1) for line in capsys.readouterr().out.splitlines())
    titles["ligne de commande"] = shown["Tandem"].removesuffix(f" ({tandem})")

    profile = open_profile(settings)
    try:
        store = profile.store
        titles["fenêtre"] = display.record_title(store, "tandem", store.get("tandem", tandem))
        detail = TandemDetail(store, tandem)
        qtbot.addWidget(detail)
        titles["page du tandem"] = detail.ui.findChild(QLabel, "title_label").text().removeprefix("Tandem ")
        titles["vue des conflits"] = conflicts_view.describe(store, {**conflict, "record_label": None})["record_title"]
    finally:
        profile.close()
    assert titles == dict.fromkeys(titles, EXPECTED)
