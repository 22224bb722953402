"""Demo data: deterministic for a seed, plausible, valid, drawn from the reference files."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tandem_desktop.domain.lifecycle import ORDER
from tandem_desktop.domain.validation import EMAIL_RE, POSTAL_CODE_RE
from tandem_desktop.reference import distance_km, load_reference
from tandem_desktop.services.demo import generate_demo
from tandem_desktop.services.export import iter_records
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import init_profile

TODAY = date(2026, 11, 26)


def _all(store, kind):  # type: ignore[no-untyped-def]
    """Records in creation order (UUIDv7 ids sort by creation time)."""
    return sorted(iter_records(store, kind), key=lambda r: r["id"])


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return load_reference()


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One profile with a mid-sized demo, shared by the plausibility tests."""
    settings = load_settings(tmp_path_factory.mktemp("demo") / "p", environ={"TANDEM_KDF_LOG2N": "14"})
    profile = init_profile(settings.with_passphrase("phrase de passe de démo"), today=lambda: TODAY)
    summary = generate_demo(profile.store, mentors=150, mentees=2000, seed=7)
    yield profile.store, summary
    profile.close()


def _names_and_places(store, kind):  # type: ignore[no-untyped-def]
    return [(r["first_name"], r["last_name"], r["commune"], r["postal_code"]) for r in _all(store, kind)]


def _new_store(tmp_path: Path, name: str):  # type: ignore[no-untyped-def]
    settings = load_settings(tmp_path / name, environ={"TANDEM_KDF_LOG2N": "14"}).with_passphrase("une phrase de démo")
    return init_profile(settings, today=lambda: TODAY)


def test_reference_files(reference) -> None:  # type: ignore[no-untyped-def]
    communes = reference.communes
    assert len({c.insee for c in communes}) == 134  # 118 communes + Marseille's 16 arrondissements
    assert {c.postal_code for c in communes if c.name == "Marseille"} == {f"130{n:02d}" for n in range(1, 17)}
    assert all(POSTAL_CODE_RE.match(c.postal_code) and c.postal_code.startswith("13") for c in communes)
    assert all(43.1 < c.latitude < 44.0 and 4.2 < c.longitude < 5.85 for c in communes)
    by_name = {c.name: c for c in communes}
    assert by_name["Aix-en-Provence"].postal_code == "13100" and by_name["Arles"].insee == "13004"
    assert 28 < distance_km(by_name["Aix-en-Provence"], by_name["Aubagne"]) < 32
    assert len(reference.trades) >= 60
    assert all(re.fullmatch(r"[A-N]\d{4}", t.code) and t.code.startswith(t.family) for t in reference.trades)
    assert "M1607" in {t.code for t in reference.trades}
    assert {"Hélène", "Mohamed", "Inès"} <= {n for n, *_ in reference.first_names}
    assert {"Manoukian", "Benali", "Rossi", "Diallo", "Said"} <= {n for n, _ in reference.last_names}
    domains = {t.domain for t in reference.trades}
    assert all(set(e.domains) <= domains for e in reference.employers)
    assert "mercredi après-midi" in {s for s, *_ in reference.slots}


def test_same_seed_same_records_different_seed_different(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        profile = _new_store(tmp_path, name)
        generate_demo(profile.store, mentors=20, mentees=120, seed=seed)
        runs[name] = {kind: _names_and_places(profile.store, kind) for kind in ("mentor", "mentee")}
        runs[name]["tandems"] = [(t["status"], t["proposed_on"], t["outcome"]) for t in _all(profile.store, "tandem")]
        runs[name]["skills"] = [r["skills"] for r in _all(profile.store, "mentee")]
        profile.close()
    assert len(runs["a"]["mentee"]) == 120 and len(runs["a"]["mentor"]) == 20
    assert runs["a"] == runs["b"]
    assert runs["a"]["mentee"] != runs["c"]["mentee"]
    assert runs["a"]["mentor"] != runs["c"]["mentor"]


def test_every_value_is_valid_and_local(demo_store, reference) -> None:  # type: ignore[no-untyped-def]
    store, summary = demo_store
    places = {(c.name, c.postal_code) for c in reference.communes}
    trades = {t.code: t.label for t in reference.trades}
    mentees, mentors = _all(store, "mentee"), _all(store, "mentor")
    assert (len(mentors), len(mentees)) == (150, 2000) == (summary.mentors, summary.mentees)
    for person in mentees + mentors:
        assert (person["commune"], person["postal_code"]) in places
        assert person["email"] is None or (EMAIL_RE.match(person["email"]) and person["email"].endswith(".example"))
        assert person["phone"] is None or re.fullmatch(r"0(6 39 98|4 65 71)( \d\d){2}", person["phone"])
        assert person["trade_code"] is None or trades[person["trade_code"]] == person["trade"]
    emails = [p["email"] for p in mentees + mentors if p["email"]]
    assert len(emails) == len(set(emails))
    employers = {e.name for e in reference.employers}
    assert all(m["employer"] in employers for m in mentors)


def test_distributions_are_plausible(demo_store) -> None:  # type: ignore[no-untyped-def]
    store, _ = demo_store
    mentees, mentors = _all(store, "mentee"), _all(store, "mentor")
    projects = Counter(m["project_type"] for m in mentees)
    assert abs(projects["job_search"] / 2000 - 0.60) < 0.05
    assert abs(projects["orientation"] / 2000 - 0.25) < 0.05
    assert abs(projects["business_creation"] / 2000 - 0.15) < 0.04
    marseille = sum(m["commune"] == "Marseille" for m in mentees) / 2000
    assert 0.35 < marseille < 0.55  # population-weighted: Marseille is ~43 % of the département
    structures = {s["id"]: s for s in _all(store, "structure")}
    assert {"Mission locale de Marseille", "CCI Aix-Marseille-Provence"} <= {s["name"] for s in structures.values()}
    young = [m for m in mentees if structures[m["structure_id"]]["type"] == "mission_locale"]
    assert len(young) > 1000
    ages = [(TODAY - date.fromisoformat(m["birth_date"])).days / 365.25 for m in young]
    assert all(15.9 < age < 26.1 for age in ages)
    counsellors = {c["id"]: c for c in _all(store, "counsellor")}
    assert all(counsellors[m["counsellor_id"]]["structure_id"] == m["structure_id"] for m in mentees)
    creators = Counter(structures[m["structure_id"]]["type"] for m in mentees
                       if m["project_type"] == "business_creation")
    assert creators.most_common(1)[0][0] == "adie"
    capacities = Counter(m["capacity"] for m in mentors)
    assert (capacities[1] + capacities[2]) / len(mentors) > 0.75
    consent = [m for m in mentees if m["consent_given"]]
    assert 0.85 < len(consent) / 2000 < 0.95 and all(m["consent_date"] for m in consent)
    assert all(not m["consent_date"] for m in mentees if not m["consent_given"])


def test_tandems_and_meetings_are_coherent(demo_store) -> None:  # type: ignore[no-untyped-def]
    store, summary = demo_store
    tandems, meetings = _all(store, "tandem"), _all(store, "meeting")
    assert (len(tandems), len(meetings)) == (summary.tandems, summary.meetings)
    statuses = Counter(t["status"] for t in tandems)
    assert set(statuses) == set(ORDER)  # every lifecycle step is represented
    mentors = {m["id"]: m for m in _all(store, "mentor")}
    mentees = {m["id"]: m for m in _all(store, "mentee")}
    live = Counter(t["mentor_id"] for t in tandems if t["status"] != "ended")
    assert all(n <= mentors[mentor_id]["capacity"] for mentor_id, n in live.items())
    assert all(mentors[mentor_id]["active"] and mentors[mentor_id]["consent_given"] for mentor_id in live)
    assert len({t["mentee_id"] for t in tandems}) == len(tandems)
    for tandem in tandems:
        mentee = mentees[tandem["mentee_id"]]
        assert mentee["consent_given"]
        assert mentee["status"] == ("exited" if tandem["status"] == "ended" else "in_tandem")
        assert mentee["waiting_since"] <= tandem["proposed_on"] <= TODAY.isoformat()
        assert (tandem["outcome"] is not None) == (tandem["status"] == "ended")
        steps = [tandem[f] for f in ("proposed_on", "accepted_on", "charter_signed_on", "started_on", "ended_on")]
        reached = ORDER.index(tandem["status"]) + 1
        assert all(steps[:reached]) and not any(steps[reached:]) and steps[:reached] == sorted(steps[:reached])
    by_tandem = {t["id"]: t for t in tandems}
    for meeting in meetings:
        tandem = by_tandem[meeting["tandem_id"]]
        assert tandem["status"] in ("charter_signed", "active", "ended")
        assert (tandem["started_on"] or tandem["charter_signed_on"]) <= meeting["date"] <= TODAY.isoformat()
    waiting = sum(m["status"] == "waiting" for m in mentees.values())
    assert waiting == 2000 - len(tandems)


def test_nothing_is_written_when_generation_fails(profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = profile.store
    original = store.create_many

    def failing(kind, rows):  # type: ignore[no-untyped-def]
        if kind == "tandem":
            raise RuntimeError("disque débranché")
        return original(kind, rows)

    monkeypatch.setattr(store, "create_many", failing)
    with pytest.raises(RuntimeError):
        generate_demo(store, mentors=5, mentees=30, seed=1)
    assert store.count("structure") == store.count("mentee") == 0


def test_a_second_run_adds_people_and_reuses_the_structures(tmp_path: Path) -> None:
    profile = _new_store(tmp_path, "twice")
    first = generate_demo(profile.store, mentors=5, mentees=30, seed=3)
    second = generate_demo(profile.store, mentors=4, mentees=20, seed=4)
    assert (first.structures, first.counsellors) == (8, 26) and (second.structures, second.counsellors) == (0, 0)
    store = profile.store
    assert store.count("structure") == 8 and store.count("counsellor") == 26
    assert store.count("mentee") == 50 and store.count("mentor") == 9
    added = _names_and_places(store, "mentee")[30:]
    profile.close()
    fresh = _new_store(tmp_path, "fresh")
    generate_demo(fresh.store, mentors=4, mentees=20, seed=4)
    assert _names_and_places(fresh.store, "mentee") == added  # same seed, same people, whatever was there
    fresh.close()
