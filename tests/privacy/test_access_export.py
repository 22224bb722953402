"""`tandem privacy export KIND ID --out DIR` (right of access, RGPD art. 15), the real command in-process
on a real encrypted profile: the JSON read back, the PDF read back by an independent reader (pypdf),
the charters byte for byte, nobody else's data, and the refusals that write nothing."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from tandem_desktop.services.privacy import access
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.settings import load_settings
from tandem_desktop.store import charters as charter_store
from tandem_desktop.store.profile import open_profile

from ..cli_run import ok, refused
from ..conftest import PASSPHRASE
from .conftest import (
    BYSTANDER,
    EMAIL,
    FIRST,
    LAST,
    MENTOR_EMAIL,
    MENTOR_PHONE,
    OTHER_MENTOR_EMAIL,
    OTHER_MENTOR_PHONE,
    PHONE,
    SUMMARY,
    World,
)

UNKNOWN = "01900000-0000-7000-8000-000000000000"
HEADINGS = ("La fiche", "Consentement", "Tandems", "Rencontres et comptes rendus", "Chartes d’engagement et scans",
            "Conflits de synchronisation", "Imports de tableurs", "Historique", "Effacement", "Fichiers joints")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_of(out: Path, kind: str, record_id: str) -> Path:
    return out / f"acces-{kind}-{record_id.replace('-', '')[-8:]}"


def pdf_text(path: Path) -> tuple[str, int]:
    """The text an independent reader finds, no-break spaces as spaces; and the page count."""
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " "), len(reader.pages)


def fields(item: dict) -> dict:
    return {f["key"]: f for f in item["fields"]}


def section(data: dict, key: str) -> dict:
    return next(s for s in data["sections"] if s["key"] == key)


def stored_charter(world: World, charter_id: str) -> tuple[bytes, tuple[bytes, str | None] | None]:
    profile = open_profile(load_settings(world.env["TANDEM_DATA_DIR"], environ=world.env)
                           .with_passphrase(PASSPHRASE))
    try:
        return charter_store.charter_pdf(profile.store, charter_id), charter_store.charter_scan(profile.store,
                                                                                                  charter_id)
    finally:
        profile.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_mentee_gets_everything_held_as_json_pdf_and_charters(world: World, out: Path) -> None:
    stdout = ok(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(out))
    folder = folder_of(out, "mentee", world.mentee)
    assert str(folder) in stdout and "dossier.json" in stdout and "dossier.pdf" in stdout
    assert [p.name for p in out.iterdir()] == [folder.name]  # no temporary folder left beside it
    if os.name == "posix":
        assert folder.stat().st_mode & 0o777 == 0o700
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())

    data = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    assert data["format"] == "tandem-access/1"
    assert data["person"] == {"kind": "mentee", "kind_label": "Mentoré·e", "id": world.mentee,
                              "name": f"{FIRST} {LAST}", "state": "present"}
    assert data["extracted_at"][:4].isdigit() and "T" in data["extracted_at"] and data["notice"] is None
    assert [s["key"] for s in data["sections"]] == ["record", "consents", "tandems", "meetings", "charters",
                                                   "conflicts", "imports", "history", "erasure"]
    record = fields(section(data, "record")["items"][0])
    assert record["first_name"]["value"] == FIRST and record["first_name"]["label"] == "Prénom"
    assert record["email"]["value"] == EMAIL and record["phone"]["value"] == PHONE
    assert record["birth_date"] == {"key": "birth_date", "label": "Date de naissance", "value": "2004-03-15",
                                    "text": "15/03/2004"}
    assert record["structure_id"]["value"] == "Mission locale de Marseille"
    assert record["counsellor_id"]["text"] == "Camille Martin"
    assert record["declined_mentors"]["value"] == 1  # a mentor's id is someone else's: counted, not given
    assert record["sector"]["value"] is None and record["sector"]["label"] == "Secteur"  # every field, even empty
    consents = fields(section(data, "consents")["items"][0])
    assert consents["consent_given"]["text"] == "Oui" and consents["consent_date"]["value"] == "2026-09-01"
    assert consents["consent_scope"]["value"] == ["processing", "hub_sharing"]

    tandems = section(data, "tandems")["items"]
    assert [t["title"] for t in tandems] == ["Tandem avec Hélène Durand (mentor)", "Tandem avec Marc Ollivier (mentor)"]
    assert set(world.tandems) == {t["id"] for t in tandems}
    assert fields(tandems[0])["objectives"]["value"].startswith("Trouver un emploi d’aide-soignante")
    meetings = section(data, "meetings")["items"]
    assert [fields(m)["date"]["value"] for m in meetings] == ["2026-10-02", "2026-10-16"]
    assert fields(meetings[0])["summary"]["value"] == SUMMARY
    assert fields(meetings[0])["tandem"]["value"] == "Tandem avec Hélène Durand (mentor)"

    conflict = fields(section(data, "conflicts")["items"][0])
    assert (conflict["field"]["text"], conflict["kept"]["text"], conflict["lost"]["text"]) == \
        ("Téléphone", PHONE, "06 00 00 00 01")
    batch = fields(section(data, "imports")["items"][0])
    assert batch["file_name"]["value"] == "jeunes-rentrée.xlsx" and batch["effect"]["value"] == "created"
    assert section(data, "erasure")["items"] == []

    # The charters and the scan, exactly as the store holds them (a sealed PDF must stay verifiable).
    sealed_pdf, _ = stored_charter(world, world.sealed)
    inked_pdf, scan = stored_charter(world, world.inked)
    assert scan is not None
    listed = {f["name"]: f for f in data["files"]}
    on_disk = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("charte-")}
    assert {sha256(b) for b in on_disk.values()} == {sha256(sealed_pdf), sha256(inked_pdf), sha256(scan[0])}
    assert {n: sha256(b) for n, b in on_disk.items()} == {n: f["sha256"] for n, f in listed.items()}
    assert sum(n.endswith("-scan.png") for n in on_disk) == 1

    text, pages = pdf_text(folder / "dossier.pdf")
    assert f"Données personnelles détenues — {FIRST} {LAST}" in text.replace("\n", " ")
    for heading in HEADINGS:
        assert heading in text, heading
    assert "Benaïm-Çelik" in text and "Éloïse" in text and "Hélène Durand" in text and "15/03/2004" in text
    assert "« préfère les rendez-vous le matin »" in text  # the last line of a long note, wrapped, not cut
    assert pages >= 3 and f"Page 1 sur {pages}" in text and f"Page {pages} sur {pages}" in text
    assert "article 15 du RGPD" in text and "Source : Tandem Desktop" in text

    # Other people: the mentors by name only; the bystander imported in the same file not at all.
    raw = (folder / "dossier.json").read_text(encoding="utf-8")
    for secret in (MENTOR_EMAIL, MENTOR_PHONE, OTHER_MENTOR_EMAIL, OTHER_MENTOR_PHONE, "CMA CGM", "Préfère le jeudi",
                   BYSTANDER[1], BYSTANDER[2], world.bystander, world.other_mentor, world.mentor):
        assert secret not in raw, secret
        assert secret not in text, secret


def test_a_mentor_gets_their_tandem_and_counts_of_mentions_never_the_mentees_contacts(world: World, out: Path) -> None:
    printed = json.loads(ok(world.env, "privacy", "export", "mentor", world.mentor, "--out", str(out), "--json"))
    folder = folder_of(out, "mentor", world.mentor)
    assert printed["folder"] == str(folder) and printed["state"] == "present"
    assert printed["files"][:2] == [str(folder / "dossier.json"), str(folder / "dossier.pdf")]
    assert printed["sections"]["tandems"] == 1 and printed["sections"]["charters"] == 1
    data = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    assert section(data, "tandems")["items"][0]["title"] == f"Tandem avec {FIRST} {LAST} (mentoré·e)"
    mentions = fields(section(data, "mentions")["items"][0])
    assert mentions["excluded_by"]["value"] == 1 and mentions["declined_by"]["value"] == 0
    assert fields(section(data, "record")["items"][0])["employer"]["value"] == "CMA CGM"
    text, _ = pdf_text(folder / "dossier.pdf")
    raw = (folder / "dossier.json").read_text(encoding="utf-8")
    for secret in (EMAIL, PHONE, "2004-03-15", "15/03/2004", "aide-soignante à l’hôpital", BYSTANDER[1]):
        assert secret not in raw and secret not in text, secret
    assert "Hélène Durand" in text and "Mentions dans les fiches d’autres personnes" in text


@pytest.mark.parametrize(("args", "code", "message"), [
    (("mentee", UNKNOWN), 1, f"Mentoré·e introuvable\u00a0: {UNKNOWN}."),
    (("mentor", "pas-un-identifiant"), 1, "Mentor introuvable"),
    (("tandem", UNKNOWN), 1, "Le droit d’accès porte sur une personne"),
    (("structure", UNKNOWN), 1, "pas «\u00a0structure\u00a0»"),
])
def test_an_unknown_person_or_a_kind_that_is_none_is_refused_and_writes_nothing(
        world: World, out: Path, args: tuple[str, str], code: int, message: str) -> None:
    assert message in refused(world.env, "privacy", "export", *args, "--out", str(out), code=code)
    assert list(out.iterdir()) == []


def test_without_out_the_usage_is_refused_with_exit_2(world: World) -> None:
    assert "--out DOSSIER" in refused(world.env, "privacy", "export", "mentee", world.mentee, code=2)
    assert "tandem privacy export mentee|mentor ID" in refused(world.env, "privacy", "export", code=2)


def test_an_existing_non_empty_dossier_is_never_written_over(world: World, out: Path) -> None:
    folder = folder_of(out, "mentee", world.mentee)
    folder.mkdir()
    (folder / "dossier.json").write_text("{\"mine\": true}", encoding="utf-8")
    before = snapshot(out)
    error = refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(out))
    assert f"Le dossier {folder} existe déjà et n’est pas vide" in error and "rien n’a été écrit" in error
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == [folder.name]
    folder.joinpath("dossier.json").unlink()  # an empty one, made beforehand, is taken
    ok(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(out))
    assert (folder / "dossier.pdf").read_bytes().startswith(b"%PDF")


def test_the_profile_folder_and_a_file_are_refused(world: World, tmp_path: Path) -> None:
    profile_dir = Path(world.env["TANDEM_DATA_DIR"])
    before = sorted(p.name for p in profile_dir.iterdir())
    error = refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(profile_dir / "exports"))
    assert "est celui du profil" in error and str(profile_dir / "exports") in error
    assert sorted(p.name for p in profile_dir.iterdir()) == before
    a_file = tmp_path / "fichier.txt"
    a_file.write_text("x", encoding="utf-8")
    assert "n’est pas un dossier" in refused(world.env, "privacy", "export", "mentee", world.mentee,
                                             "--out", str(a_file))
    error = refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(a_file / "sous-dossier"))
    assert "Impossible d’écrire le dossier d’accès" in error and "Rien n’a été écrit" in error
    assert a_file.read_text(encoding="utf-8") == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_gives_a_french_message_and_no_half_dossier(world: World, out: Path) -> None:
    locked = out / "verrouille"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        error = refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(locked))
        assert f"Impossible d’écrire le dossier d’accès dans {locked}\u00a0: accès refusé" in error
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_full_disk_midway_leaves_no_half_dossier(world: World, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []
    real = access.write_private

    def filling(path: Path, data: bytes) -> Path:
        if len(written) == 2:  # the JSON and the PDF went in, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path.name)
        return real(path, data)

    monkeypatch.setattr(access, "write_private", filling)
    error = refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(out))
    assert written == ["dossier.json", "dossier.pdf"]
    assert f"Impossible d’écrire le dossier d’accès dans {out}\u00a0: disque plein. Rien n’a été écrit." in error
    assert list(out.iterdir()) == []  # neither the dossier nor its temporary folder
    fresh_out = out / "nouveau" / "dossier"  # a folder it had to create goes too
    assert "disque plein" in refused(world.env, "privacy", "export", "mentee", world.mentee, "--out", str(fresh_out))
    assert not fresh_out.exists()


def test_an_erased_person_is_said_so_and_only_what_remains_is_given(fresh: World, out: Path) -> None:
    profile = open_profile(load_settings(fresh.env["TANDEM_DATA_DIR"], environ=fresh.env).with_passphrase(PASSPHRASE))
    try:
        Records(profile.store, Actor()).erase("mentee", fresh.mentee, "request")
    finally:
        profile.close()
    stdout = ok(fresh.env, "privacy", "export", "mentee", fresh.mentee, "--out", str(out))
    assert "Cette personne a été effacée le " in stdout and "il ne reste que" in stdout
    folder = folder_of(out, "mentee", fresh.mentee)
    data = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    assert data["person"]["state"] == "erased" and data["person"]["name"] == "Personne effacée"
    assert data["notice"].startswith("Cette personne a été effacée le ") and data["files"] == []
    record = fields(section(data, "record")["items"][0])
    assert "first_name" not in record and "email" not in record
    assert record["department"]["value"] == "13" and record["age_band"]["value"] == "18–25 ans"
    assert record["project_type"]["text"] == "Recherche d’emploi"
    tandems = section(data, "tandems")["items"]
    assert len(tandems) == 2 and all(t["title"] == "Tandem avec (non communiqué) (mentor)" for t in tandems)
    assert all("objectives" not in fields(t) for t in tandems)
    assert section(data, "charters")["items"] == [] and section(data, "conflicts")["items"] == []
    entry = fields(section(data, "erasure")["items"][0])
    assert entry["reason"]["value"] == "request" and entry["where"]["value"] == "here"
    text, _ = pdf_text(folder / "dossier.pdf")
    assert "Données personnelles détenues — Personne effacée" in text.replace("\n", " ")
    assert "Cette personne a été effacée le" in text and "Entrée du journal des effacements" in text
    raw = (folder / "dossier.json").read_text(encoding="utf-8")
    for secret in (FIRST, LAST, EMAIL, PHONE, "2004-03-15", SUMMARY, "Hélène Durand", "Marc Ollivier",
                   "aide-soignante"):
        assert secret not in raw and secret not in text, secret


def test_an_older_value_still_held_is_given_in_the_history(fresh: World, out: Path) -> None:
    profile = open_profile(load_settings(fresh.env["TANDEM_DATA_DIR"], environ=fresh.env).with_passphrase(PASSPHRASE))
    try:
        Records(profile.store, Actor()).update("mentee", fresh.mentee, {"phone": "06 55 44 33 22"})
        with profile.store.reading() as conn:
            has_history = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'history'").first()
    finally:
        profile.close()
    ok(fresh.env, "privacy", "export", "mentee", fresh.mentee, "--out", str(out))
    data = json.loads((folder_of(out, "mentee", fresh.mentee) / "dossier.json").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(data["extracted_at"]).tzinfo is not None
    assert fields(section(data, "record")["items"][0])["phone"]["value"] == "06 55 44 33 22"
    history = section(data, "history")["items"]
    written = fields(history[0])
    assert written["written:phone"]["value"] >= written["created_at"]["value"]
    rows = [f for item in history[1:] for f in item["fields"]]
    # The phone as first written is still in the pending creation (and, with a record history, its change).
    assert {"key": "value:phone", "label": "Téléphone — valeur écrite", "value": PHONE, "text": PHONE} in rows
    if has_history:
        change = next(f for f in rows if f["key"] == "change:phone")
        assert change["value"] == {"before": PHONE, "after": "06 55 44 33 22"}
        assert change["text"] == f"{PHONE} → 06 55 44 33 22"
