"""The retention rules at the hub (domain/retention.py): set by the administrator on the hub's
machine (`tandem-hub retention set`), served to every device (GET /v1/rules), which keeps them and
applies them in its review of who is due."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ..domain.retention import MENTOR, PROGRAMMES, Rule, Rules, parse_rules
from .db import dumps, loads, settings, utcnow, writing
from .errors import AdminError

KEY = "retention"


def current(engine: Engine) -> Rules:
    with engine.connect() as conn:
        raw = conn.execute(select(settings.c.value).where(settings.c.key == KEY)).scalar()
    return parse_rules(loads(raw)) if raw else Rules()


def answer(engine: Engine) -> dict[str, Any]:
    """The body of GET /v1/rules."""
    return {"retention": current(engine).as_dict()}


def set_rule(engine: Engine, programme: str, years: int | None = None, honorability: bool | None = None,
             honorability_months: int | None = None) -> Rules:
    """Change one programme's rule (or the mentors', `programme` = "mentor"); AdminError in French."""
    rules = current(engine)
    data = rules.as_dict()
    if programme == MENTOR:
        if honorability is not None:
            raise AdminError("L’attestation d’honorabilité se règle par programme (--programme orientation…).")
        if years is not None:
            data["mentor"] = {"years": years}
    elif programme in PROGRAMMES:
        old = rules.programme(programme)
        data["programmes"][programme] = {"years": old.years if years is None else years,
                                         "honorability": old.honorability if honorability is None else honorability}
    else:
        known = ", ".join([*PROGRAMMES, MENTOR])
        raise AdminError(f"Programme inconnu\u00a0: « {programme[:40]} ». Possibles\u00a0: {known}.")
    if honorability_months is not None:
        data["honorability_months"] = honorability_months
    try:
        new = parse_rules(data)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    with writing(engine) as (conn, _seq):
        conn.execute(settings.delete().where(settings.c.key == KEY))
        conn.execute(settings.insert(), {"key": KEY, "value": dumps(new.as_dict()), "updated_at": utcnow()})
    return new


def rows(rules: Rules) -> list[dict[str, Any]]:
    """For `tandem-hub retention show`: one line per programme and one for mentors."""
    lines = [{"programme": code, "label": PROGRAMMES[code], "years": r.years,
              "honorability": "exigée" if r.honorability else "non"} for code, r in sorted(rules.programmes.items())]
    mentor: Rule = rules.mentor
    lines.append({"programme": MENTOR, "label": "Mentors", "years": mentor.years, "honorability": "—"})
    return lines
