"""How the `tandem` command fails: French refusals of unusable arguments, and the last resort.

A failure nobody foresaw still gets a French message and exit 70, never a traceback; its technical
trace (code locations only, no personal data) goes to the profile's field log, logs/tandem.log.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..diagnostics import LOG_NAME, logs_dir
from ..settings import Settings
from ..texts.french import NBSP

EXIT_UNEXPECTED = 70  # EX_SOFTWARE (sysexits.h)
log = logging.getLogger("tandem_desktop.cli")


def not_utf8(argv: Sequence[str]) -> str | None:
    """The French refusal for an argument holding bytes that are not UTF-8 (lone surrogates in argv)."""
    for number, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")[:80]
            return (f"tandem{NBSP}: erreur{NBSP}: l’argument n°{NBSP}{number} («{NBSP}{shown}{NBSP}») contient des "
                    "octets qui ne sont pas du texte UTF-8. Corrigez la valeur (ou renommez le fichier), "
                    "puis réessayez. Rien n’a été modifié.")
    return None


def command_name(args: argparse.Namespace | None) -> str:
    if args is None:
        return ""
    parts = [getattr(args, "command", None), getattr(args, "match_command", None),
             getattr(args, "charter_command", None)]
    return " ".join(p for p in parts if p)


def unexpected(error: BaseException, args: argparse.Namespace | None, settings: Settings | None) -> int:
    """Last resort: a French message, never a traceback; the trace goes to the profile's field log."""
    log.critical("unexpected %s in command %s", type(error).__name__, command_name(args) or "?", exc_info=error)
    logged = logs_dir(settings.data_dir) / LOG_NAME if settings else None
    logged = logged if logged is not None and logged.is_file() else None
    where = f" Détails techniques (sans données personnelles){NBSP}: {logged}." if logged else ""
    print(f"Erreur inattendue ({type(error).__name__}){NBSP}: l’opération s’est arrêtée avant la fin. Les "
          f"enregistrements déjà validés sont intacts.{where} Réessayez{NBSP}; si l’erreur revient, "
          "signalez-la avec ce fichier.", file=sys.stderr)
    return EXIT_UNEXPECTED


