"""Value rules shared by every entry point (forms, CLI, imports, sync): one place, French messages."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
PHONE_RE = re.compile(r"0[1-9](?: \d\d){4}\Z")  # already in the stored form
POSTAL_CODE_RE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}$")

MSG_REQUIRED = "Ce champ est obligatoire."
MSG_EMAIL = "Adresse e-mail invalide (exemple\u00a0: prenom.nom@exemple.fr)."
MSG_PHONE = "Numéro de téléphone invalide\u00a0: 10 chiffres commençant par 0 (exemple\u00a0: 06 12 34 56 78)."
MSG_POSTAL = "Code postal invalide\u00a0: 5 chiffres (exemple\u00a0: 13001)."
MSG_DATE = "Date invalide\u00a0: utilisez le format JJ/MM/AAAA (exemple\u00a0: 21/06/2018)."
MSG_YEAR = "Date invalide\u00a0: l’année doit être comprise entre 1900 et 2100."
MSG_INT = "Nombre entier attendu."
MSG_BOOL = "Répondez par oui ou non."
MSG_TEXT = "Texte attendu."
MSG_LIST = "Liste de textes attendue (par exemple «\u00a0cuisine, vente\u00a0»)."
MAX_SHOWN = 40  # characters of a user's value echoed back in a message

# Characters no stored text may hold: C0 controls but tab and line breaks, DEL, C1 controls, the
# bidirectional controls (they reorder what a terminal or a list shows, e.g. "\u202egpj.exe"), and
# lone surrogates (not text at all: neither UTF-8, SQLite nor PostgreSQL takes them).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI_RE = re.compile(f"[{_BIDI}]")


def _char_class(c0: str) -> re.Pattern[str]:
    return re.compile(f"[{c0}\x7f-\x9f{_BIDI}\ud800-\udfff]")


_CONTROL_RE = _char_class("\x00-\x08\x0b\x0c\x0e-\x1f")
# What a terminal must not receive raw from a stored value: the above, and tab or line breaks unless kept.
_ESCAPED_RE = {keep: _char_class("".join(chr(c) for c in range(32) if chr(c) not in keep))
               for keep in ("", "\n", "\n\t")}


class InvalidValue(ValueError):
    """A single value is wrong; the message is French and shown next to the field."""


def control_error(text: str) -> str | None:
    """The French message for the first forbidden character of `text`, or None if it has none.

    Names the character by its code point and position, never echoes it (that is the attack)."""
    if text.isprintable():  # the common case, in C; tabs and line breaks fall through to the regex
        return None
    found = _CONTROL_RE.search(text)
    if found is None:
        return None
    char, where = found.group(), found.start() + 1
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return f"Texte mal encodé ({code} en position {where})\u00a0: ressaisissez-le."
    if _BIDI_RE.match(char):
        return (f"Caractère d’inversion du sens d’écriture interdit ({code} en position {where})\u00a0: "
                "retirez-le.")
    return f"Caractère de contrôle interdit ({code} en position {where})\u00a0: retirez-le."


def check_controls(text: str) -> str:
    """`text` itself, or InvalidValue if it holds a forbidden character (see `control_error`)."""
    if (message := control_error(text)) is not None:
        raise InvalidValue(message)
    return text


def escape_controls(text: str, keep: str = "") -> str:
    """`text` safe to print on a terminal: every forbidden character, and tab or line breaks not in
    `keep` ("", "\\n" or "\\n\\t"), written as a visible escape such as \\u001b or \\u202e. Valid in
    JSON text too, so printed JSON stays JSON."""
    return _ESCAPED_RE[keep].sub(lambda m: _escape(m.group()), text)


_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    return _NAMED_ESCAPES.get(char) or f"\\u{ord(char):04x}"  # also a valid JSON escape


def shown(text: str) -> str:
    """A user's value as it may be echoed in a message: escaped, and cut after MAX_SHOWN characters."""
    cut = text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"
    return escape_controls(cut)


def as_text(raw: object) -> str:
    """A text value as typed (a string, or an integer from a spreadsheet cell); InvalidValue else."""
    if isinstance(raw, str):
        return str(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    raise InvalidValue(MSG_TEXT)


def one_line(raw: object) -> str:
    """A one-line text: forbidden characters refused, any run of spaces, tabs or line breaks (a
    pasted cell ends with one) becomes one space."""
    return " ".join(check_controls(as_text(raw)).split())


def multi_line(raw: object) -> str:
    """A text of several lines (notes): tabs and line breaks kept (\\r\\n and \\r become \\n),
    other forbidden characters refused, blank lines around it dropped."""
    text = check_controls(as_text(raw))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def normalize_email(text: str) -> str:
    value = text.strip()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise InvalidValue(MSG_EMAIL)
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_phone(text: str) -> str:
    """French numbers, written any usual way, become '06 12 34 56 78'."""
    if PHONE_RE.match(text):
        return text
    digits = re.sub(r"[\s.\-()/]", "", text.strip())
    for prefix in ("+33", "0033"):
        if digits.startswith(prefix):
            rest = digits[len(prefix):]
            digits = "0" + (rest[1:] if len(rest) == 10 and rest.startswith("0") else rest)  # "+33 (0)4…"
            break
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise InvalidValue(MSG_PHONE)
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def normalize_postal_code(text: str) -> str:
    value = text.strip().replace(" ", "")
    if not POSTAL_CODE_RE.match(value):
        raise InvalidValue(MSG_POSTAL)
    return value


def parse_date(value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        parsed = value
    elif not isinstance(value, str) or len(value) > 40:
        raise InvalidValue(MSG_DATE)
    else:
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"):
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise InvalidValue(nonexistent_date(text) or MSG_DATE)
    if not 1900 <= parsed.year <= 2100:
        raise InvalidValue(MSG_YEAR)
    return parsed


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
_DMY_RE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_YMD_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def nonexistent_date(text: str) -> str | None:
    """The French message for a date written in the right form that is not in the calendar
    (« 31/02/2001 »): the counsellor used the format, so saying « use JJ/MM/AAAA » would mislead."""
    if found := _DMY_RE.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
    elif found := _YMD_RE.fullmatch(text):
        year, month, day = (int(g) for g in found.groups())
    else:
        return None
    if not 1 <= month <= 12:
        return f"Cette date n’existe pas\u00a0: il n’y a pas de mois {month} (de 1 à 12)."
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if day == 0:
        return "Cette date n’existe pas\u00a0: les jours se comptent à partir de 1."
    if day > days:
        return f"Cette date n’existe pas\u00a0: {_MONTHS[month - 1]} {year} n’a que {days}\u00a0jours."
    return None


def parse_int(value: str | int, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidValue(MSG_INT)
    try:
        number = value if isinstance(value, int) else int(value.strip())
    except ValueError as exc:
        raise InvalidValue(MSG_INT) from exc
    if minimum is not None and number < minimum:
        raise InvalidValue(f"La valeur doit être au moins {minimum}.")
    if maximum is not None and number > maximum:
        raise InvalidValue(f"La valeur doit être au plus {maximum}.")
    return number


_TRUE = {"1", "true", "oui", "o", "yes", "y", "vrai", "x"}
_FALSE = {"0", "false", "non", "n", "no", "faux", ""}


def parse_bool(value: str | bool | int) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if not isinstance(value, str):
        raise InvalidValue(MSG_BOOL)
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(MSG_BOOL)


def parse_list(value: str | list | tuple) -> list[str]:
    """'a, b; c' or a list become a clean list of distinct, non-empty one-line strings, order kept."""
    if isinstance(value, str):
        items: list[object] | tuple[object, ...] | list[str] = re.split(r"[;,\n]", value)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise InvalidValue(MSG_LIST)
    seen: dict[str, None] = {}
    for item in items:
        try:
            cleaned = one_line(item)
        except InvalidValue as exc:
            message = str(exc) if str(exc) != MSG_TEXT else MSG_LIST
            raise InvalidValue(message) from None
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)
