"""Search text: what goes into the full-text index, and how typed text becomes an FTS5 query."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from ..domain.fields import KindSpec
from ..texts.french import collation_key as fold

# The SQL function every connection of the store knows (see engine.make_engine): lists sorted by a
# column use it, so « Éguilles » sorts among the E, not after « Ventabren ».
SQL_FOLD = "french_key"


def natural_fields(spec: KindSpec) -> tuple[str, ...]:
    """The fields of a kind's natural order: people by name, meetings by date, tandems by proposal…"""
    return _SORT_FIELDS.get(spec.name) or spec.title_fields


def sort_key(spec: KindSpec, record: dict[str, Any]) -> str:
    """French key of the natural order (case, accents, ligatures folded): people by name, meetings by date…"""
    return sort_keys(spec, [record])[0]


def sort_keys(spec: KindSpec, records: Sequence[Mapping[str, Any]]) -> list[str]:
    """sort_key() of each record: its non-empty parts folded and joined by a space, each distinct part
    folded once (bulk inserts write tens of thousands)."""
    folded: dict[Any, str] = {}
    columns = []
    for name in natural_fields(spec):
        column = []
        for record in records:
            part = record.get(name)
            if not part:
                key = None
            elif type(part) is not str:  # a hub's number or list where a name should be
                key = fold(str(part))
            elif (key := folded.get(part)) is None:
                key = folded[part] = fold(part)
            column.append(key)
        columns.append(column)
    if not columns:
        return [""] * len(records)
    if len(columns) == 1:
        return ["" if key is None else key for key in columns[0]]
    return [" ".join([key for key in keys if key is not None]) for keys in zip(*columns, strict=True)]


_SORT_FIELDS = {"mentor": ("last_name", "first_name"), "mentee": ("last_name", "first_name"),
                "counsellor": ("last_name", "first_name"), "meeting": ("date",), "tandem": ("proposed_on",)}


KEY_TIE = "\x01"  # below every character a stored text may hold (validation refuses C0 controls)


def column_key(value: Any) -> str | None:
    """The stored sort key of a list column: its French key, then, for values that fold to the same
    key (« Éguilles », « eguilles »), the one already folded first and the others by the value
    itself. One string, so an index on it gives the order without calling Python per row."""
    if value is None:
        return None
    return _text_key(value if type(value) is str else str(value))


@lru_cache(maxsize=16384)  # communes, trades and first names repeat across thousands of rows
def _text_key(text: str) -> str:
    key = fold(text)
    return key if key == text else f"{key}{KEY_TIE}{text}"


def title_label(spec: KindSpec, record: Mapping[str, Any]) -> str:
    """What a list shows for a reference to `record`: its title fields, space-separated (as the list's
    SQL label always read: a missing part leaves its space)."""
    return " ".join("" if (v := record.get(name)) is None else str(v) for name in spec.title_fields)


def search_body_sql(spec: KindSpec) -> str:
    """SQL for the indexed text of a row: its searchable columns. Lists are stored as JSON arrays; the
    tokenizer drops the brackets and quotes, so their items are indexed word by word too."""
    return "concat_ws(' ', " + ", ".join(spec.searchable) + ")"


def search_words(text: str) -> list[str]:
    """The words a search looks for, folded as the index holds them."""
    return re.findall(r"\w+", fold(text))


def fts_query(text: str) -> str | None:
    """Every typed word must match the start of a word of the record, accents and case ignored."""
    words = search_words(text)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)
