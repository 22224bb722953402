"""Which column feeds which field: guessed from the headers, French or English, as structures write them.

A header is compared folded (accents, case and punctuation ignored: « Tél. portable » reads
"tel portable"): a header equal to a field's label or to one of its usual names wins over one that
only contains such a name, and a longer name over a shorter one; each field takes one column at
most. A mapping is {header as written: field name}; saved as a template, it fits the next file with
the same headers whatever their order.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..domain.fields import KindSpec
from .sources import ImportFileError

# Usual headers of each field, folded (see fold). The field's own French label always counts too.
_PERSON = {
    "first_name": ("prenom", "prenoms", "first name", "firstname", "given name", "prenom usuel"),
    "last_name": ("nom", "nom de famille", "nom d usage", "nom de naissance", "last name", "lastname",
                  "surname", "family name", "name"),
    "email": ("e mail", "email", "mail", "courriel", "adresse e mail", "adresse mail", "adresse electronique",
              "mel", "e mail address", "email address"),
    "phone": ("telephone", "tel", "tel portable", "telephone portable", "portable", "mobile", "tel mobile",
              "numero de telephone", "n de telephone", "gsm", "phone", "phone number", "mobile phone"),
    "postal_code": ("code postal", "cp", "postal code", "zip", "zip code", "postcode"),
    "commune": ("commune", "ville", "localite", "city", "town", "commune de residence", "ville de residence"),
    "notes": ("notes", "note", "commentaire", "commentaires", "remarques", "observations", "comments", "comment"),
    "structure_id": ("structure", "organisme", "structure prescriptrice", "structure de rattachement",
                     "prescripteur", "organisation"),
    "counsellor_id": ("conseiller", "conseillere", "conseiller e", "referent", "referente", "conseiller referent",
                      "referent e", "counsellor", "counselor", "adviser", "advisor"),
    "sector": ("secteur", "secteur d activite", "secteur vise", "domaine", "sector", "industry"),
    "trade": ("metier", "metier vise", "metier recherche", "emploi recherche", "trade", "job", "occupation"),
    "trade_code": ("code rome", "rome", "code metier"),
    "skills": ("competences", "competence", "skills"),
    "languages": ("langues", "langues parlees", "languages"),
    "availability": ("disponibilites", "disponibilite", "availability"),
    "mobility_km": ("km", "distance", "rayon km", "deplacement km", "mobilite km", "mobility km"),
    "consent_given": ("consentement", "consentement rgpd", "consent"),
    "consent_date": ("date du consentement", "date consentement", "consent date"),
    "honorability_on": ("attestation d honorabilite", "attestation honorabilite", "honorabilite", "date attestation"),
    "consent_scope": ("portee du consentement", "perimetre du consentement", "consent scope"),
    "consent_by": ("recueilli par", "consentement recueilli par", "consentement pris par", "consent taken by",
                   "consent collected by"),
    "consent_text_version": ("version du consentement", "version du texte", "version du texte de consentement",
                             "texte de consentement", "consent version", "consent text version"),
    "consent_renewal": ("renouvellement", "renouvellement du consentement", "date de renouvellement",
                        "a renouveler le", "consentement a renouveler le", "consent renewal", "renewal date"),
    "consent_withdrawn_on": ("retrait du consentement", "date de retrait", "date de retrait du consentement",
                             "consentement retire le", "retire le", "consent withdrawn", "consent withdrawn on",
                             "withdrawal date"),
    "employer": ("employeur", "entreprise", "societe", "company", "employer"),
}
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "mentee": {
        **_PERSON,
        "birth_date": ("date de naissance", "ne e le", "nee le", "ne le", "naissance", "date naissance",
                       "birth date", "date of birth", "birthdate", "dob"),
        "project_type": ("type de projet", "type projet", "dispositif", "project type"),
        "project": ("projet", "projet professionnel", "project"),
        "status": ("statut", "etat", "status"),
        "waiting_since": ("en attente depuis", "date d inscription", "inscrit le", "inscrite le", "date d entree",
                          "date inscription", "waiting since", "registered on"),
        "needs": ("besoins", "besoin", "attentes", "needs"),
        "mobility_mode": ("mobilite", "moyen de transport", "transport", "mobility"),
    },
    "mentor": {
        **_PERSON,
        "job_title": ("poste", "fonction", "poste occupe", "intitule de poste", "job title", "position"),
        "capacity": ("capacite", "nombre de mentores", "nb mentores", "capacity"),
        "active": ("actif", "active", "actif ve"),
    },
    "tandem": {
        "mentor_id": ("mentor", "mentor e mail", "e mail du mentor", "email mentor", "nom du mentor", "marraine",
                      "parrain", "parrain marraine"),
        "mentee_id": ("mentore", "mentoree", "mentore e", "mentee", "jeune", "beneficiaire", "filleul", "filleule",
                      "e mail du mentore", "nom du mentore"),
        "structure_id": _PERSON["structure_id"],
        "counsellor_id": _PERSON["counsellor_id"],
        "status": ("statut", "etape", "etat", "status"),
        "objectives": ("objectifs", "objectif", "objectives"),
        "duration_months": ("duree", "duree mois", "duree prevue", "duration"),
        "proposed_on": ("propose le", "date de proposition", "proposed on"),
        "accepted_on": ("accepte le", "date d acceptation", "accepted on"),
        "charter_signed_on": ("charte signee le", "date de signature", "signature de la charte"),
        "started_on": ("demarre le", "date de debut", "debut", "start date", "started on"),
        "ended_on": ("termine le", "date de fin", "fin", "end date", "ended on"),
        "outcome": ("issue", "resultat", "sortie", "outcome"),
        "notes": _PERSON["notes"],
    },
    "meeting": {
        "mentor": ("mentor", "e mail du mentor", "nom du mentor", "parrain", "marraine"),
        "mentee": ("mentore", "mentoree", "mentee", "jeune", "beneficiaire", "e mail du mentore", "nom du mentore"),
        "date": ("date", "date de la rencontre", "date du rendez vous", "le", "meeting date"),
        "mode": ("modalite", "mode", "format"),
        "duration_min": ("duree", "duree min", "duree minutes", "duree en minutes", "minutes", "duration"),
        "summary": ("compte rendu", "resume", "summary", "notes"),
        "next_steps": ("prochaines etapes", "suite", "next steps"),
    },
    "counsellor": _PERSON,
    "structure": {
        **{name: _PERSON[name] for name in ("email", "phone", "postal_code", "commune", "notes")},
        "name": ("nom", "nom de la structure", "raison sociale", "structure", "organisme", "name"),
        "type": ("type", "type de structure", "categorie"),
    },
}
# Import-only fields: the record's id (an export's first column: a row bearing the id of a record of
# this device is that record), and a meeting's pair (by e-mail or by name), which names its tandem.
ID_FIELD = ("id", "Identifiant")
EXTRA_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "meeting": (ID_FIELD, ("mentee", "Mentoré·e (e-mail ou nom)"), ("mentor", "Mentor (e-mail ou nom)")),
}
# Fields never taken from a file: kept by the device itself.
_NEVER = {"declined_mentors"}


@lru_cache(maxsize=65_536)  # a file repeats its communes, choices and first names thousands of times
def fold(text: str) -> str:
    """A header or a name compared loosely: no accents, lower case, words of letters and digits."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def importable_fields(spec: KindSpec) -> list[tuple[str, str]]:
    """(field name, French label) a column may feed, in the form's order."""
    fields = [(f.name, f.label) for f in spec.fields if f.name not in _NEVER]
    return [*EXTRA_FIELDS.get(spec.name, (ID_FIELD,)), *fields]


def guess_mapping(spec: KindSpec, headers: Sequence[str]) -> dict[str, str]:
    """{header: field name} for the columns whose header names a field (others are left out)."""
    labels = dict(importable_fields(spec))
    usual = {**SYNONYMS.get(spec.name, {}), "id": ("identifiant", "id", "uuid")}
    names = {name: {fold(labels[name]), *usual.get(name, ())} for name in labels}
    candidates: list[tuple[int, int, int, str, str]] = []  # (-strength, -length, column, header, field)
    for column, header in enumerate(headers):
        folded = fold(header)
        words = f" {folded} "
        for name, known in names.items():
            for synonym in known:
                if not synonym:
                    continue
                if folded == synonym:
                    strength = 3
                elif words.startswith(f" {synonym} "):
                    strength = 2
                elif f" {synonym} " in words and len(synonym) > 3:
                    strength = 1
                else:
                    continue
                candidates.append((-strength, -len(synonym), column, header, name))
    mapping: dict[str, str] = {}
    for _, _, _, header, name in sorted(candidates):
        if header not in mapping and name not in mapping.values():
            mapping[header] = name
    return {header: mapping[header] for header in headers if header in mapping}


def apply_template(columns: Mapping[str, str], headers: Sequence[str]) -> dict[str, str]:
    """A saved mapping fitted to this file's headers: exact headers first, then folded ones."""
    by_fold = {fold(header): name for header, name in columns.items()}
    mapping = {}
    for header in headers:
        name = columns.get(header) or by_fold.get(fold(header))
        if name and name not in mapping.values():
            mapping[header] = name
    return mapping


def check_mapping(spec: KindSpec, mapping: Mapping[str, str]) -> None:
    """ImportFileError in French if the mapping names an unknown field or feeds one twice."""
    known = dict(importable_fields(spec))
    seen: dict[str, str] = {}
    for header, name in mapping.items():
        if name not in known:
            raise ImportFileError(f"Champ inconnu dans la correspondance\u00a0: «\u00a0{name}\u00a0» "
                                  f"(colonne «\u00a0{header}\u00a0»).")
        if name in seen:
            raise ImportFileError(f"Le champ «\u00a0{known[name]}\u00a0» est alimenté par deux colonnes\u00a0: "
                                  f"«\u00a0{seen[name]}\u00a0» et «\u00a0{header}\u00a0».")
        seen[name] = header


def missing_required(spec: KindSpec, mapping: Mapping[str, str]) -> list[str]:
    """French labels of the required fields no column feeds (and that have no default)."""
    fed = set(mapping.values())
    if spec.name == "meeting" and {"mentor", "mentee"} <= fed:
        fed.add("tandem_id")  # the pair names the tandem
    return [spec.by_name[name].label for name in spec.required
            if name not in fed and spec.by_name[name].default is None]


def mapping_to_json(kind: str, mapping: Mapping[str, str]) -> str:
    return json.dumps({"kind": kind, "columns": dict(mapping)}, ensure_ascii=False, indent=2)


def mapping_from_json(text: str, kind: str) -> dict[str, str]:
    """The columns of a template file (as mapping_to_json writes it, or a bare {header: field})."""
    try:
        data: Any = json.loads(text.removeprefix("\ufeff"))  # Notepad writes a BOM
    except (ValueError, RecursionError):
        raise ImportFileError("Fichier de correspondance illisible\u00a0: ce n’est pas du JSON.") from None
    if isinstance(data, dict) and "columns" in data:
        if data.get("kind") not in (None, kind):
            raise ImportFileError(f"Cette correspondance est prévue pour «\u00a0{data.get('kind')}\u00a0», "
                                  f"pas «\u00a0{kind}\u00a0».")
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ImportFileError("Fichier de correspondance illisible\u00a0: {\"en-tête\": \"champ\"} attendu.")
    seen: dict[str, str] = {}
    for header, name in data.items():
        if name in seen:
            raise ImportFileError(f"Le champ «\u00a0{name}\u00a0» est alimenté par deux colonnes\u00a0: "
                                  f"«\u00a0{seen[name]}\u00a0» et «\u00a0{header}\u00a0».")
        seen[name] = header
    return dict(data)


def template_name(text: str) -> str:
    """A template's name as it is kept: one line of 1 to 80 characters, no control character."""
    name = " ".join(str(text).split())
    if not name or len(name) > 80 or not name.isprintable():
        raise ImportFileError("Nom de modèle invalide\u00a0: de 1 à 80 caractères, sur une ligne, sans caractère "
                              "de contrôle.")
    return name
