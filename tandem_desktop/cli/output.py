"""What the `tandem` command prints: tables, JSON, and streams that never pass a control character.

Stored values may come from another device or an older hub, and a PDF's certificate from anyone:
an escape sequence or a bidirectional override printed raw would drive the counsellor's terminal.
Every line goes through `escape_controls` (the domain's one rule), keeping line breaks and tabs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ..domain.validation import escape_controls


class EscapedStream:
    """A text stream that writes to `target` with control characters made visible (\\u001b…)."""

    def __init__(self, target: TextIO):
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(escape_controls(text, keep="\n\t"))
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno… as the real stream has them
        return getattr(self.target, name)


@contextmanager
def escaped_output() -> Iterator[None]:
    """sys.stdout and sys.stderr escaped for the time of one command (put back afterwards)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapedStream(saved[0]), EscapedStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def print_json(data: Any) -> None:
    print(escape_controls(json.dumps(data, ensure_ascii=False, indent=2), keep="\n"))


def table(rows: list[list[str]]) -> str:
    rows = [[escape_controls(cell) for cell in row] for row in rows]  # a tab would break the columns
    widths = [min(40, max(len(row[i]) for row in rows)) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [(c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
