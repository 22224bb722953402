"""The summary digest that a device and the hub compare (PROTOCOL.md, summary): one rule, both sides.

A line per live record, `id|field=version|…` with fields in name order; the digest is the SHA-256 of
the sorted lines joined by newlines. It is fed to the hash a slice at a time: joining and encoding
25,000 lines of 1–2 KB at once is 50 MB built in two C calls that hold the interpreter lock for
about 60 ms, long enough to freeze the window while a sync checks its work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

SLICE = 256  # lines hashed per step


def digest_line(record_id: str, versions: Mapping[str, str]) -> str:
    return record_id + "".join(f"|{name}={versions[name]}" for name in sorted(versions))


def digest_of(sorted_lines: Sequence[str]) -> str:
    """sha256("\\n".join(sorted_lines)), without building the joined text."""
    digest = hashlib.sha256()
    for start in range(0, len(sorted_lines), SLICE):
        if start:
            digest.update(b"\n")
        digest.update("\n".join(sorted_lines[start:start + SLICE]).encode())
    return digest.hexdigest()


def line_hash(line: str) -> str:
    """One record's summary line as a SHA-256 hex digest (protocol 5 compares these)."""
    return hashlib.sha256(line.encode()).hexdigest()


def hashed_digest(hashes: list[str]) -> str:
    """Protocol 5's digest of a kind: SHA-256 of the sorted line hashes joined by newlines. Like the
    older digest it changes with any record's versions, but the hub keeps each record's line hash,
    so it never builds 100,000 lines to answer (the order is the hashes', not the records')."""
    hashes.sort()
    return digest_of(hashes)
