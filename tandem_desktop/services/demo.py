"""Realistic, deterministic demo data: structures, counsellors, mentors, mentees, tandems, meetings.

Everything is drawn from the reference files in resources/reference/ (communes of the
Bouches-du-Rhône, ROME trades, names, employers, availability slots, skills) with plausible
distributions. The same seed on the same day gives the same records (ids aside). All writes go
through Store.create_many inside one transaction, so an interrupted run leaves nothing behind.
Contact details are fictitious on purpose (.example e-mail domains, ARCEP fiction phone ranges).
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from ..domain.errors import DomainError
from ..reference import Commune, Reference, Trade, distance_km, load_reference
from ..store.demo import ENROLLED_REFUSED, mark_demo
from ..store.queries import ListQuery
from ..store.repository import Store
from .demo_data import (
    LANGUAGES,
    LIVE_STATUSES,
    MAIL_PROVIDERS,
    MEETING_SUMMARIES,
    MENTEE_NOTES,
    MENTOR_NOTES,
    MOBILITY,
    NEXT_STEPS,
    OBJECTIVES,
    OUTCOMES,
    PROJECT_TEXT,
    PROJECTS,
    STRUCTURE_TYPE_BY_PROJECT,
    STRUCTURES,
)

T = TypeVar("T")


class Weighted(Generic[T]):
    """Weighted choice in O(log n) from a fixed population."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]

    def sample(self, rng: random.Random, k: int) -> list[T]:
        chosen: list[T] = []
        for _ in range(k * 4):
            if len(chosen) == k:
                break
            item = self.pick(rng)
            if item not in chosen:
                chosen.append(item)
        return chosen


def _table(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    return Weighted([v for v, _ in table], [w for _, w in table]).pick(rng)


@dataclass
class DemoSummary:
    structures: int = 0
    counsellors: int = 0
    mentors: int = 0
    mentees: int = 0
    tandems: int = 0
    meetings: int = 0
    seconds: float = 0.0

    def message(self) -> str:
        seconds = f"{self.seconds:.1f}".replace(".", ",")
        return (f"Données de démonstration créées\u00a0: {self.structures} structures, {self.counsellors} "
                f"conseillers, {self.mentors} mentors, {self.mentees} mentorés, {self.tandems} tandems, "
                f"{self.meetings} rencontres ({seconds}\u00a0s).")


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


# -- the generator ------------------------------------------------------------------------------


class _Generator:
    def __init__(self, ref: Reference, seed: int, today: date):
        self.ref = ref
        self.rng = random.Random(seed)
        # Matching fields draw from their own stream, so adding them left the rest of the demo unchanged.
        self.matching_rng = random.Random(seed * 7919 + 1)
        self.today = today
        self.communes = Weighted(ref.communes, [c.population for c in ref.communes])
        self.by_postal = {(c.name, c.postal_code): c for c in ref.communes}
        self.mentee_trades = Weighted(ref.trades, [t.mentee_weight for t in ref.trades])
        self.trades_by_domain: dict[str, Weighted[Trade]] = {}
        for domain, group in itertools.groupby(sorted(ref.trades, key=lambda t: t.domain), key=lambda t: t.domain):
            items = list(group)
            self.trades_by_domain[domain] = Weighted(items, [t.mentor_weight for t in items])
        self.employers = Weighted(ref.employers, [e.weight for e in ref.employers])
        self.names: dict[tuple[str, str], Weighted[str]] = {}
        for key in itertools.product(("f", "m"), ("jeune", "adulte")):
            rows = [r for r in ref.first_names if (r[1], r[2]) == key]
            self.names[key] = Weighted([r[0] for r in rows], [r[3] for r in rows])
        self.last_names = Weighted([n for n, _ in ref.last_names], [w for _, w in ref.last_names])
        self.slots = {who: Weighted([s[0] for s in ref.slots], [s[i] for s in ref.slots])
                      for who, i in (("mentor", 1), ("mentee", 2))}
        self.emails: set[str] = set()

    # small helpers

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def person(self, generation: str) -> tuple[str, str]:
        sex = "f" if self.rng.random() < 0.5 else "m"
        return self.names[(sex, generation)].pick(self.rng), self.last_names.pick(self.rng)

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{slug(first)}.{slug(last).replace('-', '')}"
        candidate = f"{base}@{domain}"
        n = 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def phone(self, mobile: bool = True) -> str:
        prefix = "06 39 98" if mobile else "04 65 71"
        return f"{prefix} {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"

    def languages(self, extra_share: float) -> list[str]:
        languages = ["français"]
        if self.rng.random() < extra_share:
            other = _table(self.rng, LANGUAGES)
            languages.append(other)
        return languages

    def skills(self, groups: list[tuple[str, int, int]]) -> list[str]:
        chosen: list[str] = []
        for group, low, high in groups:
            pool = self.ref.skills.get(group, ())
            for skill in self.rng.sample(pool, min(len(pool), self.rng.randint(low, high))):
                if skill not in chosen:
                    chosen.append(skill)
        return chosen

    def consent(self, share: float, since: date) -> dict[str, Any]:
        if self.rng.random() >= share:
            return {"consent_given": False}
        scope = ["processing", "hub_sharing"] if self.rng.random() < 0.85 else ["processing"]
        if self.rng.random() < 0.6:
            scope.append("mentor_contact")
        return {"consent_given": True, "consent_date": since.isoformat(), "consent_scope": scope}

    # records

    def structures(self) -> list[dict[str, Any]]:
        return [{"name": name, "type": kind, "commune": commune, "postal_code": postal,
                 "email": f"contact@{domain}.example", "phone": self.phone(mobile=False)}
                for name, kind, commune, postal, domain, _ in STRUCTURES]

    def counsellors(self, structure_ids: list[str]) -> list[dict[str, Any]]:
        rows = []
        for sid, (*_, domain, count) in zip(structure_ids, STRUCTURES, strict=True):
            for _ in range(count):
                first, last = self.person("adulte")
                rows.append({"first_name": first, "last_name": last, "structure_id": sid,
                             "email": self.email(first, last, f"{domain}.example"), "phone": self.phone(False)})
        return rows

    def mentor(self, structure_ids: list[str]) -> dict[str, Any]:
        rng = self.rng
        employer = self.employers.pick(rng)
        trade = self.trades_by_domain[rng.choice(employer.domains)].pick(rng)
        first, last = self.person("adulte")
        if rng.random() < 0.4:
            commune = self.by_postal.get((employer.commune, employer.postal_code)) or self.communes.pick(rng)
        else:
            commune = self.communes.pick(rng)
        groups = [(trade.domain, 1, 2), ("*mentor", 1, 3)]
        if employer.size in ("TPE", "PME") or trade.code == "M1302":
            groups.append(("*creation", 1, 2))
        pro = rng.random() < 0.75
        record = {
            "first_name": first, "last_name": last,
            "email": self.email(first, last, f"{slug(employer.name)}.example" if pro
                                else _table(rng, MAIL_PROVIDERS)),
            "phone": self.phone() if rng.random() < 0.9 else None,
            "employer": employer.name, "job_title": trade.label, "sector": employer.sector,
            "trade_code": trade.code, "trade": trade.label,
            "skills": self.skills(groups), "languages": self.languages(0.55),
            "availability": self.slots["mentor"].sample(rng, rng.randint(1, 3)),
            "commune": commune.name, "postal_code": commune.postal_code,
            "mobility_km": rng.choice((5, 10, 10, 15, 15, 20, 30, 40)),
            "capacity": _table(rng, ((1, 55), (2, 30), (3, 9), (4, 3), (0, 3))),
            "active": rng.random() < 0.93,
            # attached to the CCI (the hub's home) or the Mission locale de Marseille (see STRUCTURES)
            "structure_id": _table(rng, ((structure_ids[4], 60), (structure_ids[0], 15), (None, 25))),
            **self.consent(0.95, self.days_ago(30, 900)),
            "notes": rng.choice(MENTOR_NOTES) if rng.random() < 0.15 else None,
            **self.mentor_matching(creation="*creation" in (g for g, _, _ in groups)),
        }
        return record

    def mentor_matching(self, creation: bool) -> dict[str, Any]:
        rng = self.matching_rng
        projects = ["job_search"] if rng.random() < 0.8 else []
        if creation or rng.random() < 0.1:
            projects.append("business_creation")
        if rng.random() < 0.6 or not projects:
            projects.append("orientation")
        modes = [m for m, share in (("in_person", 0.9), ("video", 0.5), ("phone", 0.4)) if rng.random() < share]
        return {"project_types": projects, "meeting_modes": modes or ["in_person"]}

    def mentee_matching(self, project: str, languages: list[str]) -> dict[str, Any]:
        rng = self.matching_rng
        groups = [("*mentor", 1, 3)] + ([("*creation", 1, 2)] if project == "business_creation" else [])
        needs: list[str] = []
        for group, low, high in groups:
            pool = self.ref.skills.get(group, ())
            needs.extend(rng.sample(pool, min(len(pool), rng.randint(low, high))))
        modes = [m for m, share in (("in_person", 0.85), ("video", 0.3), ("phone", 0.25)) if rng.random() < share]
        employer = self.employers.pick(rng).name if project == "job_search" and rng.random() < 0.2 else None
        return {
            "needs": needs, "meeting_modes": modes or ["in_person"],
            "required_language": languages[-1] if len(languages) > 1 and rng.random() < 0.15 else None,
            "employer": employer,
            "excluded_employers": [self.employers.pick(rng).name] if rng.random() < 0.03 else [],
        }

    def mentee(self, structures: list[tuple[str, str, Commune]], counsellors: dict[str, list[str]]
               ) -> dict[str, Any]:
        rng = self.rng
        project = _table(rng, PROJECTS)
        commune = self.communes.pick(rng)
        structure_type = _table(rng, STRUCTURE_TYPE_BY_PROJECT[project])
        sid = min((s for s in structures if s[1] == structure_type),
                  key=lambda s: distance_km(commune, s[2]))[0]
        if structure_type == "mission_locale":
            age = _table(rng, ((16, 3), (17, 6), (18, 12), (19, 14), (20, 14), (21, 13), (22, 12),
                               (23, 10), (24, 9), (25, 7)))
        else:
            age = rng.randint(19, 58) if rng.random() < 0.5 else rng.randint(26, 45)
        birth = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
        first, last = self.person("jeune" if age < 31 else "adulte")
        trade = self.mentee_trades.pick(rng)
        no_trade = project == "orientation" and rng.random() < 0.3
        text = rng.choice(PROJECT_TEXT[project][1:] if no_trade else PROJECT_TEXT[project])
        mode = _table(rng, (("public_transport", 55), ("walk", 12), ("bike", 8), ("car", 10 if age < 22 else 35)))
        groups = [(trade.domain, 0, 2), ("*mentore", 1, 2)]
        if project == "business_creation":
            groups.append(("*creation", 0, 1))
        since = self.days_ago(0, 400)
        record = {
            "first_name": first, "last_name": last,
            "email": self.email(first, last, _table(rng, MAIL_PROVIDERS)) if rng.random() < 0.85 else None,
            "phone": self.phone() if rng.random() < 0.92 else None,
            "birth_date": birth.isoformat(), "project_type": project,
            "project": text.format(trade=trade.label, code=trade.code, commune=commune.name,
                                   family=trade.family_label),
            "sector": None if no_trade else trade.domain_label,
            "trade_code": None if no_trade else trade.code, "trade": None if no_trade else trade.label,
            "skills": self.skills(groups), "languages": self.languages(0.35),
            "availability": self.slots["mentee"].sample(rng, rng.randint(2, 4)),
            "commune": commune.name, "postal_code": commune.postal_code,
            "mobility_mode": mode, "mobility_km": rng.randint(*MOBILITY[mode]),
            "structure_id": sid, "counsellor_id": rng.choice(counsellors[sid]),
            "status": "waiting", "waiting_since": since.isoformat(),
            **self.consent(0.9, since),
            "notes": rng.choice(MENTEE_NOTES) if rng.random() < 0.2 else None,
        }
        record.update(self.mentee_matching(project, record["languages"]))
        return record

    def plan_tandems(self, mentors: list[dict[str, Any]], mentees: list[dict[str, Any]]
                     ) -> list[tuple[int, int, dict[str, Any]]]:
        """(mentor index, mentee index, tandem fields); adjusts the mentees' status and waiting dates."""
        rng = self.rng
        free: dict[str, list[int]] = {}
        capacity = []
        for i, m in enumerate(mentors):
            capacity.append(m["capacity"] if m["active"] and m.get("consent_given") else 0)
            if capacity[i]:
                free.setdefault(m["trade_code"][0], []).append(i)
        total = sum(capacity)
        candidates = [i for i, m in enumerate(mentees) if m.get("consent_given")]
        rng.shuffle(candidates)
        n_live = min(int(total * 0.8), len(candidates) * 3 // 10)
        n_ended = min(len(mentors) // 2, (len(candidates) - n_live) // 10)
        plans = []
        for k, mentee_index in enumerate(candidates[: n_live + n_ended]):
            mentee = mentees[mentee_index]
            live = k < n_live
            if live:
                domain = (mentee.get("trade_code") or "?")[0]
                pool = free.get(domain) if domain in free and rng.random() < 0.8 else None
                pool = pool or rng.choice([p for p in free.values() if p])
                mentor_index = rng.choice(pool)
                capacity[mentor_index] -= 1
                if not capacity[mentor_index]:
                    pool.remove(mentor_index)
            else:
                mentor_index = rng.randrange(len(mentors))
            fields = self.tandem_dates(live, mentee["project_type"])
            mentee["status"] = "in_tandem" if live else "exited"
            proposed = date.fromisoformat(fields["proposed_on"])
            mentee["waiting_since"] = (proposed - timedelta(days=rng.randint(5, 120))).isoformat()
            if mentee.get("consent_date"):
                mentee["consent_date"] = mentee["waiting_since"]
            plans.append((mentor_index, mentee_index, fields))
        return plans

    def tandem_dates(self, live: bool, project: str) -> dict[str, Any]:
        rng = self.rng
        fields: dict[str, Any] = {"objectives": OBJECTIVES[project],
                                  "duration_months": _table(rng, ((6, 70), (3, 10), (9, 10), (12, 10)))}
        if live:
            status = _table(rng, LIVE_STATUSES)
            last = self.days_ago(0, 150)
        else:
            status = "ended"
            fields["outcome"] = _table(rng, OUTCOMES[project])
            last = self.days_ago(0, 365)
        steps = ["proposed", "accepted", "charter_signed", "active", "ended"]
        reached = steps[: steps.index(status) + 1]
        gaps = {"ended": (14, 60) if fields.get("outcome") == "stopped_early" else (60, 240),
                "active": (0, 10), "charter_signed": (3, 20), "accepted": (2, 14)}
        day = last
        for step in reversed(reached):
            fields[{"proposed": "proposed_on", "accepted": "accepted_on", "charter_signed": "charter_signed_on",
                    "active": "started_on", "ended": "ended_on"}[step]] = day.isoformat()
            if step in gaps:
                day -= timedelta(days=rng.randint(*gaps[step]))
        fields["status"] = status
        return fields

    def meetings(self, tandem: dict[str, Any], project: str) -> list[dict[str, Any]]:
        rng = self.rng
        if tandem["status"] == "charter_signed":
            start = end = date.fromisoformat(tandem["charter_signed_on"])
            count = 1
        elif tandem["status"] in ("active", "ended"):
            start = date.fromisoformat(tandem["started_on"])
            end = date.fromisoformat(tandem.get("ended_on") or self.today.isoformat())
            count = max(1, min(10, (end - start).days // 21 + rng.randint(-1, 1)))
        else:
            return []
        span = max(0, (end - start).days)
        days = sorted(rng.randint(0, span) for _ in range(count))
        rows = []
        for n, offset in enumerate(days):
            summary = ("Première rencontre\u00a0: présentation des parcours et des attentes de chacun."
                       if n == 0 else rng.choice(MEETING_SUMMARIES[project]))
            rows.append({"date": (start + timedelta(days=offset)).isoformat(),
                         "mode": _table(rng, (("in_person", 60), ("video", 22), ("phone", 18))),
                         "duration_min": rng.choice((30, 45, 60, 60, 90, 120)), "summary": summary,
                         "next_steps": rng.choice(NEXT_STEPS) if rng.random() < 0.7 else None})
        return rows


def _existing(store: Store, kind: str, filters: dict[str, str]) -> list[str]:
    return [r["id"] for r in store.find(kind, ListQuery(filters=filters), 0, 1000)]


def generate_demo(
    store: Store,
    *,
    mentors: int,
    mentees: int,
    seed: int = 1,
    today: date | None = None,
    reference: Reference | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Add a demo data set to the store in one transaction; same seed and day → same records."""
    if mentors < 0 or mentees < 0:
        raise ValueError("Les nombres de mentors et de mentorés doivent être positifs.")
    if store.remote.state().get("device_id"):
        raise DomainError(ENROLLED_REFUSED)
    started = time.perf_counter()
    gen = _Generator(reference or load_reference(), seed, today or store.today())
    report = progress or (lambda _message: None)
    summary = DemoSummary()
    with store.transaction():
        mark_demo(store)  # fake records: this profile may never be enrolled with a hub
        # A second run reuses the structures (and their counsellors) already in the profile; the rows
        # are generated all the same, so the random sequence and the people do not depend on it.
        structure_rows = gen.structures()
        existing = [_existing(store, "structure", {"name": row["name"]}) for row in structure_rows]
        missing = [row for row, ids in zip(structure_rows, existing, strict=True) if not ids]
        created = iter(store.create_many("structure", missing) if missing else [])
        structure_ids = [ids[0] if ids else next(created) for ids in existing]
        counsellor_rows = gen.counsellors(structure_ids)
        by_structure: dict[str, list[str]] = {}
        for sid in structure_ids:
            if found := _existing(store, "counsellor", {"structure_id": sid}):
                by_structure[sid] = found
        new_counsellors = [row for row in counsellor_rows if row["structure_id"] not in by_structure]
        counsellor_ids = store.create_many("counsellor", new_counsellors) if new_counsellors else []
        for cid, row in zip(counsellor_ids, new_counsellors, strict=True):
            by_structure.setdefault(row["structure_id"], []).append(cid)
        places = [(sid, row["type"], gen.by_postal[(row["commune"], row["postal_code"])])
                  for sid, row in zip(structure_ids, structure_rows, strict=True)]
        mentor_rows = [gen.mentor(structure_ids) for _ in range(mentors)]
        mentee_rows = [gen.mentee(places, by_structure) for _ in range(mentees)]
        plans = gen.plan_tandems(mentor_rows, mentee_rows) if mentors and mentees else []
        report(f"{len(mentor_rows)} mentors…")
        mentor_ids = store.create_many("mentor", mentor_rows) if mentor_rows else []
        mentee_ids: list[str] = []
        for start in range(0, len(mentee_rows), 5000):
            mentee_ids += store.create_many("mentee", mentee_rows[start : start + 5000])
            report(f"{len(mentee_ids)} mentorés…")
        tandem_rows = []
        for mentor_index, mentee_index, fields in plans:
            mentee = mentee_rows[mentee_index]
            tandem_rows.append({"mentor_id": mentor_ids[mentor_index], "mentee_id": mentee_ids[mentee_index],
                                "structure_id": mentee["structure_id"], "counsellor_id": mentee["counsellor_id"],
                                **fields})
        tandem_ids = store.create_many("tandem", tandem_rows) if tandem_rows else []
        meeting_rows = []
        for tid, row, (_, mentee_index, _) in zip(tandem_ids, tandem_rows, plans, strict=True):
            for meeting in gen.meetings(row, mentee_rows[mentee_index]["project_type"]):
                meeting_rows.append({"tandem_id": tid, **meeting})
        if meeting_rows:
            store.create_many("meeting", meeting_rows)
    summary.structures, summary.counsellors = len(missing), len(counsellor_ids)
    summary.mentors, summary.mentees = len(mentor_ids), len(mentee_ids)
    summary.tandems, summary.meetings = len(tandem_ids), len(meeting_rows)
    summary.seconds = time.perf_counter() - started
    return summary
