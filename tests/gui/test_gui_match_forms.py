"""The matching fields of the mentee and mentor forms, and the matching settings dialog, on a real profile."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QLabel, QListWidget

from tandem_desktop.gui.forms import RecordForm
from tandem_desktop.gui.match_settings import INTRO, MatchSettingsDialog
from tandem_desktop.matching.criteria import DEFAULT_WEIGHTS, MatchingSettings, SettingsError
from tandem_desktop.services.matching import MatchingService

pytestmark = pytest.mark.gui


def open_form(qtbot, store, kind: str, record_id: str | None = None) -> RecordForm:  # type: ignore[no-untyped-def]
    form = RecordForm(store, kind, record_id)
    qtbot.addWidget(form)
    form.resize(1000, 700)
    form.show()
    qtbot.waitExposed(form)
    return form


def type_into(typist, form: RecordForm, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    widget = form.widget(name)
    widget = getattr(widget, "entry", widget)  # a list picker's typing line
    widget.setFocus()
    widget.clear()
    typist(widget, text)


def tick(qtbot, widget: QListWidget, code: str) -> None:  # type: ignore[no-untyped-def]
    """Check one box of a choice list with the keyboard, as a counsellor tabbing through would."""
    row = next(r for r in range(widget.count()) if widget.item(r).data(Qt.ItemDataRole.UserRole) == code)
    widget.setFocus()
    widget.setCurrentRow(row)
    qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert widget.item(row).checkState() == Qt.CheckState.Checked


def checked(widget: QListWidget) -> list[str]:
    return [widget.item(r).data(Qt.ItemDataRole.UserRole) for r in range(widget.count())
            if widget.item(r).checkState() == Qt.CheckState.Checked]


def save(qtbot, form: RecordForm) -> str:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(form.saved, timeout=2000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    return str(saved.args[0])


# -- mentee form ---------------------------------------------------------------------------------


def test_mentee_matching_fields_are_saved_as_lists(qtbot, typist, store) -> None:  # type: ignore[no-untyped-def]
    form = open_form(qtbot, store, "mentee")
    assert form.ui.findChild(QLabel, "label_needs").text() == "Besoins d’accompagnement"
    assert form.ui.findChild(QLabel, "label_excluded_employers").text() == "Employeurs exclus (conflit d’intérêts)"
    modes = form.widget("meeting_modes")
    assert [modes.item(r).text() for r in range(modes.count())] == ["En présentiel", "Téléphone", "Visio"]

    type_into(typist, form, "first_name", "Yasmina")
    type_into(typist, form, "last_name", "Benali")
    type_into(typist, form, "needs", "CV, entretiens ; réseau")
    tick(qtbot, modes, "phone")
    tick(qtbot, modes, "video")
    type_into(typist, form, "required_language", "arabe")
    type_into(typist, form, "employer", "La Poste")
    type_into(typist, form, "excluded_employers", "CMA CGM, Airbus Helicopters")
    mentee_id = save(qtbot, form)

    record = store.get("mentee", mentee_id)
    assert record["needs"] == ["CV", "entretiens", "réseau"]
    assert record["meeting_modes"] == ["phone", "video"]
    assert record["required_language"] == "arabe"
    assert record["employer"] == "La Poste"
    assert record["excluded_employers"] == ["CMA CGM", "Airbus Helicopters"]
    assert not record.get("excluded_mentors")
    assert not record.get("declined_mentors")


def test_mentee_form_shows_excluded_mentors_by_name_and_never_writes_them(qtbot, typist, store) -> None:  # type: ignore[no-untyped-def]
    helene = store.create("mentor", {"first_name": "Hélène", "last_name": "Dupont"})
    jean = store.create("mentor", {"first_name": "Jean", "last_name": "Martin"})
    mentee_id = store.create("mentee", {"first_name": "Yasmina", "last_name": "Benali", "needs": "CV",
                                        "meeting_modes": ["in_person"], "excluded_mentors": [helene]})
    form = open_form(qtbot, store, "mentee", mentee_id)
    assert form.widget("needs").items() == ["CV"]
    assert checked(form.widget("meeting_modes")) == ["in_person"]
    assert form.widget("excluded_mentors").text() == "Hélène Dupont"
    assert form.widget("declined_mentors").text() == "—"
    assert "excluded_mentors" not in form.binding.values(), "read-only: shown, never read back"
    assert not form.is_dirty()

    # The review deck declines a mentor while the form is open; saving the form must keep that.
    MatchingService(store).decline(mentee_id, jean)
    type_into(typist, form, "needs", "CV, réseau")
    save(qtbot, form)
    record = store.get("mentee", mentee_id)
    assert record["needs"] == ["CV", "réseau"]
    assert record["excluded_mentors"] == [helene]
    assert record["declined_mentors"] == [jean]


@pytest.mark.parametrize(("kind", "lists"), [("mentee", ("meeting_modes", "consent_scope")),
                                             ("mentor", ("project_types", "meeting_modes", "consent_scope"))])
def test_check_lists_stay_whole_at_the_default_size(qtbot, store, kind, lists) -> None:  # type: ignore[no-untyped-def]
    """In the window's default size (1180×740, less the navigation) the check lists show every box whole."""
    form = open_form(qtbot, store, kind)
    form.resize(990, 640)
    qtbot.wait(10)
    for name in lists:
        widget = form.widget(name)
        assert widget.horizontalScrollBar().maximum() == 0, name
        assert widget.verticalScrollBar().maximum() == 0, name


# -- mentor form ---------------------------------------------------------------------------------


def test_mentor_project_types_and_meeting_modes_round_trip(qtbot, typist, store) -> None:  # type: ignore[no-untyped-def]
    form = open_form(qtbot, store, "mentor")
    assert form.ui.findChild(QLabel, "label_project_types").text() == "Projets accompagnés"
    assert form.ui.findChild(QLabel, "label_meeting_modes").text() == "Rencontres possibles"
    projects = form.widget("project_types")
    assert [projects.item(r).text() for r in range(projects.count())] == [
        "Recherche d’emploi", "Création d’entreprise", "Orientation"]

    type_into(typist, form, "first_name", "Hélène")
    type_into(typist, form, "last_name", "Dupont")
    tick(qtbot, projects, "orientation")
    tick(qtbot, projects, "business_creation")
    tick(qtbot, form.widget("meeting_modes"), "video")
    mentor_id = save(qtbot, form)

    record = store.get("mentor", mentor_id)
    assert record["project_types"] == ["business_creation", "orientation"], "in the list's order"
    assert record["meeting_modes"] == ["video"]

    again = open_form(qtbot, store, "mentor", mentor_id)
    assert checked(again.widget("project_types")) == ["business_creation", "orientation"]
    assert checked(again.widget("meeting_modes")) == ["video"]
    assert not again.is_dirty()


# -- settings dialog -----------------------------------------------------------------------------


def open_dialog(qtbot, store) -> MatchSettingsDialog:  # type: ignore[no-untyped-def]
    dialog = MatchSettingsDialog(MatchingService(store))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def spin(dialog: MatchSettingsDialog, name: str) -> QDoubleSpinBox:
    found = dialog.findChild(QDoubleSpinBox, name)
    assert found is not None, name
    return found


def click(qtbot, dialog: MatchSettingsDialog, which: QDialogButtonBox.StandardButton) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.buttons.button(which), Qt.MouseButton.LeftButton)


def retype(qtbot, widget: QDoubleSpinBox, text: str) -> None:  # type: ignore[no-untyped-def]
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


OK = QDialogButtonBox.StandardButton.Ok
CANCEL = QDialogButtonBox.StandardButton.Cancel
RESET = QDialogButtonBox.StandardButton.RestoreDefaults


def test_settings_dialog_shows_defaults_in_french(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)
    assert dialog.findChild(QLabel, "intro_label").text() == INTRO
    assert "critère\u00a0;" in INTRO
    assert spin(dialog, "weight_job_search_trade").text() == "3,0"
    assert spin(dialog, "weight_business_creation_needs").value() == 3.0
    assert spin(dialog, "min_score").text() == "35"
    assert spin(dialog, "spread_penalty").text() == "4,0"
    assert [dialog.buttons.button(b).text() for b in (OK, CANCEL, RESET)] == [
        "OK", "Annuler", "Rétablir les valeurs par défaut"]


def test_changed_weight_is_saved_on_ok(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)
    retype(qtbot, spin(dialog, "weight_job_search_trade"), "4,5")
    retype(qtbot, spin(dialog, "min_score"), "50")
    box = dialog.spread  # the row is wide: click on the box itself, not in the empty space after the text
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))
    assert not spin(dialog, "spread_penalty").isEnabled(), "no penalty to set without spreading"
    assert MatchingService(store).settings() == MatchingSettings(), "nothing saved before OK"
    click(qtbot, dialog, OK)

    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = MatchingService(store).settings()
    assert saved.weights["job_search"]["trade"] == 4.5
    assert saved.weights["job_search"]["needs"] == DEFAULT_WEIGHTS["job_search"]["needs"]
    assert saved.weights["orientation"] == DEFAULT_WEIGHTS["orientation"]
    assert saved.min_score == 0.5
    assert saved.spread is False
    assert saved.spread_penalty == 0.04


def test_weights_cannot_go_beyond_ten(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)
    weight = spin(dialog, "weight_orientation_distance")
    retype(qtbot, weight, "12")
    weight.interpretText()
    assert weight.value() <= 10.0


def test_cancel_saves_nothing(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)
    retype(qtbot, spin(dialog, "weight_orientation_languages"), "7")
    click(qtbot, dialog, CANCEL)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert MatchingService(store).settings() == MatchingSettings()


def test_restore_defaults_fills_the_fields_and_saves_on_ok(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    service = MatchingService(store)
    custom = MatchingSettings(min_score=0.6, spread=False, spread_penalty=0.1).with_weight("business_creation",
                                                                                           "distance", 9.0)
    service.save_settings(custom)
    dialog = open_dialog(qtbot, store)
    assert spin(dialog, "weight_business_creation_distance").text() == "9,0"
    assert spin(dialog, "min_score").value() == 60
    assert not dialog.spread.isChecked()

    click(qtbot, dialog, RESET)
    assert spin(dialog, "weight_business_creation_distance").value() == DEFAULT_WEIGHTS["business_creation"]["distance"]
    assert spin(dialog, "min_score").value() == 35
    assert dialog.spread.isChecked()
    assert dialog.isVisible(), "« Rétablir » does not close the dialog"
    assert service.settings() == custom, "nor does it save"

    click(qtbot, dialog, OK)
    assert service.settings() == MatchingSettings()


def test_all_zero_weights_are_refused_in_a_label(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)
    for name, widget in dialog.weights.items():
        if name[0] == "orientation":
            widget.setValue(0.0)
    retype(qtbot, spin(dialog, "weight_job_search_trade"), "6")
    click(qtbot, dialog, OK)

    error = dialog.findChild(QLabel, "error_label")
    assert error.isVisible()
    assert error.text() == "Donnez un poids à au moins un critère pour «\u00a0Orientation\u00a0»."
    assert dialog.isVisible(), "the dialog stays open with what was typed"
    assert spin(dialog, "weight_job_search_trade").value() == 6.0
    assert MatchingService(store).settings() == MatchingSettings(), "nothing saved"

    click(qtbot, dialog, RESET)
    assert not error.isVisible()


def test_settings_error_from_the_service_is_shown(qtbot, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dialog = open_dialog(qtbot, store)

    def refuse(settings: MatchingSettings) -> None:
        raise SettingsError("Le score minimum doit être compris entre 0 et 1.")

    monkeypatch.setattr(dialog.service, "save_settings", refuse)
    click(qtbot, dialog, OK)
    assert dialog.findChild(QLabel, "error_label").text() == "Le score minimum doit être compris entre 0 et 1."
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
