"""Reference data shipped in resources/reference/: communes of the Bouches-du-Rhône and of the
neighbouring départements with coordinates, ROME trades, names, employers, availability slots and skills
(sources and licences in its README).

Plain Python, no Qt: the demo generator draws from it, on-device matching uses it offline (distances
between places, trade families). `find_place` turns what a counsellor typed (commune, postal code) into a
Commune whose coordinates `distance_km` can use.
"""

from __future__ import annotations

import csv
import difflib
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
    languages: tuple[str, ...] = ()
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
        languages=tuple(r["langue"] for r in _rows(d, "langues.csv")),
    )


def list_options(ref: Reference, field: str) -> tuple[str, ...]:
    """What a form offers for a list field (the counsellor may still type another value): skills,
    needs (what mentors offer), languages, availability slots; () for fields without a list."""
    if field == "skills":
        return tuple(dict.fromkeys(s for group in ref.skills.values() for s in group))
    if field == "needs":
        return tuple(dict.fromkeys((*ref.skills.get("*mentor", ()), *ref.skills.get("*creation", ()))))
    if field == "languages":
        return ref.languages
    if field == "availability":
        return tuple(slot for slot, _, _ in ref.slots)
    return ()


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


# -- checking what a counsellor typed ---------------------------------------------------------------

NBSP = "\u00a0"
DEPARTEMENTS = {"13": "des Bouches-du-Rhône", "83": "du Var", "84": "de Vaucluse", "30": "du Gard",
                "04": "des Alpes-de-Haute-Provence"}


def commune_names(ref: Reference) -> list[str]:
    """Every commune name once, in the order a French reader expects (accents and case ignored)."""
    return sorted({place_key(c.name): c.name for c in ref.communes + ref.nearby_communes}.values(),
                  key=place_key)


def communes_named(ref: Reference, name: str) -> tuple[Commune, ...]:
    """The rows of one commune (Marseille has one per arrondissement), most populous first."""
    return _index(ref)["name"].get(place_key(name), ())


def close_communes(ref: Reference, text: str, limit: int = 3) -> list[str]:
    """Names a mistyped commune probably meant (« Marseile » → Marseille, « aix » → Aix-en-Provence)."""
    key = place_key(text)
    if not key:
        return []
    names = {k: v[0].name for k, v in _index(ref)["name"].items()}
    starting = sorted((k for k in names if k.startswith(key)), key=lambda k: -names_population(ref, k))
    close = difflib.get_close_matches(key, list(names), n=limit, cutoff=0.75)
    chosen = list(dict.fromkeys([*close, *starting]))[:limit]
    return [names[k] for k in chosen]


def names_population(ref: Reference, key: str) -> int:
    return sum(c.population for c in _index(ref)["name"].get(key, ()))


def _codes_text(codes: list[str]) -> str:
    if len(codes) > 3:
        return f"{codes[0]} à {codes[-1]}"
    return ", ".join(codes)


def check_place(ref: Reference, commune: str | None, postal_code: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(canonical values, French errors by field) for a commune and postal code typed together.

    The commune must be one of the reference communes (its spelling is then the file's: « AIX EN
    PROVENCE » is stored « Aix-en-Provence »). A postal code must be the commune's own, or at least one
    of its département the file does not list (it has one code per commune; Aix has five): a code
    known to belong to other communes, or of another département, is refused.
    """
    fixed: dict[str, str] = {}
    errors: dict[str, str] = {}
    named = communes_named(ref, commune) if commune else ()
    if commune and not named:
        close = close_communes(ref, commune, 1)
        hint = (f" Vouliez-vous dire «{NBSP}{close[0]}{NBSP}»{NBSP}?" if close else
                " Choisissez-la dans la liste (communes des Bouches-du-Rhône et des départements voisins).")
        errors["commune"] = f"Commune inconnue{NBSP}: «{NBSP}{_shown(commune)}{NBSP}».{hint}"
        return fixed, errors
    if named and named[0].name != commune:
        fixed["commune"] = named[0].name
    if named and postal_code:
        codes = sorted({c.postal_code for c in named})
        if postal_code not in codes:
            owners = _index(ref)["postal"].get(postal_code, ())  # most populous first
            name = named[0].name
            if owners:
                errors["postal_code"] = (f"Le code postal {postal_code} est celui {of(owners[0].name)}, pas "
                                         f"{of(name)} ({_codes_text(codes)}).")
            elif postal_code[:2] != named[0].departement:
                where = DEPARTEMENTS.get(named[0].departement, f"du {named[0].departement}")
                errors["postal_code"] = (f"Le code postal {postal_code} n’est pas un code {where}, où se trouve "
                                         f"{name} ({_codes_text(codes)}).")
    return fixed, errors


def of(name: str) -> str:
    """« de » before a commune name, as French says it: d’Aix-en-Provence, du Tholonet, des Pennes-Mirabeau."""
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article):
            return contracted + name[len(article):]
    first = unicodedata.normalize("NFKD", name[:1]).casefold()[:1]
    return f"d’{name}" if first in "aeiouyh" else f"de {name}"


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
