"""Start-up of a profile in the window: create it or open it, whatever state the keyring is in.

A locked keyring is never a dead end: creating offers « Réessayer » (once unlocked) or a passphrase;
opening offers « Réessayer » or the recovery code. A key really gone offers the recovery code, then
« Repartir du hub » when even that is lost. After the window is up: the recovery code of a new
profile is shown once and confirmed; after a recovery, the key goes back to the keyring (or a new
passphrase is chosen); an older profile without a code is told so and gets one from the menu.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ..services import keys as key_service
from ..settings import Settings
from ..store.errors import KeyringUnreachable, KeyUnavailable, LockedKeyring, StoreError, WeakPassphrase, WrongKey
from ..store.profile import Profile, init_profile, new_recovery_code, open_profile, profile_exists, read_meta
from .display import NBSP
from .key_dialogs import AfterRecoveryDialog, KeyProblemDialog, RecoveryCodeDialog, RecoveryEntryDialog
from .passphrase import PassphraseDialog
from .tasks import TaskRunner

APP_TITLE = "Tandem Desktop"
MSG_NO_CODE = (f"Ce profil n’a pas encore de code de secours{NBSP}: sans lui, une clé perdue fait perdre le profil et "
               "ses sauvegardes. Fichier › Code de secours… pour en créer un.")
LOCKED_INTRO = (f"Le trousseau du système est inaccessible{NBSP}: la clé de ce nouveau profil ne peut pas y être "
                "rangée. Protégez-le plutôt par une phrase de passe de plusieurs mots, difficile à deviner (elle sera "
                "demandée à chaque ouverture). Un code de secours vous sera remis ensuite.")


def _run(dialog: PassphraseDialog | KeyProblemDialog | RecoveryEntryDialog) -> Profile | None:
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.profile
    if dialog.failure is not None:
        raise dialog.failure
    return None


def open_or_create(settings: Settings, runner: TaskRunner) -> Profile | None:
    """The profile to work on; None if the counsellor left. Raises StoreError (profile open
    elsewhere, damaged, newer schema…) for the caller to report."""
    if not profile_exists(settings):
        return create(settings, runner)
    if settings.recovery_code:
        return open_profile(settings)
    meta = read_meta(settings)
    if meta.key_source == "keyring":
        try:
            return open_profile(settings)
        except (LockedKeyring, KeyringUnreachable, KeyUnavailable) as exc:
            return key_problem(settings, runner, exc, has_code=meta.recovery is not None)
    return unlock_with_passphrase(settings, runner, has_code=meta.recovery is not None)


def create(settings: Settings, runner: TaskRunner) -> Profile | None:
    location = str(settings.data_dir)
    first_error = ""
    if settings.passphrase is not None or (settings.use_keyring and key_service.keyring_can_take_the_key()):
        try:
            return init_profile(settings)  # keyring: silent; passphrase from the environment or a file
        except (LockedKeyring, KeyringUnreachable) as exc:
            dialog = KeyProblemDialog(exc, runner, lambda: init_profile(settings), creating=True)
            profile = _run(dialog)
            if profile is not None or dialog.choice != "passphrase":
                return profile
            return _new_passphrase(replace(settings, use_keyring=False), runner, location, LOCKED_INTRO, "")
        except WeakPassphrase as exc:  # a weak TANDEM_PASSPHRASE: let the counsellor choose a better one
            first_error = str(exc)
    return _new_passphrase(settings, runner, location, "", first_error)


def _new_passphrase(settings: Settings, runner: TaskRunner, location: str, intro: str, error: str) -> Profile | None:
    dialog = PassphraseDialog(lambda p: init_profile(settings.with_passphrase(p)), runner, create=True,
                              location=location, intro=intro)
    if error:
        dialog.show_error(error)
    return _run(dialog)


def unlock_with_passphrase(settings: Settings, runner: TaskRunner, has_code: bool) -> Profile | None:
    wrong: str | None = None
    if settings.passphrase is not None:
        try:
            return open_profile(settings)
        except WrongKey as exc:
            wrong = str(exc)  # a wrong TANDEM_PASSPHRASE: let the counsellor type the right one
    dialog = PassphraseDialog(lambda p: open_profile(settings.with_passphrase(p)), runner, create=False,
                              location=str(settings.data_dir), offer_recovery=has_code)
    if wrong:
        dialog.show_error(wrong)
    profile = _run(dialog)
    if profile is None and dialog.wants_recovery:
        return recover(settings, runner)
    return profile


def key_problem(settings: Settings, runner: TaskRunner, error: StoreError, has_code: bool) -> Profile | None:
    dialog = KeyProblemDialog(error, runner, lambda: open_profile(settings), has_code=has_code)
    profile = _run(dialog)
    if profile is not None:
        return profile
    if dialog.choice == "recovery":
        return recover(settings, runner)
    if dialog.choice == "restart":
        return start_again_from_hub(settings, runner)
    return None


def recover(settings: Settings, runner: TaskRunner) -> Profile | None:
    dialog = RecoveryEntryDialog(lambda code: open_profile(settings.with_recovery_code(code)), runner)
    return _run(dialog)


def start_again_from_hub(settings: Settings, runner: TaskRunner, parent: QWidget | None = None) -> Profile | None:
    """Both the key and the code are lost: set the profile aside (never deleted), make a new one."""
    text = (f"Ce profil ne peut plus être ouvert. Il sera mis de côté, intact (rien n’est effacé), et un nouveau "
            f"profil sera créé, à relier au hub avec un nouveau code d’enrôlement.\n\n"
            f"Reviendront{NBSP}: {key_service.COMES_BACK}.\n"
            f"Ne reviendront pas{NBSP}: {key_service.DOES_NOT_COME_BACK}.\n\nContinuer{NBSP}?")
    answer = QMessageBox.question(parent, APP_TITLE, text)
    if answer != QMessageBox.StandardButton.Yes:
        return None
    aside = key_service.start_again_from_hub(settings)
    profile = create(settings.with_recovery_code(None), runner)
    if profile is not None:
        QMessageBox.information(parent, APP_TITLE, key_service.start_again_steps(aside))
    return profile


# -- once the profile is open ---------------------------------------------------------------------


def show_recovery_code(code: str, location: str, parent: QWidget | None = None) -> None:
    RecoveryCodeDialog(code, location, parent).exec()


def after_open(profile: Profile, runner: TaskRunner, parent: QWidget | None = None) -> str:
    """The steps that follow an opening; returns a message for the status bar ('' if none)."""
    location = str(profile.settings.data_dir)
    if profile.recovery_code:
        show_recovery_code(profile.recovery_code, location, parent)
        profile.recovery_code = None  # shown once
    if profile.opened_with == "recovery":
        return make_opening_normal(profile, runner, parent)
    if profile.meta.recovery is None:
        return MSG_NO_CODE
    return ""


def make_opening_normal(profile: Profile, runner: TaskRunner, parent: QWidget | None = None) -> str:
    dialog = AfterRecoveryDialog(key_service.keyring_can_take_the_key(), parent)
    dialog.exec()
    if dialog.choice == "keyring":
        try:
            return key_service.make_opening_normal(profile).message()
        except (LockedKeyring, KeyringUnreachable) as exc:
            QMessageBox.warning(parent, APP_TITLE, f"{exc} Le code de secours reste valable.")
            return ""
    if dialog.choice == "passphrase":

        def attempt(passphrase: str) -> Profile:
            key_service.make_opening_normal(profile, passphrase)
            return profile

        chosen = PassphraseDialog(attempt, runner, create=True, location=location_of(profile), parent=parent,
                                  intro="Choisissez la nouvelle phrase de passe de ce profil (plusieurs mots, "
                                        "difficile à deviner). Elle l’ouvrira désormais, ainsi que ses sauvegardes.")
        if chosen.exec() == QDialog.DialogCode.Accepted:
            return key_service.Recovered("passphrase").message()
    return f"Profil ouvert avec le code de secours{NBSP}; il le sera encore à la prochaine ouverture."


def location_of(profile: Profile) -> str:
    return str(profile.settings.data_dir)


def install_recovery_action(window: QWidget, file_menu: object, before: QAction, profile: Profile,
                            runner: TaskRunner, show_message: object) -> QAction:
    """Fichier › Code de secours…: a new code for the open profile (the old one stops working)."""
    action = QAction("Code de &secours…", window)
    action.setObjectName("action_recovery_code")

    def made(code: str) -> None:
        show_recovery_code(code, location_of(profile), window)
        show_message("Nouveau code de secours enregistré. L’ancien ne sert plus.")  # type: ignore[operator]

    def trigger() -> None:
        if profile.meta.recovery is not None:
            answer = QMessageBox.question(window, APP_TITLE, (
                f"Créer un nouveau code de secours{NBSP}? L’ancien ne servira plus{NBSP}: détruisez la feuille "
                "qui le porte."))
            if answer != QMessageBox.StandardButton.Yes:
                return
        runner.submit(lambda: new_recovery_code(profile), on_done=made,
                      on_error=lambda exc: show_message(str(exc)))  # type: ignore[operator]

    action.triggered.connect(trigger)
    file_menu.insertAction(before, action)  # type: ignore[attr-defined]
    return action
