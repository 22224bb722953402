"""Nothing readable on disk: after real writes, no name, e-mail or note appears in any profile file."""

from __future__ import annotations

from pathlib import Path

from tandem_desktop.store.backup import export_copy

SECRETS = ["Hélène", "Durand", "helene.durand@exemple.fr", "Ancienne infirmière au Panier", "Benali"]


def _all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _leaks(folder: Path) -> list[tuple[str, str]]:
    found = []
    for name, data in _all_bytes(folder).items():
        for secret in SECRETS:
            for encoded in {secret.encode("utf-8"), secret.encode("utf-16-le"), secret.lower().encode()}:
                if encoded in data:
                    found.append((name, secret))
    return found


def test_no_known_plaintext_in_database_wal_or_backups(settings, profile) -> None:  # type: ignore[no-untyped-def]
    store = profile.store
    mentor = store.create("mentor", {"first_name": "Hélène", "last_name": "Durand",
                                     "email": "helene.durand@exemple.fr", "notes": "Ancienne infirmière au Panier"})
    mentee = store.create("mentee", {"first_name": "Karim", "last_name": "Benali"})
    store.create("tandem", {"mentor_id": mentor, "mentee_id": mentee})
    store.update("mentor", mentor, {"notes": "Ancienne infirmière au Panier, disponible le soir"})
    wal = settings.database_path.with_name("tandem.db-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the WAL holds the fresh writes right now
    assert _leaks(settings.data_dir) == []
    settings.backups_dir.mkdir()
    export_copy(profile.engine, profile.key, settings.backups_dir / "copie.db")
    profile.close()
    assert (settings.backups_dir / "copie.db").stat().st_size > 0
    assert _leaks(settings.data_dir) == []
    # The check itself can fail: the plain text is there when we decrypt.
    assert any(b"Durand" in data for data in _plain_dump(settings, profile.key))


def _plain_dump(settings, key):  # type: ignore[no-untyped-def]
    from tandem_desktop.store.engine import open_raw

    conn = open_raw(settings.database_path, key)
    try:
        return [str(row).encode() for row in conn.execute("SELECT * FROM mentor")]
    finally:
        conn.close()
