"""Plain-French explanations of a pair: one line per criterion (with its points), and why a pair is
impossible. Built only for the pairs a counsellor looks at, never for whole matrices."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..domain import consent
from ..reference import Reference
from ..texts.french import NBSP
from .criteria import CRITERIA, reasons_of
from .features import MatchingData, norm
from .score import UNKNOWN, Block, criterion_values

FOR, AGAINST, NEUTRAL = "pour", "contre", "neutre"
PROJECT_LABELS = {"job_search": "recherche d’emploi", "business_creation": "création d’entreprise",
                  "orientation": "orientation"}
MODE_LABELS = {"in_person": "en présentiel", "phone": "par téléphone", "video": "en visio"}


@dataclass(frozen=True)
class Contribution:
    code: str
    label: str
    value: float  # the criterion's value in [0, 1]
    points: float  # its share of the score, on 100 (tenths add up exactly to the score)
    polarity: str  # pour / contre / neutre
    text: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def km_text(km: float) -> str:
    text = f"{km:.0f}" if km == int(km) else f"{km:.1f}".replace(".", ",")
    return text + "\u00a0km"


def points_text(thousandths: int) -> str:
    return f"{thousandths / 10:.1f}".replace(".", ",")


def _common(mine: list[Any], theirs: list[Any]) -> list[str]:
    wanted = {norm(v) for v in theirs or ()}
    return [str(v) for v in mine or () if norm(v) in wanted]


Lookup = Callable[[str, Sequence[str]], Mapping[str, dict[str, Any]]]  # (kind, ids) -> records by id


class Explainer:
    """Explains pairs of one MatchingData. The texts quote the records (trades, skills, communes),
    which the matching data does not keep: `lookup` fetches the few shown (the service reads them
    from the store), a batch of pairs at a time in `prepare`."""

    def __init__(self, data: MatchingData, ref: Reference, lookup: Lookup):
        self.data = data
        self.lookup = lookup
        self.families = {t.family.upper(): t.family_label for t in ref.trades}
        self.domains = {t.domain.upper(): t.domain_label for t in ref.trades}
        self._values: dict[tuple[int, int, int], np.ndarray] = {}
        self._records: dict[tuple[str, str], dict[str, Any]] = {}

    def prepare(self, block: Block, pairs: list[tuple[int, int]], chunk: int = 256) -> None:
        """Criterion values and records of the pairs about to be explained, a few calls for all of them
        (blocks keep only the integer contributions: values for 5 million pairs would cost 320 MB)."""
        self._values = {key: v for key, v in self._values.items() if key[0] == id(block)}  # drop stale blocks
        self._fetch(block, pairs)
        for start in range(0, len(pairs), chunk):
            part = pairs[start:start + chunk]
            rs, cs = np.array([r for r, _ in part]), np.array([c for _, c in part])
            grid = criterion_values(self.data, block.rows[rs], block.cols[cs], block.distance[np.ix_(rs, cs)])
            diagonal = np.arange(len(part))
            for n, pair in enumerate(part):
                self._values[(id(block), *pair)] = grid[:, diagonal[n], diagonal[n]]

    def _fetch(self, block: Block, pairs: list[tuple[int, int]]) -> None:
        wanted = (("mentee", self.data.mentees.ids, {int(block.rows[r]) for r, _ in pairs}),
                  ("mentor", self.data.mentors.ids, {int(block.cols[c]) for _, c in pairs}))
        self._records = {}
        for kind, ids, indexes in wanted:
            asked = [ids[i] for i in sorted(indexes)]
            found = self.lookup(kind, asked) if asked else {}
            for record_id in asked:  # a record deleted since the data was read: its texts say « non renseigné »
                self._records[(kind, record_id)] = found.get(record_id) or {"id": record_id}

    def _pair(self, block: Block, r: int, c: int) -> tuple[dict[str, Any], dict[str, Any]]:
        mentee_id = self.data.mentees.ids[int(block.rows[r])]
        mentor_id = self.data.mentors.ids[int(block.cols[c])]
        if ("mentee", mentee_id) not in self._records or ("mentor", mentor_id) not in self._records:
            self._fetch(block, [(r, c)])
        return self._records[("mentee", mentee_id)], self._records[("mentor", mentor_id)]

    def contributions(self, block: Block, r: int, c: int) -> list[Contribution]:
        if (id(block), r, c) not in self._values:
            self.prepare(block, [(r, c)])
        mentee, mentor = self._pair(block, r, c)
        km = float(block.distance[r, c])
        values = self._values.pop((id(block), r, c))
        out = []
        for k, criterion in enumerate(CRITERIA):
            value = float(values[k])
            polarity = FOR if value >= 0.6 else AGAINST if value <= 0.3 else NEUTRAL
            if value == UNKNOWN and criterion.code != "waiting":
                polarity = NEUTRAL
            reach = mentee.get("mobility_km")
            if criterion.code == "distance" and reach is not None and km == km and km > float(reach):
                polarity = AGAINST  # the text says « au-delà … de déplacement possible »: show it as a drawback
            text = getattr(self, f"_{criterion.code}")(mentee, mentor, value, km)
            out.append(Contribution(criterion.code, criterion.label, round(value, 4),
                                    int(block.contributions[k, r, c]) / 10, polarity, text))
        return out

    # one sentence per criterion ---------------------------------------------------------------

    def _project(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        project = PROJECT_LABELS.get(mentee.get("project_type") or "job_search", "projet")
        if value == UNKNOWN:
            return "Types de projets accompagnés non renseignés"
        if value:
            return f"Accompagne les projets de {project}"
        return f"N’accompagne pas les projets de {project}"

    def _trade(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        code = norm(mentee.get("trade_code")).upper()
        if value == UNKNOWN:
            return "Projet sans métier précis"
        if value == 1.0:
            return f"Même métier\u00a0: {mentor.get('trade') or code}"
        if value == 0.7:
            return f"Même famille de métiers\u00a0: {self.families.get(code[:3], code[:3])}"
        if value == 0.4:
            return f"Même domaine\u00a0: {self.domains.get(code[:1], code[:1])}"
        if value == 0.3:
            return f"Même secteur\u00a0: {mentor.get('sector')}"
        theirs = mentor.get("trade") or "métier non renseigné"
        return f"Métier éloigné\u00a0: {theirs}, pour un projet de {mentee.get('trade') or 'métier non précisé'}"

    def _needs(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        needs = mentee.get("needs") or []
        if value == UNKNOWN:
            return "Besoins ou compétences non renseignés"
        met = _common(needs, mentor.get("skills") or [])
        if not met:
            return "Ne répond à aucun des besoins exprimés"
        return f"Répond à {len(met)} besoin{'s' if len(met) > 1 else ''} sur {len(needs)}\u00a0: {', '.join(met)}"

    def _distance(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        if km != km:  # nan
            return "Distance inconnue (commune non reconnue)"
        reach = mentee.get("mobility_km")
        where = f"{mentor.get('commune') or '?'}, à {km_text(km)}"
        if reach is not None and km > float(reach):
            return f"{where}, au-delà des {km_text(float(reach))} de déplacement possible"
        return f"{where}" + (f" (déplacement possible\u00a0: {km_text(float(reach))})" if reach is not None else "")

    def _availability(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        if value == UNKNOWN:
            return "Disponibilités non renseignées"
        common = _common(mentee.get("availability") or [], mentor.get("availability") or [])
        if not common:
            return "Aucun créneau en commun"
        return f"{len(common)} créneau{'x' if len(common) > 1 else ''} en commun\u00a0: {', '.join(common)}"

    def _languages(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        if value == UNKNOWN:
            return "Langues non renseignées"
        spoken = _common(mentee.get("languages") or [], mentor.get("languages") or [])
        missing = [v for v in mentee.get("languages") or [] if v not in spoken]
        text = f"Parle {', '.join(spoken)}" if spoken else "Aucune langue en commun"
        return text + (f"\u00a0; pas {', '.join(missing)}" if missing and spoken else "")

    def _preferences(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        if value == UNKNOWN:
            return "Modalités de rencontre non renseignées"
        common = [MODE_LABELS[m] for m in mentee.get("meeting_modes") or []
                  if m in MODE_LABELS and m in (mentor.get("meeting_modes") or [])]
        return f"Rencontre possible {', '.join(common)}" if common else "Aucune modalité de rencontre en commun"

    def _waiting(self, mentee: dict[str, Any], mentor: dict[str, Any], value: float, km: float) -> str:
        row = self.data.mentees.row.get(mentee["id"])
        days = int(self.data.waiting_days[row]) if row is not None else 0
        return f"En attente depuis {days} jour{'s' if days > 1 else ''}"

    # impossible pairs -------------------------------------------------------------------------

    def reasons(self, block: Block, r: int, c: int) -> list[dict[str, str]]:
        """Why the pair is impossible: code and French label, with the detail where it helps."""
        mentee, mentor = self._pair(block, r, c)
        out = []
        for constraint in reasons_of(int(block.reasons[r, c])):
            label = constraint.label
            if constraint.code == "too_far":
                label += f" ({km_text(float(block.distance[r, c]))})"
            elif constraint.code == "language":
                label += f" ({mentee.get('required_language')})"
            elif constraint.code == "same_employer":
                label += f" ({mentor.get('employer')})"
            elif constraint.code == "no_consent":
                label = self._consent_label(mentee, mentor) or label
            out.append({"code": constraint.code, "label": label})
        return out

    def _consent_label(self, mentee: dict[str, Any], mentor: dict[str, Any]) -> str:
        """« Consentement retiré le 03/12/2026 (mentoré·e) », per side whose consent is not current."""
        today = self.data.today
        parts = [f"{state.reason} ({who})" for who, record in (("mentoré·e", mentee), ("mentor", mentor))
                 if not (state := consent.state(record, today)).current]
        return f"{NBSP}; ".join(parts)
