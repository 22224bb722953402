"""Start-up of the desktop application: settings, Qt, the profile (created or unlocked), the window.

Everything is built here and passed down; nothing lives in module-level state.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from .domain.errors import DomainError
from .gui.integrity import IntegrityWatch, ask_restore_at_start, run_with_progress
from .gui.main_window import MainWindow
from .gui.passphrase import PassphraseDialog
from .gui.sync_controller import SyncController
from .gui.sync_service import load_sync_service
from .gui.tasks import TaskRunner
from .services.backup import restore_profile
from .settings import Settings, default_data_dir, load_settings
from .store.errors import CorruptDatabase, StoreError, WrongKey
from .store.keys import usable_keyring
from .store.profile import Profile, init_profile, open_profile, profile_exists, read_meta

APP_TITLE = "Tandem Desktop"


class _FrenchHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix="Utilisation\u00a0: ")


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (e.g. Qt's -platform) is left for QApplication."""
    parser = argparse.ArgumentParser(
        prog="tandem-desktop", description="Tandem Desktop\u00a0: les fiches des mentors, mentorés et tandems.",
        formatter_class=_FrenchHelp, add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    parser.add_argument("--data-dir", metavar="DOSSIER",
                        help="dossier du profil (par défaut celui de l'utilisateur\u00a0; aussi TANDEM_DATA_DIR)")
    parser.add_argument("--passphrase-file", metavar="FICHIER",
                        help="fichier contenant la phrase de passe (aussi TANDEM_PASSPHRASE)")
    return parser.parse_known_args(argv)


def make_application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication, in French: locale, and Qt's own strings (Oui/Non, Annuler…) translated."""
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tandem-desktop", *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("TandemDesktop")
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName("Tandem")
    french = QLocale(QLocale.Language.French, QLocale.Country.France)
    QLocale.setDefault(french)
    if app.findChild(QTranslator, "qtbase_fr") is None:
        translator = QTranslator(app)
        translator.setObjectName("qtbase_fr")
        if translator.load(french, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(translator)
    return app


def open_or_create(settings: Settings, runner: TaskRunner) -> Profile | None:
    """The profile to work on; None if the counsellor closed the passphrase dialog.

    Raises StoreError (locked, damaged, newer schema…) for the caller to report.
    """
    location = str(settings.data_dir)
    if not profile_exists(settings):
        if settings.passphrase is not None or (settings.use_keyring and usable_keyring() is not None):
            return init_profile(settings)  # keyring: silent; passphrase from the environment or a file
        dialog = PassphraseDialog(lambda p: init_profile(settings.with_passphrase(p)), runner, create=True,
                                  location=location)
        return _run(dialog)
    meta = read_meta(settings)
    wrong: str | None = None
    if meta.key_source != "passphrase" or settings.passphrase is not None:
        try:
            return open_profile(settings)
        except WrongKey as exc:
            if meta.key_source != "passphrase":
                raise
            wrong = str(exc)  # a wrong TANDEM_PASSPHRASE: let the counsellor type the right one
    dialog = PassphraseDialog(lambda p: open_profile(settings.with_passphrase(p)), runner, create=False,
                              location=location)
    if wrong:
        dialog.show_error(wrong)
    return _run(dialog)


def _run(dialog: PassphraseDialog) -> Profile | None:
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.profile
    if dialog.failure is not None:
        raise dialog.failure
    return None


def report_fatal(message: str) -> None:
    QMessageBox.critical(None, APP_TITLE, message)


def restore_backup(settings: Settings, backup: object) -> bool:
    """Swap `backup` in (the profile is closed), with a busy dialog; False after telling why it failed."""
    try:
        run_with_progress(lambda: restore_profile(settings, backup), "Restauration de la sauvegarde…")
    except StoreError as exc:
        report_fatal(str(exc))
        return False
    return True


def _offer_restore(error: CorruptDatabase, settings: Settings) -> bool:
    """A damaged database refused at open: offer its latest sound backup; True once it is restored."""
    if error.backup is None:
        return False
    when = f" du {error.backup_date}" if error.backup_date else ""
    message = (f"Le fichier de données {error.path} est endommagé ou n'est pas une base Tandem. Il n'a pas été "
               f"modifié.\n\nDernière sauvegarde saine{when}. La restaurer\u00a0? La base endommagée sera "
               "conservée dans le dossier backups/ du profil.")
    return ask_restore_at_start(message, error.backup) and restore_backup(settings, error.backup)


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    app = make_application(qt_args)
    try:
        settings = load_settings(args.data_dir, args.passphrase_file)
    except OSError as exc:
        report_fatal(f"Fichier de phrase de passe illisible\u00a0: {exc}")
        return 2
    except DomainError as exc:  # TANDEM_KDF_LOG2N, a passphrase file that is not text…
        report_fatal(str(exc))
        return 2
    for _attempt in range(3):  # a restore of the latest sound backup opens the profile again
        runner = TaskRunner()
        try:
            profile = open_or_create(settings, runner)
        except CorruptDatabase as exc:
            runner.shutdown()
            if _offer_restore(exc, settings):
                continue
            report_fatal(str(exc))
            return 1
        except StoreError as exc:
            report_fatal(str(exc))
            runner.shutdown()
            return 1
        if profile is None:
            runner.shutdown()
            return 0
        code, backup = _run_window(app, settings, profile, runner)
        if backup is None:
            return code
        if not restore_backup(settings, backup):
            return 1
    return 1


def _run_window(app: QApplication, settings: Settings, profile: Profile, runner: TaskRunner) -> tuple[int, object]:
    """Show the window until it closes; (exit code, the backup to restore if the counsellor chose one)."""
    chosen: list[object] = []
    try:
        custom = settings.data_dir != default_data_dir()  # say which profile when it is not the usual one
        service = load_sync_service()  # None in a build without sync: the window then has no sync parts
        sync = SyncController(profile, runner, service) if service is not None else None
        window = MainWindow(profile.store, runner, subtitle=settings.data_dir.name if custom else "", sync=sync)
        watch = IntegrityWatch(profile, runner, window)
        watch.restore_requested.connect(lambda backup: window.close() and chosen.append(backup))
        window.show()
        if sync is not None:
            sync.start()
        watch.start()
        code = app.exec()
    finally:
        runner.shutdown()
        profile.close()
    return code, (chosen[0] if chosen else None)
