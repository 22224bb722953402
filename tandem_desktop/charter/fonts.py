"""The charter's fonts: DejaVu Sans shipped in resources/fonts/ and embedded (subset) in every PDF.

The 14 standard PDF fonts only cover Latin-1 as ReportLab encodes them (no œ, no U+202F) and a viewer
may substitute them; a TrueType font carried inside the file prints the same everywhere.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..paths import resources_dir

FAMILY = "TandemSans"
REGULAR = "TandemSans"
BOLD = "TandemSans-Bold"
ITALIC = "TandemSans-Oblique"
BOLD_ITALIC = "TandemSans-BoldOblique"

_FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}
# Characters a French charter cannot do without; checked by the tests and by `missing_glyphs`.
FRENCH_CHARACTERS = "éèêëàâäçîïôöùûüÿœŒæÆÉÈÊÀÇÔ«»\u202f\u00a0’‘“”—–…·°€"

_lock = threading.Lock()
_registered = False


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


def register_fonts() -> str:
    """Register the family with ReportLab once per process (parsing a TTF costs milliseconds); return its name."""
    global _registered
    if _registered:
        return FAMILY
    with _lock:
        if not _registered:
            folder = fonts_dir()
            for name, filename in _FILES.items():
                pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
            # Binary streams instead of ASCII85: a quarter smaller and faster; ReportLab draws nothing
            # else in this application, so the process-wide switch is ours to set.
            rl_config.useA85 = 0
            pdfmetrics.registerFontFamily(FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC)
            # <b>/<i> inside Paragraph markup resolve through these mappings.
            for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD_ITALIC)):
                addMapping(FAMILY, bold, italic, name)
            _registered = True
    return FAMILY


def missing_glyphs(text: str, font_name: str = REGULAR) -> set[str]:
    """Characters of `text` the font cannot draw (they would print as empty boxes)."""
    register_fonts()
    widths = pdfmetrics.getFont(font_name).face.charWidths
    return {char for char in set(text) if char not in "\n\t" and ord(char) not in widths}
