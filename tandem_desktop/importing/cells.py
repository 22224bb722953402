"""A cell as the field it feeds expects it, before the domain's own rules (FieldSpec.parse) check it.

Spreadsheets change values on the way: a date becomes a serial number (45752) or a datetime, a phone
number or a postal code typed as a number loses its leading zero (612345678, 1000), an integer comes
back as 3.0, a choice is written with its label in capitals or without accents. This module undoes
that and nothing more: what it cannot read is passed on as text, so the refusal reads as a form's.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from ..domain.fields import FieldSpec, FieldType
from .mapping import fold

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
_SERIALS = range(1, 80_000)  # up to 2119
_MONTHS = {name: number for number, names in enumerate((
    ("janvier", "janv", "jan", "january"), ("fevrier", "fevr", "fev", "feb", "february"), ("mars", "mar", "march"),
    ("avril", "avr", "apr", "april"), ("mai", "may"), ("juin", "jun", "june"), ("juillet", "juil", "jul", "july"),
    ("aout", "aug", "august"), ("septembre", "sept", "sep", "september"), ("octobre", "oct", "october"),
    ("novembre", "nov", "november"), ("decembre", "dec", "december"),
), 1) for name in names}
_WORDY_DATE = re.compile(r"(?:[a-z]+ )?(\d{1,2})(?:er| er)? ([a-z]+) (\d{4})")
_DMY_DASH = re.compile(r"(\d{1,2})[-\s](\d{1,2})[-\s](\d{4})")
_DMY_SHORT = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})")
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?")


def cell_value(field: FieldSpec, cell: Any) -> Any:
    """`cell` (as read: str, float, int, bool, date, datetime or None) in the form `field.parse` takes."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    kind = field.type
    if kind is FieldType.DATE:
        return _date(cell)
    if kind is FieldType.PHONE:
        return _phone(cell)
    if kind is FieldType.POSTAL_CODE:
        return _postal_code(cell)
    if kind is FieldType.INT:
        return int(cell) if isinstance(cell, float) and cell.is_integer() else _text(cell)
    if kind is FieldType.BOOL:
        return cell if isinstance(cell, bool) else int(cell) if isinstance(cell, float | int) else cell
    if kind is FieldType.CHOICE:
        return _choice(field, _text(cell))
    if kind is FieldType.LIST and field.choices:
        return [_choice(field, item.strip()) for item in re.split(r"[;,\n]", _text(cell)) if item.strip()]
    return _text(cell)


def _text(cell: Any) -> str:
    if isinstance(cell, bool):
        return "oui" if cell else "non"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def _date(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if math.isfinite(cell) and int(cell) in _SERIALS:
            return (_EXCEL_EPOCH + timedelta(days=int(cell))).isoformat()
        return _text(cell)
    text = str(cell).strip()
    if found := _ISO_TIME.fullmatch(text):
        return found.group(1)
    if re.fullmatch(r"\d{5}(?:\.0+)?", text) and int(float(text)) in _SERIALS:  # a serial kept as text
        return (_EXCEL_EPOCH + timedelta(days=int(float(text)))).isoformat()
    if found := _DMY_DASH.fullmatch(text):
        return f"{found.group(1)}/{found.group(2)}/{found.group(3)}"
    if found := _DMY_SHORT.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
        century = 2000 if year <= date.today().year % 100 else 1900
        return f"{day:02d}/{month:02d}/{century + year}"
    if found := _WORDY_DATE.fullmatch(fold(text)):
        month = _MONTHS.get(found.group(2))
        if month is not None:
            return f"{int(found.group(1)):02d}/{month:02d}/{found.group(3)}"
    return text


def _phone(cell: Any) -> str:
    text = _text(cell).strip()
    digits = re.sub(r"[\s.\-()/]", "", text)
    if re.fullmatch(r"[1-9]\d{8}", digits):  # a number that lost its leading zero
        return "0" + digits
    if re.fullmatch(r"33[1-9]\d{8}", digits):  # +33 read as a number
        return "0" + digits[2:]
    return text


def _postal_code(cell: Any) -> str:
    text = _text(cell).strip()
    return text.zfill(5) if re.fullmatch(r"\d{4}", text) else text


def _choice(field: FieldSpec, text: str) -> str:
    """The choice's code for its code or its label written loosely (« RECHERCHE D’EMPLOI », « emploi »)."""
    return _folded_choices(field.choices).get(fold(text), text)


@lru_cache(maxsize=256)
def _folded_choices(choices: tuple[tuple[str, str], ...]) -> dict[str, str]:
    folded = {fold(label): code for code, label in reversed(choices)}
    return {**folded, **{fold(code): code for code, _ in choices}}
