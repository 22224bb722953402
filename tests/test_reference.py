"""Reference places for on-device matching: the neighbouring départements' file is sane, `find_place`
resolves what counsellors type, and distances between town centres are plausible."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tandem_desktop.domain.validation import POSTAL_CODE_RE
from tandem_desktop.reference import Commune, Reference, distance_km, find_place, load_reference, place_key

PREFECTURES = {"13": "Marseille", "83": "Toulon", "84": "Avignon", "30": "Nîmes", "04": "Digne-les-Bains"}


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def _place(ref: Reference, commune: str | None, postal_code: str | None = None) -> Commune:
    found = find_place(ref, commune, postal_code)
    assert found is not None, (commune, postal_code)
    return found


def test_both_lists_load(ref: Reference) -> None:
    assert len(ref.communes) == 134 and {c.departement for c in ref.communes} == {"13"}
    counts = Counter(c.departement for c in ref.nearby_communes)
    assert set(counts) == {"83", "84", "30", "04"}
    assert counts["83"] >= 20 and counts["84"] >= 20 and counts["30"] >= 10 and counts["04"] >= 10
    assert 120 <= len(ref.nearby_communes) <= 200


def test_nearby_communes_are_sane(ref: Reference) -> None:
    nearby = ref.nearby_communes
    codes = [c.insee for c in ref.communes + nearby]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"\d{5}", c.insee) and c.insee.startswith(c.departement) for c in nearby)
    assert all(POSTAL_CODE_RE.match(c.postal_code) and c.postal_code.startswith(c.departement) for c in nearby)
    assert all(42.9 < c.latitude < 44.6 and 3.9 < c.longitude < 7.1 for c in nearby)
    assert all(c.population > 0 for c in nearby)
    prefecture = {d: _place(ref, name) for d, name in PREFECTURES.items()}
    assert {d: c.departement for d, c in prefecture.items()} == {d: d for d in PREFECTURES}
    far = [(c.name, round(distance_km(c, prefecture[c.departement]))) for c in nearby
           if distance_km(c, prefecture[c.departement]) >= 110]
    assert far == []
    names = {c.name for c in nearby}
    assert {"Toulon", "Hyères", "Fréjus", "Orange", "Carpentras", "Pertuis", "Alès", "Beaucaire",
            "Villeneuve-lès-Avignon", "Le Grau-du-Roi", "Manosque", "Sisteron", "Villeneuve", "Riez"} <= names


def test_names_match_whatever_the_spelling(ref: Reference) -> None:
    aix = _place(ref, "Aix-en-Provence")
    assert aix.insee == "13001"
    for typed in ("aix en provence", "AIX EN PROVENCE", "Aix en Provence ", "aix-en-provènce"):
        assert find_place(ref, typed, None) == aix
    assert _place(ref, "l’isle sur la sorgue").insee == "84054"
    assert _place(ref, "L’Isle-sur-la-Sorgue").insee == "84054"
    assert _place(ref, "st tropez").insee == "83119"
    assert _place(ref, "NIMES").insee == "30189"
    assert place_key("Saint-Rémy-de-Provence") == place_key("SAINT REMY DE PROVENCE") == "saint remy de provence"


def test_marseille_and_postal_codes(ref: Reference) -> None:
    assert _place(ref, "Marseille", "13008").insee == "13208"
    assert _place(ref, "marseille", "13 001").insee == "13201"
    largest = max((c for c in ref.communes if c.name == "Marseille"), key=lambda c: c.population)
    assert find_place(ref, "Marseille", None) == largest == find_place(ref, "MARSEILLE", "")
    assert _place(ref, None, "13008").insee == "13208"  # a postal code alone
    assert _place(ref, "", "83210").name == "Solliès-Pont"  # most populous of La Farlède, Solliès-Toucas…
    assert _place(ref, None, "84000").name == "Avignon"
    assert _place(ref, "Toulon", "84000").name == "Toulon"  # name and postal code disagree: the name wins
    assert _place(ref, "Atlantis", "83000").name == "Toulon"  # unknown name: the postal code still helps


def test_unknown_place(ref: Reference) -> None:
    assert find_place(ref, "Atlantis", None) is None
    assert find_place(ref, "Atlantis", "99999") is None
    assert find_place(ref, None, None) is None
    assert find_place(ref, "  ", "") is None


def test_distances(ref: Reference) -> None:
    marseille_1er = _place(ref, "Marseille", "13001")
    assert distance_km(marseille_1er, _place(ref, "Toulon")) == pytest.approx(50, abs=8)
    assert distance_km(_place(ref, "Marseille"), _place(ref, "Avignon")) == pytest.approx(85, abs=10)
    assert distance_km(_place(ref, "Aix-en-Provence"), _place(ref, "Manosque")) == pytest.approx(45, abs=8)
    assert distance_km(_place(ref, "Nîmes"), _place(ref, "Avignon")) == pytest.approx(38, abs=6)
    assert distance_km(_place(ref, "Avignon"), _place(ref, "Avignon")) == 0
