"""Search text: what goes into the full-text index, and how typed text becomes an FTS5 query."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from ..domain.fields import KindSpec


@lru_cache(maxsize=8192)  # names repeat a lot across thousands of records
def fold(text: str) -> str:
    """Lower case without accents: 'Hélène' -> 'helene'. Used for sort keys."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sort_key(spec: KindSpec, record: dict[str, Any]) -> str:
    if spec.name in ("mentor", "mentee", "counsellor"):
        parts = [record.get("last_name"), record.get("first_name")]
    elif spec.name == "meeting":
        parts = [record.get("date")]
    elif spec.name == "tandem":
        parts = [record.get("proposed_on")]
    else:
        parts = [record.get(name) for name in spec.title_fields]
    return fold(" ".join(str(p) for p in parts if p))


def search_body(spec: KindSpec, record: dict[str, Any]) -> str:
    parts: list[str] = []
    for name in spec.searchable:
        value = record.get(name)
        if isinstance(value, list):
            parts.extend(value)
        elif value:
            parts.append(str(value))
    return " ".join(parts)


def fts_query(text: str) -> str | None:
    """Every typed word must match the start of a word of the record, accents and case ignored."""
    words = re.findall(r"\w+", fold(text))
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)
