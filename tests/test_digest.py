"""The summary digest is fed to the hash a slice at a time and must equal the one-shot digest."""

from __future__ import annotations

import hashlib

import pytest

from tandem_desktop.domain.digest import SLICE, digest_line, digest_of


@pytest.mark.parametrize("count", [0, 1, SLICE - 1, SLICE, SLICE + 1, 3 * SLICE + 7])
def test_digest_of_equals_the_digest_of_the_joined_lines(count: int) -> None:
    lines = sorted(f"id-{i:05d}|name=2026-12-01T10:00:00.000Z-{i}|é=«\u00a0x\u00a0»" for i in range(count))
    assert digest_of(lines) == hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_digest_line_names_fields_in_order() -> None:
    assert digest_line("r1", {"zeta": "v2", "alpha": "v1"}) == "r1|alpha=v1|zeta=v2"
    assert digest_line("r1", {}) == "r1"
