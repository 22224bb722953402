"""The consent texts a counsellor reads to or with a person: resources/consent/<version>.txt.

A version is the file's name (« 2026-01 »); the newest, in reading order, is the one shown now and the
one a new consent records (domain/consent.CURRENT_TEXT_VERSION names it; a test holds them equal).
A record keeps the version that was read, so an older text stays here for as long as records cite it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..domain.consent import CURRENT_TEXT_VERSION
from ..paths import resources_dir

_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,19}")  # fits FieldSpec consent_text_version


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: str


def consent_dir() -> Path:
    return resources_dir() / "consent"


def _order(version: str) -> tuple[tuple[int, int | str], ...]:
    """« 2026-10 » after « 2026-9 »: numbers compare as numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|[^\d._-]+", version))


def versions(directory: Path | None = None) -> list[str]:
    """Every version shipped, oldest first."""
    root = directory or consent_dir()
    found = [p.stem for p in root.glob("*.txt") if _VERSION.fullmatch(p.stem)]
    return sorted(found, key=_order)


def current_version(directory: Path | None = None) -> str:
    """The newest version shipped (the domain's constant when the folder is missing or empty)."""
    return (versions(directory) or [CURRENT_TEXT_VERSION])[-1]


def load(version: str | None = None, directory: Path | None = None) -> ConsentText:
    """The text of `version` (default: the current one); FileNotFoundError in French if absent."""
    root = directory or consent_dir()
    wanted = version or current_version(root)
    if wanted not in versions(root):
        known = ", ".join(versions(root)) or "aucune"
        raise FileNotFoundError(f"Texte de consentement introuvable\u00a0: «\u00a0{wanted}\u00a0» "
                                f"(versions disponibles\u00a0: {known}).")
    return ConsentText(wanted, (root / f"{wanted}.txt").read_text(encoding="utf-8"))
