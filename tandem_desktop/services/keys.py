"""Key recovery use cases, shared by the window and the `tandem` command: show a recovery code,
open with it and make the next opening normal again, and start again from the hub when both the key
and the code are lost. The French texts live here so both say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings
from ..store.keys import usable_keyring
from ..store.profile import Profile, open_profile, put_key_back, set_new_passphrase, set_profile_aside
from ..texts.french import NBSP

CODE_ADVICE = (
    "Recopiez-le ou imprimez-le maintenant et gardez-le sur papier, ailleurs que dans la sacoche de "
    "l’ordinateur (il ne sera plus jamais affiché). Il ouvre ce profil et toutes ses sauvegardes si la "
    f"clé du trousseau ou la phrase de passe est perdue{NBSP}: tandem recover, ou «{NBSP}Code de secours…{NBSP}» "
    "dans l’application."
)

COMES_BACK = (
    "ce que le hub détient pour votre structure\u00a0: structures, conseillers, le vivier des mentors, vos "
    "mentorés, tandems (avec leur étape et leur date de signature) et rencontres"
)
DOES_NOT_COME_BACK = (
    "les modifications faites sur ce poste et pas encore synchronisées, les chartes signées (PDF scellés) "
    "et leurs scans, l’historique local des conflits, et les réglages de ce poste (poids de la mise en "
    "relation)"
)


def code_text(code: str) -> str:
    """The block `tandem init` prints (once)."""
    return (f"Code de secours (affiché une seule fois){NBSP}:\n\n    {code}\n\n{CODE_ADVICE}")


def start_again_steps(aside: Path | None = None, device_id: str | None = None) -> str:
    """What to do after the profile was set aside, what comes back from the hub and what does not."""
    where = f"L’ancien profil est gardé, intact, dans {aside} (rien n’a été effacé).\n" if aside else ""
    old = f" {device_id}" if device_id else " (tandem-hub devices le retrouve par son nom et sa date)"
    return (
        f"{where}Pour repartir du hub{NBSP}:\n"
        "  1. créez un nouveau profil (tandem init, ou ouvrez l’application) et notez son code de secours\u00a0;\n"
        "  2. demandez un code d’enrôlement à l’administrateur du hub, puis tandem enroll --hub URL --code CODE "
        "(ou Fichier › Connexion au hub…)\u00a0;\n"
        f"  3. demandez-lui de révoquer l’ancien appareil de ce poste{old}\u00a0: tandem-hub revoke ID\u00a0;\n"
        "  4. synchronisez (tandem sync, ou automatiquement dans l’application).\n"
        f"Reviennent{NBSP}: {COMES_BACK}.\n"
        f"Ne reviennent pas{NBSP}: {DOES_NOT_COME_BACK}."
    )


@dataclass
class Recovered:
    """How a recovery ended: the key back in the keyring, or a new passphrase."""

    where: str  # "keyring" or "passphrase"

    def message(self) -> str:
        if self.where == "keyring":
            return ("Profil ouvert avec le code de secours, et sa clé est de nouveau dans le trousseau du "
                    "système\u00a0: la prochaine ouverture sera normale. Le code de secours reste valable.")
        return ("Profil ouvert avec le code de secours, et la nouvelle phrase de passe est enregistrée\u00a0: "
                "elle l’ouvrira désormais, ainsi que ses sauvegardes. Le code de secours reste valable.")


def keyring_can_take_the_key() -> bool:
    return usable_keyring() is not None


def make_opening_normal(profile: Profile, new_passphrase: str | None = None) -> Recovered:
    """After opening with the code: the key goes back to the keyring, or (no keyring here, or the
    counsellor prefers it) a new passphrase opens the profile from now on."""
    if new_passphrase is not None:
        set_new_passphrase(profile, new_passphrase)
        return Recovered("passphrase")
    put_key_back(profile)
    return Recovered("keyring")


def recover(settings: Settings, code: str, new_passphrase: str | None = None) -> Recovered:
    """Open the profile with its recovery code and make the next opening normal; nothing else changes."""
    profile = open_profile(settings.with_recovery_code(code))
    try:
        return make_opening_normal(profile, new_passphrase)  # LockedKeyring / KeyringUnreachable: told as is
    finally:
        profile.close()


def start_again_from_hub(settings: Settings) -> Path:
    """Set the unreadable profile aside (never deleted); the caller then makes a new one and enrolls."""
    return set_profile_aside(settings)
