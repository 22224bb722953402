"""Reference data shipped in resources/reference/: communes of the Bouches-du-Rhône and of the
neighbouring départements with coordinates, ROME trades, names, employers, availability slots and skills
(sources and licences in its README).

Plain Python, no Qt: the demo generator draws from it, on-device matching uses it offline (distances
between places, trade families). `find_place` turns what a counsellor typed (commune, postal code) into a
Commune whose coordinates `distance_km` can use.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import paths


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postal_code: str
    population: int
    latitude: float
    longitude: float
    departement: str = "13"


@dataclass(frozen=True)
class Trade:
    domain: str
    domain_label: str
    family: str
    family_label: str
    code: str
    label: str
    mentor_weight: int
    mentee_weight: int


@dataclass(frozen=True)
class Employer:
    name: str
    sector: str
    size: str
    commune: str
    postal_code: str
    domains: tuple[str, ...]
    weight: int


@dataclass(frozen=True)
class Reference:
    communes: tuple[Commune, ...]
    trades: tuple[Trade, ...]
    first_names: tuple[tuple[str, str, str, int], ...]  # name, sex, generation, weight
    last_names: tuple[tuple[str, int], ...]
    employers: tuple[Employer, ...]
    slots: tuple[tuple[str, int, int], ...]  # slot, mentor weight, mentee weight
    skills: dict[str, tuple[str, ...]]  # group (ROME domain letter or *name) -> skills
    # Communes of the Var, Vaucluse, Gard and Alpes-de-Haute-Provence: matching only, never the demo.
    nearby_communes: tuple[Commune, ...] = ()
    # find_place's lookup tables, built on first use (the dataclass is frozen, its dict is not).
    _places: dict[str, dict[str, tuple[Commune, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)


def reference_dir() -> Path:
    return paths.resources_dir() / "reference"


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _communes(directory: Path, name: str) -> tuple[Commune, ...]:
    return tuple(
        Commune(r["code_insee"], r["commune"], r["code_postal"], int(r["population"]),
                float(r["latitude"]), float(r["longitude"]), r.get("departement") or "13")
        for r in _rows(directory, name)
    )


def load_reference(directory: Path | None = None) -> Reference:
    d = directory or reference_dir()
    skills: dict[str, list[str]] = {}
    for row in _rows(d, "competences.csv"):
        skills.setdefault(row["groupe"], []).append(row["competence"])
    return Reference(
        communes=_communes(d, "communes_13.csv"),
        nearby_communes=_communes(d, "communes_voisines.csv"),
        trades=tuple(
            Trade(r["domaine"], r["domaine_libelle"], r["famille"], r["famille_libelle"], r["code_rome"],
                  r["metier"], int(r["poids_mentors"]), int(r["poids_mentores"]))
            for r in _rows(d, "rome_metiers.csv")
        ),
        first_names=tuple((r["prenom"], r["genre"], r["generation"], int(r["poids"]))
                          for r in _rows(d, "prenoms.csv")),
        last_names=tuple((r["nom"], int(r["poids"])) for r in _rows(d, "noms.csv")),
        employers=tuple(
            Employer(r["employeur"], r["secteur"], r["taille"], r["commune"], r["code_postal"],
                     tuple(r["domaines"].split()), int(r["poids"]))
            for r in _rows(d, "employeurs.csv")
        ),
        slots=tuple((r["creneau"], int(r["poids_mentors"]), int(r["poids_mentores"]))
                    for r in _rows(d, "disponibilites.csv")),
        skills={k: tuple(v) for k, v in skills.items()},
    )


def distance_km(a: Commune, b: Commune) -> float:
    """Great-circle distance between two town centres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


def place_key(text: str) -> str:
    """A commune name as people type it and as the files spell it compare equal: no case, accents,
    hyphens or apostrophes ("AIX EN PROVENCE" = "Aix-en-Provence", "St Tropez" = "Saint-Tropez")."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_ABBREVIATIONS.get(w, w) for w in re.split(r"[^0-9a-z]+", text) if w)


def _index(ref: Reference) -> dict[str, dict[str, tuple[Commune, ...]]]:
    """Both lists by name key and by postal code, most populous first, so every look-up is one dict hit
    and ambiguous ones (Marseille, a shared postal code) always give the same answer."""
    if not ref._places:
        by_name: dict[str, list[Commune]] = {}
        by_postal: dict[str, list[Commune]] = {}
        for c in sorted(ref.communes + ref.nearby_communes, key=lambda c: (-c.population, c.insee)):
            by_name.setdefault(place_key(c.name), []).append(c)
            by_postal.setdefault(c.postal_code, []).append(c)
        ref._places["name"] = {k: tuple(v) for k, v in by_name.items()}
        ref._places["postal"] = {k: tuple(v) for k, v in by_postal.items()}
    return ref._places


def find_place(ref: Reference, commune: str | None, postal_code: str | None) -> Commune | None:
    """The reference commune a record's commune text and/or postal code points at, or None.

    The name wins when both are known and disagree (a mistyped postal code is more common than a wrong
    town); the postal code then only picks among same-named rows (Marseille 13008 → 8th arrondissement).
    Without a known name, the most populous commune of the postal code is the best guess.
    """
    index = _index(ref)
    code = re.sub(r"\s+", "", postal_code or "")
    named = index["name"].get(place_key(commune or ""), ())
    if named:
        return next((c for c in named if c.postal_code == code), named[0])
    coded = index["postal"].get(code, ())
    return coded[0] if coded else None
