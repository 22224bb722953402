"""A reference column of a spreadsheet (a structure, a counsellor, a mentor, a mentee) as people write
it: the record's id, its e-mail address or its name. Each kind is read once, by the fields it needs."""

from __future__ import annotations

from typing import Any

from ...domain.ids import is_record_id
from ...domain.kinds import kind_spec
from ...domain.validation import InvalidValue, shown
from ...importing.mapping import fold
from ...store.repository import Store
from ...texts.records import TITLE_SEPARATOR
from ..records import ENDED_TANDEM_MEETING

_PEOPLE = ("counsellor", "mentor", "mentee")


class References:
    """Names to ids for one import; an unknown or ambiguous name is an InvalidValue in French."""

    def __init__(self, store: Store):
        self.store = store
        self._ids: dict[str, set[str]] = {}
        self._emails: dict[str, dict[str, str]] = {}
        self._names: dict[str, dict[str, set[str]]] = {}
        self._pairs: dict[tuple[str, str], tuple[bool, str, str]] | None = None
        self._live_tandems: dict[str, bool] = {}

    def resolve(self, kind: str, text: Any) -> str:
        """The id of the live `kind` record that `text` names (an id, an e-mail, or its name; a tandem
        by its id or its title « mentoré·e – mentor », as exports write it)."""
        value = " ".join(str(text).split())
        if kind == "tandem":
            return self._tandem_named(value)
        self._load(kind)
        label = kind_spec(kind).label
        if is_record_id(value.lower()):
            if value.lower() in self._ids[kind]:
                return value.lower()
            raise InvalidValue(f"{label} introuvable\u00a0: aucune fiche n’a l’identifiant "
                               f"«\u00a0{shown(value)}\u00a0».")
        if "@" in value and (found := self._emails[kind].get(value.casefold())):
            return found
        ids = self._names[kind].get(fold(value).replace(" ", ""), set())
        if len(ids) == 1:
            return next(iter(ids))
        if ids:
            raise InvalidValue(f"Plusieurs fiches «\u00a0{label}\u00a0» portent ce nom («\u00a0{shown(value)}\u00a0»)"
                               "\u00a0: indiquez plutôt l’adresse e-mail.")
        raise InvalidValue(f"{label} introuvable\u00a0: «\u00a0{shown(value)}\u00a0» n’est ni le nom ni l’e-mail "
                           "d’une fiche de ce poste. Importez-la d’abord.")

    def _tandem_named(self, value: str) -> str:
        self._load_tandems()
        if is_record_id(value.lower()):
            if value.lower() not in self._live_tandems:
                raise InvalidValue(f"Tandem introuvable\u00a0: aucune fiche n’a l’identifiant "
                                   f"«\u00a0{shown(value)}\u00a0».")
            if not self._live_tandems[value.lower()]:
                raise InvalidValue(ENDED_TANDEM_MEETING)
            return value.lower()
        mentee, separator, mentor = value.partition(TITLE_SEPARATOR.strip())
        if not separator or not mentee.strip() or not mentor.strip():
            raise InvalidValue(f"Tandem introuvable\u00a0: «\u00a0{shown(value)}\u00a0». Écrivez-le «\u00a0mentoré·e "
                               "– mentor\u00a0», ou mettez le mentor et le ou la mentoré·e dans deux colonnes.")
        return self.tandem_of(self.resolve("mentor", mentor), self.resolve("mentee", mentee))

    def _load_tandems(self) -> None:
        if self._pairs is not None:
            return
        pairs: dict[tuple[str, str], tuple[bool, str, str]] = {}
        for tandem in self.store.live_fields("tandem", ("mentor_id", "mentee_id", "status", "proposed_on")):
            live = tandem["status"] != "ended"
            self._live_tandems[tandem["id"]] = live
            key = (tandem["mentor_id"], tandem["mentee_id"])
            rank = (live, tandem.get("proposed_on") or "", tandem["id"])
            if key not in pairs or rank > pairs[key]:
                pairs[key] = rank
        self._pairs = pairs

    def tandem_of(self, mentor_id: str, mentee_id: str) -> str:
        """The tandem of this pair (the live one if there is one); InvalidValue if they were never
        paired, or if their tandem has ended (no meeting is added to an ended tandem)."""
        self._load_tandems()
        assert self._pairs is not None
        found = self._pairs.get((mentor_id, mentee_id))
        if found is None:
            raise InvalidValue("Aucun tandem ne réunit ce mentor et ce ou cette mentoré·e\u00a0: importez d’abord "
                               "le tandem.")
        live, _, tandem_id = found
        if not live:
            raise InvalidValue(ENDED_TANDEM_MEETING)
        return tandem_id

    def _load(self, kind: str) -> None:
        if kind in self._ids:
            return
        ids: set[str] = set()
        emails: dict[str, str] = {}
        names: dict[str, set[str]] = {}
        fields = ("first_name", "last_name", "email") if kind in _PEOPLE else ("name",)
        for record in self.store.live_fields(kind, fields):
            ids.add(record["id"])
            if kind in _PEOPLE:
                if record.get("email"):
                    emails.setdefault(record["email"].casefold(), record["id"])
                first, last = record.get("first_name") or "", record.get("last_name") or ""
                keys = {fold(f"{first} {last}"), fold(f"{last} {first}")}
            else:
                keys = {fold(record.get("name") or "")}
            for key in keys:
                if key:
                    names.setdefault(key.replace(" ", ""), set()).add(record["id"])
        self._ids[kind], self._emails[kind], self._names[kind] = ids, emails, names
