"""Charter templates: plain-text files under resources/charters/<id>/<version>.txt.

The wording lives in files, not in code, so the hub can change it without a release; each PDF records
the template id and version it was made from. The syntax is described in resources/charters/README.md.
Every mistake is refused at load time with the file and line, so a broken template never reaches a PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..domain.errors import DomainError
from ..paths import resources_dir

DEFAULT_TEMPLATE = "charte-tandem"

_PEOPLE = ("first_name", "last_name", "full_name", "email", "phone")
KNOWN_FIELDS: frozenset[str] = frozenset(
    [f"mentee.{name}" for name in (*_PEOPLE, "commune", "project_type", "project")]
    + [f"mentor.{name}" for name in (*_PEOPLE, "employer", "job_title", "trade", "sector", "commune")]
    + [f"counsellor.{name}" for name in _PEOPLE]
    + [f"structure.{name}" for name in ("name", "type", "commune", "postal_code", "email", "phone")]
    + [f"tandem.{name}" for name in ("objectives", "duration_months", "proposed_on", "accepted_on")]
    + ["charter.date", "charter.place"]
)

# Block kinds, in the order the README presents them.
HEADING, SUBHEADING, PARAGRAPH, BULLET, QUOTE, SIGNATURES, PAGE_BREAK = (
    "heading", "subheading", "paragraph", "bullet", "quote", "signatures", "page_break",
)
_DIRECTIVES = {"[signatures]": SIGNATURES, "[saut de page]": PAGE_BREAK}
_HEADER_KEYS = {"id": "id", "version": "version", "titre": "title", "sous-titre": "subtitle"}
_REQUIRED_HEADER = ("id", "version", "titre")
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_FIELD_NAME = re.compile(r"[a-z_]+\.[a-z_]+")
_VERSION_PART = re.compile(r"\d+|\D+")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


class TemplateError(DomainError):
    """A template that cannot be used; the message names the file and, when known, the line."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = f"Modèle {source}" + (f", ligne {line}" if line else "") if source else ""
        super().__init__(f"{where}\u00a0: {message}" if where else message)


@dataclass(frozen=True)
class Block:
    """One piece of the body. `text` keeps placeholders as `{{field}}` and bold as `**…**`."""

    kind: str
    text: str = ""
    line: int = 0


@dataclass(frozen=True)
class Template:
    id: str
    version: str
    title: str
    blocks: tuple[Block, ...]
    fields: frozenset[str]
    subtitle: str = ""
    path: Path | None = None

    @property
    def label(self) -> str:
        """How the PDF and the footer name it: « charte-tandem 2026.1 »."""
        return f"{self.id} {self.version}"


def templates_dir() -> Path:
    return resources_dir() / "charters"


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions as people read them: 2026.10 comes after 2026.9."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _VERSION_PART.findall(version))


def list_templates(directory: Path | None = None) -> list[tuple[str, str]]:
    """Every (id, version) present, oldest version first within each id."""
    root = directory or templates_dir()
    found = [(path.parent.name, path.stem) for path in root.glob("*/*.txt") if _ID.fullmatch(path.parent.name)]
    return sorted(found, key=lambda item: (item[0], version_key(item[1])))


def load_template(template_id: str = DEFAULT_TEMPLATE, version: str | None = None,
                  directory: Path | None = None) -> Template:
    """The template `template_id` at `version`, or its newest version; checked line by line."""
    root = directory or templates_dir()
    available = list_templates(root)
    versions = [v for i, v in available if i == template_id]
    if version is None and versions:
        version = versions[-1]
    if version is None or version not in versions:
        known = ", ".join(f"{i} {v}" for i, v in available) or "aucun"
        wanted = f"{template_id} {version}" if version else template_id
        raise TemplateError(
            f"Modèle de charte introuvable\u00a0: «\u00a0{wanted}\u00a0» (modèles disponibles\u00a0: {known})."
        )
    path = root / template_id / f"{version}.txt"
    stat = path.stat()
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> Template:
    """Parsed once per file state: an edited file (new mtime or size) is read again."""
    source = f"{path.parent.name}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError("le fichier n’est pas en UTF-8\u00a0; enregistrez-le en UTF-8.", source=source) from None
    template = parse_template(text, source=source, path=path)
    if (template.id, template.version) != (path.parent.name, path.stem):
        raise TemplateError(
            f"l’en-tête annonce «\u00a0{template.id} {template.version}\u00a0» mais le fichier devrait s’appeler "
            f"{template.id}/{template.version}.txt.", source=source,
        )
    return template


def parse_template(text: str, *, source: str = "(texte)", path: Path | None = None) -> Template:
    """Parse a whole template; `source` names it in error messages."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header, body_start = _parse_header(lines, source)
    parser = _BodyParser(source)
    for number in range(body_start, len(lines)):
        parser.feed(lines[number], number + 1)
    blocks = parser.finish()
    signatures = [b for b in blocks if b.kind == SIGNATURES]
    if len(signatures) != 1:
        problem = "il manque la ligne [signatures]" if not signatures else "la ligne [signatures] figure plusieurs fois"
        raise TemplateError(f"{problem} (une seule, là où vont les cadres de signature).",
                            source=source, line=signatures[1].line if signatures else None)
    fields = frozenset(name for block in blocks for name in fields_of(block.text))
    return Template(id=header["id"], version=header["version"], title=header["title"], blocks=tuple(blocks),
                    fields=fields, subtitle=header.get("subtitle", ""), path=path)


def fields_of(text: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


def _parse_header(lines: list[str], source: str) -> tuple[dict[str, str], int]:
    header: dict[str, str] = {}
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line == "---":
            missing = [key for key in _REQUIRED_HEADER if _HEADER_KEYS[key] not in header]
            if missing:
                names = ", ".join(f"«\u00a0{key}:\u00a0»" for key in missing)
                raise TemplateError(f"en-tête incomplet, il manque\u00a0: {names}.", source=source, line=index + 1)
            if not _ID.fullmatch(header["id"]):
                raise TemplateError("l’identifiant ne doit contenir que des minuscules, des chiffres et des tirets.",
                                    source=source, line=1)
            return header, index + 1
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or key not in _HEADER_KEYS:
            raise TemplateError(
                f"ligne d’en-tête inattendue «\u00a0{line}\u00a0»\u00a0; l’en-tête contient «\u00a0id:\u00a0», "
                "«\u00a0version:\u00a0», «\u00a0titre:\u00a0» (et éventuellement «\u00a0sous-titre:\u00a0»), "
                "puis une ligne «\u00a0---\u00a0».", source=source, line=index + 1)
        if not value.strip():
            raise TemplateError(f"«\u00a0{key}:\u00a0» est vide.", source=source, line=index + 1)
        header[_HEADER_KEYS[key]] = french_typography(value.strip()) if key != "id" else value.strip()
    raise TemplateError("la ligne «\u00a0---\u00a0» qui termine l’en-tête est introuvable.", source=source)


class _BodyParser:
    """Line-by-line state machine: a block is open until a blank line or a new marker closes it."""

    def __init__(self, source: str):
        self.source = source
        self.blocks: list[Block] = []
        self.kind: str | None = None
        self.parts: list[str] = []
        self.start = 0

    def feed(self, raw: str, number: int) -> None:
        line = raw.strip()
        if line.startswith("//"):
            return
        if not line:
            self._close()
            return
        line = self._checked_line(line, number)
        if line.startswith("#"):
            marks = len(line) - len(line.lstrip("#"))
            if marks > 2 or line[marks:marks + 1] != " ":
                raise self._error("un titre s’écrit «\u00a0# Titre\u00a0» ou «\u00a0## Sous-titre\u00a0» "
                                  "(un ou deux #, puis une espace).", number)
            self._single(HEADING if marks == 1 else SUBHEADING, line[marks:].strip(), number)
        elif line.startswith("["):
            kind = _DIRECTIVES.get(" ".join(line.lower().split()))
            if kind is None:
                raise self._error(f"instruction inconnue «\u00a0{line}\u00a0»\u00a0; possibles\u00a0: "
                                  "[signatures], [saut de page].", number)
            self._single(kind, "", number)
        elif line.startswith("- ") or line == "-":
            self._open(BULLET, line[1:].strip(), number)
        elif line.startswith(">"):
            if self.kind == QUOTE:
                self.parts.append(line[1:].strip())
            else:
                self._open(QUOTE, line[1:].strip(), number)
        elif self.kind is None:
            self._open(PARAGRAPH, line, number)
        else:
            self.parts.append(line)  # continuation of the open paragraph, bullet or quote

    def finish(self) -> list[Block]:
        self._close()
        return self.blocks

    def _single(self, kind: str, text: str, number: int) -> None:
        self._close()
        self.blocks.append(Block(kind, self._checked(text, number), number))

    def _open(self, kind: str, text: str, number: int) -> None:
        self._close()
        self.kind, self.parts, self.start = kind, [text], number

    def _close(self) -> None:
        if self.kind is not None:
            text = " ".join(part for part in self.parts if part)
            if text.count("**") % 2:
                raise self._error("gras non fermé\u00a0: il manque un «\u00a0**\u00a0».", self.start)
            self.blocks.append(Block(self.kind, french_typography(text), self.start))
        self.kind, self.parts = None, []

    def _checked(self, text: str, number: int) -> str:
        if text.count("**") % 2:
            raise self._error("gras non fermé\u00a0: il manque un «\u00a0**\u00a0».", number)
        return french_typography(text)

    def _checked_line(self, line: str, number: int) -> str:
        """Placeholders are whole on one line and name a known field; braces never stray.

        Returns the line with placeholders written `{{field}}`, whatever spacing the author used.
        """
        rest = line
        for match in _PLACEHOLDER.finditer(line):
            name = match.group(1).strip()
            if not _FIELD_NAME.fullmatch(name) or name not in KNOWN_FIELDS:
                raise self._error(f"champ inconnu «\u00a0{match.group(0)}\u00a0». La liste des champs possibles "
                                  "est dans resources/charters/README.md.", number)
            rest = rest.replace(match.group(0), "", 1)
        if "{{" in rest:
            raise self._error("«\u00a0{{\u00a0» sans «\u00a0}}\u00a0» pour le fermer sur la même ligne.", number)
        if "{" in rest or "}" in rest:
            raise self._error("accolade isolée\u00a0; un champ s’écrit {{ mentee.first_name }}.", number)
        return _PLACEHOLDER.sub(lambda m: "{{" + m.group(1).strip() + "}}", line)

    def _error(self, message: str, number: int) -> TemplateError:
        return TemplateError(message, source=self.source, line=number)


_TYPO = (
    (re.compile(r"(?<=\w)'"), "’"),                                # apostrophe
    (re.compile(r"«[ \u00a0\u202f]*"), "«\u00a0"),                   # « with its no-break space
    (re.compile(r"[ \u00a0\u202f]*»"), "\u00a0»"),
    (re.compile(r"(?<=\S)[ \u00a0\u202f]*([;!?])(?=\s|$|[»)])"), "\u202f\\1"),  # narrow before ; ! ?
    (re.compile(r"(?<=\S)[ \u00a0\u202f]+:(?=\s|$)"), "\u00a0:"),    # no-break before : (only if spaced)
)


def french_typography(text: str) -> str:
    """Put French spacing right in text typed with ordinary spaces (templates and values alike).

    Colons get a no-break space only where the author spaced them, so times (10:30), links and
    placeholders ({{ a.b }}) are left alone.
    """
    for pattern, replacement in _TYPO:
        text = pattern.sub(replacement, text)
    return text
