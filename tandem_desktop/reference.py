"""Reference data shipped in resources/reference/: communes of the Bouches-du-Rhône with coordinates,
ROME trades, names, employers, availability slots and skills (sources and licences in its README).

Plain Python, no Qt: the demo generator uses it today, on-device matching (distances, trade families)
will tomorrow.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
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


def reference_dir() -> Path:
    return paths.resources_dir() / "reference"


def _rows(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference(directory: Path | None = None) -> Reference:
    d = directory or reference_dir()
    skills: dict[str, list[str]] = {}
    for row in _rows(d, "competences.csv"):
        skills.setdefault(row["groupe"], []).append(row["competence"])
    return Reference(
        communes=tuple(
            Commune(r["code_insee"], r["commune"], r["code_postal"], int(r["population"]),
                    float(r["latitude"]), float(r["longitude"]))
            for r in _rows(d, "communes_13.csv")
        ),
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
