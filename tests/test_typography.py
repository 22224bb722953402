"""French in the interface uses the typographic apostrophe: « l’appareil », never « l'appareil ».

Every string literal of the package and every text of the Designer forms is scanned for a French
elision written with a straight apostrophe. Made-up demo content and word lists are left as they are.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELISION = re.compile(r"(?<![A-Za-zÀ-ÿ])(?:[dlnjmstcDLNJMSTC]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu|[Aa]ujourd|"
                     r"[Pp]resqu|[Qq]uelqu)'(?=[A-Za-zÀ-ÿ{])")
# Word lists matched against what people type, and invented demo records: not interface text.
LEFT_AS_TYPED = {"services/demo_data.py", "services/demo.py", "store/strength.py", "reference.py"}


def _literals(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.STRING]


def test_no_straight_apostrophe_in_french_strings() -> None:
    package = ROOT / "tandem_desktop"
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() in LEFT_AS_TYPED:
            continue
        for line, literal in _literals(path):
            if not literal.lstrip("rRbBuUfF").startswith("'") and ELISION.search(literal):
                found.append(f"{path.relative_to(ROOT)}:{line}: {ELISION.search(literal).group(0)}")
    for path in sorted((ROOT / "ui").glob("*.ui")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ELISION.search(text):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_the_scan_finds_a_straight_apostrophe() -> None:
    assert ELISION.search("Impossible d'ouvrir l'appareil") and not ELISION.search("Impossible d’ouvrir")
    assert not ELISION.search("don't stop") and not ELISION.search("the hub's clock")
    assert ELISION.search("f\"d'{name}\"")  # an f-string placeholder right after the elision
