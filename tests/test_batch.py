"""A batch cleaned column by column (domain/batch.py) reads exactly as clean() record by record:
the same values in the same key order, or the same refusal named by line."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_desktop.domain import batch
from tandem_desktop.domain.errors import ValidationError
from tandem_desktop.domain.fields import FieldSpec, FieldType, KindSpec
from tandem_desktop.domain.ids import Uuid7Factory, is_record_id
from tandem_desktop.domain.kinds import KINDS, MENTEE
from tandem_desktop.domain.records import clean
from tandem_desktop.domain.validation import MSG_EMAIL
from tandem_desktop.reference import check_place, load_reference

TODAY = date(2026, 11, 26)
REFERENCE = load_reference()


def places(commune: str | None, postal_code: str | None) -> tuple[dict[str, str], dict[str, str]]:
    return check_place(REFERENCE, commune, postal_code)


def one_by_one(spec: KindSpec, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Store.create_many did before the column path: clean() each, the refusal named by line."""
    records = []
    for index, raw in enumerate(raws):
        try:
            records.append(clean(spec, raw, today=TODAY, places=places))
        except ValidationError as exc:
            if index == 0:
                raise
            raise ValidationError({f"ligne {index + 1} — {k}": m for k, m in exc.errors.items()}) from exc
    return records


def outcome(cleaner: Any, spec: KindSpec, raws: list[dict[str, Any]]) -> Any:
    """The records as (field, type, value) in key order, or the refusal's errors."""
    try:
        records = cleaner(spec, raws)
    except ValidationError as exc:
        return "refused", exc.errors
    return "cleaned", [[(k, type(v).__name__, v) for k, v in record.items()] for record in records]


def by_columns(spec: KindSpec, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return batch.clean_many(spec, raws, today=TODAY, places=places)


def _demo_mentees(count: int) -> list[dict[str, Any]]:
    from tandem_desktop.services.demo import _Generator

    gen = _Generator(REFERENCE, 3, TODAY)
    structures = gen.structures()
    structure_ids = [f"0190a0c0-0000-7000-8000-{i:012d}" for i in range(len(structures))]
    by_structure: dict[str, list[str]] = {}
    for i, row in enumerate(gen.counsellors(structure_ids)):
        by_structure.setdefault(row["structure_id"], []).append(f"0190a0c0-0000-7000-9000-{i:012d}")
    where = [(sid, row["type"], gen.by_postal[(row["commune"], row["postal_code"])])
             for sid, row in zip(structure_ids, structures, strict=True)]
    return [gen.mentee(where, by_structure) for _ in range(count)]


def test_the_demo_batch_takes_the_column_path_and_reads_as_clean(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    raws = _demo_mentees(1500)
    expected = outcome(one_by_one, MENTEE, raws)
    calls = []
    monkeypatch.setattr(batch, "clean", lambda *a, **k: calls.append(1) or clean(*a, **k))
    assert outcome(by_columns, MENTEE, raws) == expected
    assert calls == []  # not one record went through clean(): the fast path held
    assert len({tuple(r) for r in by_columns(MENTEE, raws)}) > 1  # several key orders, each kept


def test_a_refusal_names_the_first_bad_line_as_before() -> None:
    rows = [{"first_name": "A", "last_name": "B"}, {"first_name": "C", "last_name": "D"},
            {"first_name": "E", "last_name": "F", "email": "faux"}, {"first_name": "G", "last_name": "", "phone": "1"}]
    with pytest.raises(ValidationError) as info:
        by_columns(MENTEE, rows)
    assert info.value.errors == {"ligne 3 — email": MSG_EMAIL}
    with pytest.raises(ValidationError) as info:
        by_columns(MENTEE, [rows[2], *rows[:2]])
    assert info.value.errors == {"email": MSG_EMAIL}  # the first line: the field alone, as for one record


@pytest.mark.parametrize("bad", [
    {"couleur": "bleu"},  # unknown field
    {"last_name": None},  # required, given empty
    {"commune": "Atlantis"},  # not a reference commune
    {"commune": "Marseille", "postal_code": "13100"},  # Aix's code
    {"birth_date": "2030-01-01"},  # in the future
    {"mobility_km": True},  # a boolean where a number goes, beside numbers
    {"skills": ["cuisine", ["imbriqué"]]},
    {"meeting_modes": ["in_person", "pigeon"]},
    {"notes": "é" * 20_000, "project": "è" * 19_000},  # too big a record
    {"first_name": "Ctl\x1b[31m"},
])
def test_every_refusal_reads_as_clean_one_by_one(bad: dict[str, Any]) -> None:
    base = {"first_name": "Inès", "last_name": "Ben Ali", "mobility_km": 12, "skills": ["vente"],
            "meeting_modes": ["video"]}
    rows = [dict(base), dict(base), {**base, **bad}, dict(base)]
    expected = outcome(one_by_one, MENTEE, rows)
    assert expected[0] == "refused" and all(key.startswith("ligne 3 — ") for key in expected[1])
    assert outcome(by_columns, MENTEE, rows) == expected


# -- any batch: values drawn from accepted and refused inputs per field type ------------------------

_IDS = ["0190a0c0-0000-7000-8000-000000000001", " 0190A0C0-0000-7000-8000-000000000002 ",
        *(f"0190a0c0-0000-7000-8000-00000000000{i}" for i in range(3, 9))]
_ACCEPTED: dict[FieldType, list[Any]] = {
    FieldType.TEXT: ["Hélène", "  Jo   Li ", "a\tb", "A\u00a0B", 12, "", "  "],
    FieldType.LONG_TEXT: ["ligne 1\r\nligne 2", "  note  ", "", 7],
    FieldType.EMAIL: ["a@exemple.fr", "A.B@EXEMPLE.FR", " c@x.fr "],
    FieldType.PHONE: ["06 12 34 56 78", "+33 6 12 34 56 78", "0612345678"],
    FieldType.POSTAL_CODE: ["13100", "13 100"],
    FieldType.DATE: ["2001-06-21", "21/06/2001", "2026-11-26", date(2000, 1, 1)],
    FieldType.INT: [3, "12", " 7 "],
    FieldType.BOOL: [True, False, "oui", "non", 1, 0],
    FieldType.CHOICE: [],
    FieldType.LIST: [["a", "b"], ["a", "a", " b "], "a, b; c", [], ["", "x"], [1, "1"], ("a", "b"), ["\u00a0a"]],
    FieldType.REF: _IDS,
}
_REFUSED: dict[FieldType, list[Any]] = {
    FieldType.TEXT: ["x" * 130, "Ctl\x1b[31m", ["liste"], True],
    FieldType.LONG_TEXT: ["rouge\x1b[31m", "é" * 20_001],
    FieldType.EMAIL: ["faux"],
    FieldType.PHONE: ["0612"],
    FieldType.POSTAL_CODE: ["99999", "1"],
    FieldType.DATE: ["31/02/2001", "hier", "2030-01-01"],
    FieldType.INT: [-1, 1000, True, 1.0, "x"],
    FieldType.BOOL: [2, "peut-être"],
    FieldType.CHOICE: ["inconnu", 3],
    FieldType.LIST: [[True], ["x" * 200], [["imbriqué"]], "\x1b", [f"s{i}" for i in range(210)]],
    FieldType.REF: ["pas-un-id", 5],
}
_COMMUNES = ["Marseille", "AIX EN PROVENCE", "Aix-en-Provence", "  aix en provence "]


def _accepted(field: FieldSpec) -> list[Any]:
    if field.name == "commune":
        pool = [*_COMMUNES, None]
    elif field.name.endswith("_on"):  # a tandem's step dates: in order, mostly
        pool = ["2026-11-26", "26/11/2026", None, None]
    elif field.choices and field.type is FieldType.CHOICE:
        pool = [*(code for code, _ in field.choices), f" {field.choices[0][0]} ", field.choices[0][1], None]
    elif field.choices:
        codes = [code for code, _ in field.choices]
        pool = [codes, codes[:1] * 2, codes[::-1], [], None]
    else:
        pool = [*_ACCEPTED[field.type], None]
    return [value for value in pool if not field.required or value not in (None, "", "  ", [])]


def _refused(field: FieldSpec) -> list[Any]:
    if field.name == "commune":
        return ["Atlantis"]
    return _REFUSED[field.type] + (["pigeon"] if field.choices else [])


@st.composite
def batches(draw: Any) -> tuple[KindSpec, list[dict[str, Any]]]:
    """2 to 6 records of one kind in one or two key orders; accepted values, but for one refused
    value (or unknown field) in one record half the time."""
    spec = draw(st.sampled_from(list(KINDS.values())))
    names = st.lists(st.sampled_from(spec.field_names), unique=True)
    shapes = [draw(names), draw(names)]
    for shape in shapes:  # the required fields most of the time, somewhere in the record
        for name in spec.required:
            if name not in shape and draw(st.integers(0, 9)):
                shape.insert(draw(st.integers(0, len(shape))), name)
    rows = []
    for _ in range(draw(st.integers(2, 6))):
        shape = shapes[draw(st.integers(0, 4)) == 0]
        rows.append({name: draw(st.sampled_from(_accepted(spec.by_name[name]))) for name in shape})
    if draw(st.booleans()):
        row = draw(st.sampled_from(rows))
        name = draw(st.sampled_from([*row, "couleur"]))
        row[name] = draw(st.sampled_from(_refused(spec.by_name[name]) if name in spec.by_name else ["bleu"]))
    return spec, rows


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=batches())
def test_any_batch_reads_as_clean_one_by_one(drawn: tuple[KindSpec, list[dict[str, Any]]]) -> None:
    spec, rows = drawn
    assert outcome(by_columns, spec, rows) == outcome(one_by_one, spec, rows)


def test_lists_shared_by_records_are_written_once_each() -> None:
    rows = [{"first_name": f"P{i}", "last_name": "N", "skills": ["vente", " vente", "cuisine"]} for i in range(4)]
    records = by_columns(MENTEE, rows)
    assert [r["skills"] for r in records] == [["vente", "cuisine"]] * 4
    assert [r["languages"] for r in records] == [["français"]] * 4  # the default


# -- ids in bulk ------------------------------------------------------------------------------------


def test_ids_in_bulk_are_valid_ordered_and_follow_single_ones() -> None:
    now = [1_700_000_000_000]
    factory = Uuid7Factory(now_ms=lambda: now[0])
    ids = [factory.new(), *factory.new_many(10_000), factory.new()]  # past 4,096 in one millisecond
    now[0] += 1
    ids += factory.new_many(3) + factory.new_many(0)
    now[0] -= 5_000  # the clock steps back
    ids += [*factory.new_many(5), factory.new()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(is_record_id(i) for i in ids)  # version 7, RFC 9562 variant
    assert len({i[19:] for i in ids}) == len(ids)  # the random tail differs every time
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    walls = [u.int >> 80 for u in parsed]
    assert walls[0] == 1_700_000_000_000 and walls[-1] == max(walls) <= 1_700_000_000_000 + 4
