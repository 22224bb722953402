"""Many new records cleaned at once (imports, the demo): clean() of each, done column by column.

clean() costs some microseconds a record, most of it in calls: 25,000 mentees spent more time there
than SQLite spent storing them. Here each column is parsed once per distinct value, the place rule is
asked once per distinct commune and postal code, and the required fields and the size bound are
checked for a whole column; the rules between fields of one record (consent date, birth date, tandem
steps) are clean()'s own, record by record. As soon as something is refused, or the batch has a shape
this path does not handle, the whole batch goes through clean() record by record, so a refusal reads
exactly as it always did: the first bad record's errors, named by line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from .errors import ValidationError
from .fields import FieldSpec, FieldType, KindSpec
from .records import MAX_RECORD_BYTES, PlaceRule, check_rules, clean, oversize, rough_chars

_MAX_SHAPES = 16  # batches whose records name their fields in more ways than this go record by record


class _Unsure(Exception):
    """The column path cannot vouch for this batch: clean(), record by record, decides."""


def clean_many(
    spec: KindSpec, raws: Iterable[dict[str, Any]], *, today: date, places: PlaceRule | None = None
) -> list[dict[str, Any]]:
    """clean() of each new record of `raws`, in order, equal key for key and in the same key order.

    Raises ValidationError for the first refused record, its fields named « ligne N — champ » (the
    first record's, and a lone record's, by the field alone). Lists in the result may be shared by
    several records: the store reads them, never changes them."""
    batch = raws if isinstance(raws, list) else list(raws)
    if len(batch) > 1:
        try:
            return _by_columns(spec, batch, today, places)
        except _Unsure:
            pass
    return [_one(spec, raw, index, today, places) for index, raw in enumerate(batch)]


def _one(spec: KindSpec, raw: dict[str, Any], index: int, today: date, places: PlaceRule | None) -> dict[str, Any]:
    try:
        return clean(spec, raw, today=today, places=places)
    except ValidationError as exc:
        if index == 0:
            raise
        raise ValidationError({f"ligne {index + 1} — {k}": m for k, m in exc.errors.items()}) from exc


def _by_columns(spec: KindSpec, batch: list[dict[str, Any]], today: date,
                places: PlaceRule | None) -> list[dict[str, Any]]:
    if any(type(raw) is not dict for raw in batch):
        raise _Unsure
    shapes = list(map(tuple, batch))  # the field names of each record, in its own order
    if shapes.count(shapes[0]) == len(shapes):
        return _shape(spec, shapes[0], batch, today, places)
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, shape in enumerate(shapes):
        groups.setdefault(shape, []).append(index)
    if len(groups) > _MAX_SHAPES:
        raise _Unsure
    result: list[dict[str, Any]] = [{}] * len(batch)
    for shape, indices in groups.items():
        for index, record in zip(indices, _shape(spec, shape, [batch[i] for i in indices], today, places),
                                 strict=True):
            result[index] = record
    return result


def _shape(spec: KindSpec, shape: tuple[str, ...], raws: list[dict[str, Any]], today: date,
           places: PlaceRule | None) -> list[dict[str, Any]]:
    """Records that all name the same fields in the same order."""
    by_name = spec.by_name
    if any(name not in by_name for name in shape):
        raise _Unsure  # an unknown field: clean() words the refusal
    count = len(raws)
    defaults = spec.defaults(today)
    # clean() starts from the defaults and sets each given field in turn: defaults keep their place,
    # the other fields follow in the record's order, and empty values (given or parsed) drop out.
    order = [*defaults, *(name for name in shape if name not in defaults)]
    columns: dict[str, Sequence[Any]] = {}
    distinct: dict[str, Iterable[Any]] = {}
    if len(shape) > 1:
        given = zip(*map(itemgetter(*shape), raws), strict=True)
    else:
        given = iter([[raw[name] for raw in raws] for name in shape])
    for name, column in zip(shape, given, strict=True):
        columns[name], distinct[name] = _parse_column(by_name[name], column)
    for name, value in defaults.items():
        if name not in columns:
            columns[name], distinct[name] = [value] * count, (value,)
    if places is not None and spec.commune_field:
        _check_places(spec.commune_field, places, columns, distinct, count)
    for name in spec.required:
        column = columns.get(name)
        if column is None or None in column or "" in column or [] in column:
            raise _Unsure
    widest = 32 * len(order) + sum(max(map(rough_chars, distinct[name]), default=0) for name in order)
    table = [columns[name] for name in order]
    records = [{name: value for name, value in zip(order, values, strict=True) if value is not None}
               for values in zip(*table, strict=True)]
    if widest * 6 > MAX_RECORD_BYTES and any(oversize(record) for record in records):
        raise _Unsure
    errors: dict[str, str] = {}
    for record in records:
        check_rules(spec, None, record, record, today, errors)
        if errors:
            raise _Unsure
    return records


def _parse_column(field: FieldSpec, column: Sequence[Any]) -> tuple[Sequence[Any], Iterable[Any]]:
    """The parsed values of one column and its distinct parsed values, each distinct input parsed
    once. Inputs of one type only share a parse (True, 1 and 1.0 are equal keys, not equal inputs)."""
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if not kinds:
        return column, ()
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind in (list, tuple) and field.type is FieldType.LIST:
        keys = list(map(tuple, column)) if None not in column else [v if v is None else tuple(v) for v in column]
        try:
            inputs = dict(zip(keys, column, strict=True))
        except TypeError:  # an unhashable item: one by one
            inputs = {}
        present = [value for key, value in inputs.items() if key is not None]
        # Tuples of texts are equal only for equal lists; anything else goes one by one.
        lists = field.parse_clean_lists(present) if inputs else None
        if lists is not None:
            memo: dict[Any, Any] = {key: parsed for key, parsed in zip(
                (key for key in inputs if key is not None), lists, strict=True)}
            memo[None] = None
            return list(map(memo.__getitem__, keys)), memo.values()
    elif kind is not None and kind not in (list, tuple):
        try:
            inputs = dict.fromkeys(column)
        except TypeError:  # unhashable values (a dict…): one by one
            inputs = {}
        if inputs:
            parse = field.parse
            memo = {value: _parsed(parse, value) for value in inputs}
            return list(map(memo.__getitem__, column)), memo.values()
    parsed = [_parsed(field.parse, value) for value in column]
    return parsed, parsed


def _parsed(parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except Exception as exc:  # refused (or worse): clean() says it, record by record
        raise _Unsure from exc


def _check_places(name: str, places: PlaceRule, columns: dict[str, Sequence[Any]],
                  distinct: dict[str, Iterable[Any]], count: int) -> None:
    """clean()'s place rule, asked once per distinct (commune, postal code): any refusal goes back to
    clean(); a commune spelt otherwise than the reference takes the reference's spelling."""
    communes = columns.get(name) or [None] * count
    codes = columns.get("postal_code") or [None] * count
    pairs = list(zip(communes, codes, strict=True))
    spelt: dict[tuple[Any, Any], str] = {}
    for pair in dict.fromkeys(pairs):
        if pair == (None, None):
            continue
        fixed, problems = places(*pair)
        if problems:
            raise _Unsure
        if pair[0] is not None and name in fixed:
            spelt[pair] = fixed[name]
    if spelt:
        columns[name] = [spelt.get(pair, commune) for pair, commune in zip(pairs, communes, strict=True)]
        distinct[name] = set(columns[name])
