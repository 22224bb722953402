"""Value rules shared by every entry point (forms, CLI, imports, sync): one place, French messages."""

from __future__ import annotations

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
MSG_INT = "Nombre entier attendu."
MSG_BOOL = "Répondez par oui ou non."


class InvalidValue(ValueError):
    """A single value is wrong; the message is French and shown next to the field."""


def normalize_email(text: str) -> str:
    value = text.strip()
    if not EMAIL_RE.match(value) or len(value) > 254:
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
    else:
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"):
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise InvalidValue(MSG_DATE)
    if not 1900 <= parsed.year <= 2100:
        raise InvalidValue(MSG_DATE)
    return parsed


def parse_int(value: str | int, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise InvalidValue(MSG_INT)
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
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
    if isinstance(value, int):
        return value != 0
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(MSG_BOOL)


def parse_list(value: str | list | tuple) -> list[str]:
    """'a, b; c' or a list become a clean list of distinct, non-empty strings, order kept."""
    items = re.split(r"[;,\n]", value) if isinstance(value, str) else [str(v) for v in value]
    seen: dict[str, None] = {}
    for item in items:
        cleaned = " ".join(item.split())
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)
