"""A real encrypted CLI profile holding one mentee's whole story: two tandems (two mentors), meetings,
a charter sealed on screen, one signed in ink with its scan, a sync conflict, an import; and people
around them whose data must never reach the mentee's dossier."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import orjson
import pytest

from tandem_desktop.domain.ids import new_id
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.settings import load_settings
from tandem_desktop.store.imports import insert_batch
from tandem_desktop.store.profile import open_profile

from ..charter.test_service import png_signature, signatures
from ..cli_run import ok
from ..conftest import PASSPHRASE

FIRST, LAST = "Éloïse", "Benaïm-Çelik"
EMAIL, PHONE = "eloise.benaim@exemple.fr", "07 11 22 33 44"
LONG_NOTE = ("Suivie depuis la rentrée à la Mission locale ; souhaite devenir aide-soignante. " * 14).strip() + \
    "\nDeuxième ligne : « préfère les rendez-vous le matin »."
# The other parties and a bystander: only the mentors' names may appear in her dossier.
MENTOR_EMAIL, MENTOR_PHONE = "helene.durand@exemple.fr", "06 12 34 56 78"
OTHER_MENTOR_EMAIL, OTHER_MENTOR_PHONE = "marc.ollivier@exemple.fr", "06 98 76 54 32"
BYSTANDER = ("Quentin", "Zylberstein", "quentin.z@exemple.fr")
SUMMARY = "Première rencontre : CV relu, deux offres repérées à l’hôpital Nord."


@dataclass(frozen=True)
class World:
    env: dict[str, str]
    mentee: str
    mentor: str
    other_mentor: str
    bystander: str
    tandems: tuple[str, str]
    sealed: str  # charter ids
    inked: str


def cli_env(folder: Path) -> dict[str, str]:
    """As tests/conftest.py's cli_env, for a profile shared by a module's tests."""
    env = dict(os.environ)
    env.update(TANDEM_DATA_DIR=str(folder / "profil-cli"), TANDEM_PASSPHRASE=PASSPHRASE, TANDEM_KDF_LOG2N="14",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", QT_QPA_PLATFORM="offscreen")
    return env


def build(folder: Path) -> World:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    env = cli_env(folder)
    ok(env, "init")
    settings = load_settings(env["TANDEM_DATA_DIR"], environ=env).with_passphrase(PASSPHRASE)
    profile = open_profile(settings)
    try:
        store = profile.store
        records = Records(store, Actor())
        structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale",
                                               "commune": "Marseille", "email": "contact@ml-marseille.fr"})
        counsellor = store.create("counsellor", {"first_name": "Camille", "last_name": "Martin",
                                                 "email": "camille.martin@ml-marseille.fr", "structure_id": structure})
        mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand", "email": MENTOR_EMAIL,
                                         "phone": MENTOR_PHONE, "capacity": 2, "employer": "CMA CGM",
                                         "job_title": "Responsable logistique", "notes": "Préfère le jeudi"})
        other = store.create("mentor", {"first_name": "Marc", "last_name": "Ollivier", "email": OTHER_MENTOR_EMAIL,
                                        "phone": OTHER_MENTOR_PHONE, "capacity": 1, "employer": "La Poste",
                                        "job_title": "Facteur"})
        mentee = store.create("mentee", {
            "first_name": FIRST, "last_name": LAST, "email": EMAIL, "phone": PHONE, "birth_date": "2004-03-15",
            "project_type": "job_search", "project": "Devenir aide-soignante à l’hôpital", "commune": "Marseille",
            "postal_code": "13001", "structure_id": structure, "counsellor_id": counsellor, "notes": LONG_NOTE,
            "consent_given": True, "consent_date": "2026-09-01", "consent_scope": ["processing", "hub_sharing"],
            "declined_mentors": [other]})
        bystander = store.create("mentee", {"first_name": BYSTANDER[0], "last_name": BYSTANDER[1],
                                            "email": BYSTANDER[2], "project_type": "orientation",
                                            "structure_id": structure, "excluded_mentors": [mentor]})
        first = records.create("tandem", {"mentor_id": mentor, "mentee_id": mentee, "duration_months": 6,
                                          "objectives": "Trouver un emploi d’aide-soignante\nPréparer les entretiens"})
        second = records.create("tandem", {"mentor_id": other, "mentee_id": mentee, "duration_months": 3,
                                           "objectives": "Découvrir le métier de facteur"})
        records.add_meeting(first.record_id, {"date": "2026-10-02", "mode": "in_person", "duration_min": 60,
                                              "summary": SUMMARY, "next_steps": "Postuler à deux offres"})
        records.add_meeting(first.record_id, {"date": "2026-10-16", "mode": "video", "summary": "Entretien préparé"})
        service = CharterService(store, records=records)
        sealed = service.seal(first.record_id, signatures(), place="Marseille")
        inked = service.record_ink_signature(second.record_id, signed_on=store.today(), place="Aubagne",
                                             scan=png_signature(), scan_name="charte signée.png")
        with store.transaction() as conn:
            conn.exec_driver_sql(
                "INSERT INTO sync_conflicts (id, seq, conflict_type, kind, record_id, field, kept_value, kept_version,"
                " lost_value, lost_version, received_at, resolved) VALUES (?, 7, 'concurrent_edit', 'mentee', ?,"
                " 'phone', ?, 'v2', ?, 'v1', '2026-11-20T09:30:00+00:00', 0)",
                (new_id(), mentee, orjson.dumps(PHONE).decode(), orjson.dumps("06 00 00 00 01").decode()))
        insert_batch(store, new_id(), "mentee", "jeunes-rentrée.xlsx", None,
                     {"created": 2, "merged": 0, "skipped": 0, "refused": 0},
                     {"mentee": [mentee, bystander]}, [])
        return World(env, mentee, mentor, other, bystander, (first.record_id, second.record_id), sealed.id,
                     inked.id)
    finally:
        profile.close()
        keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Shared by the tests that only read it (building it seals a charter: a few seconds)."""
    return build(tmp_path_factory.mktemp("acces"))


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """A profile of one's own, for a test that writes to it (an erasure)."""
    return build(tmp_path)


@pytest.fixture
def out(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "sortie"
    folder.mkdir()
    yield folder
