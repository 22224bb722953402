"""The mark of a demo profile: its records are fake, so they must never reach a hub.

Set in the profile's encrypted `meta` by the demo generator (in the same transaction as the records);
enrollment refuses a marked profile, and the generator refuses a profile already enrolled.
"""

from __future__ import annotations

from .repository import Store

DEMO_KEY = "demo_data"
NBSP = "\u00a0"
DEMO_REFUSED = (f"Ce profil contient des données de démonstration{NBSP}: il ne peut pas être relié au hub, qui "
                "recevrait toutes ces fiches fictives. Pour le travail réel, ouvrez un profil vide dans un autre "
                "dossier (tandem-desktop --data-dir DOSSIER, ou tandem --data-dir DOSSIER init), puis reliez-le au "
                "hub.")
ENROLLED_REFUSED = (f"Ce poste est relié à un hub{NBSP}: des données de démonstration y seraient envoyées. Créez-les "
                    "dans un profil à part (tandem --data-dir DOSSIER demo).")


def is_demo(store: Store) -> bool:
    return store.meta_value(DEMO_KEY) is not None


def mark_demo(store: Store) -> None:
    store.set_meta_value(DEMO_KEY, "1")
