"""A French `argparse.ArgumentParser` for `tandem`, `tandem-hub` and the app's own options.

argparse takes every word it prints itself (« usage: », « options », « show this help message and
exit », its error messages) through the module's gettext hooks `argparse._` and `argparse.ngettext`.
The parser below swaps in a French catalogue while it builds, formats and parses, and puts the hooks
back after, so nothing else in the process changes language.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from .french import NBSP

# argparse's message ids (Python 3.11–3.13) -> French. A section title ends with a no-break space:
# argparse adds the colon right after it.
CATALOGUE: dict[str, str] = {
    "usage: ": f"utilisation{NBSP}: ",
    "positional arguments": f"arguments{NBSP}",
    "options": f"options{NBSP}",
    "subcommands": f"commandes{NBSP}",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version et quitter",
    "%(prog)s: error: %(message)s\n": f"%(prog)s{NBSP}: erreur{NBSP}: %(message)s\n",
    "argument %(argument_name)s: %(message)s": f"argument %(argument_name)s{NBSP}: %(message)s",
    "the following arguments are required: %s": f"arguments obligatoires manquants{NBSP}: %s",
    "unrecognized arguments: %s": f"arguments non reconnus{NBSP}: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": f"choix invalide{NBSP}: %(value)r (possibles{NBSP}: "
                                                           "%(choices)s)",
    "invalid %(type)s value: %(value)r": f"valeur invalide{NBSP}: %(value)r",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "not allowed with argument %s": "incompatible avec l’argument %s",
    "one of the arguments %s is required": "l’un des arguments %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s": f"option ambiguë{NBSP}: %(option)s peut désigner "
                                                            "%(matches)s",
    "ignored explicit argument %r": f"valeur ignorée{NBSP}: %r",
    "unexpected option string: %s": f"option inattendue{NBSP}: %s",
    "can't open '%(filename)s': %(error)s": f"impossible d’ouvrir «{NBSP}%(filename)s{NBSP}»{NBSP}: %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": f"commande inconnue{NBSP}: %(parser_name)r "
                                                             f"(possibles{NBSP}: %(choices)s)",
}
PLURALS: dict[str, tuple[str, str]] = {
    "expected %s argument": ("%s valeur attendue", "%s valeurs attendues"),
}

def french(message: str) -> str:
    return CATALOGUE.get(message, message)


def french_plural(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return forms[0] if n < 2 else forms[1]  # French: 0 and 1 take the singular


@contextmanager
def speaking_french() -> Iterator[None]:
    """argparse's own words in French for the duration (nests; the hooks are restored after). Command
    lines are parsed on the main thread, before any worker starts."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = french, french_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _in_french(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with speaking_french():
            return method(*args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class FrenchArgumentParser(argparse.ArgumentParser):
    """Everything argparse writes itself, in French; sub-commands get the same class."""

    __init__ = _in_french(argparse.ArgumentParser.__init__)
    add_subparsers = _in_french(argparse.ArgumentParser.add_subparsers)
    add_argument_group = _in_french(argparse.ArgumentParser.add_argument_group)
    parse_args = _in_french(argparse.ArgumentParser.parse_args)  # type: ignore[assignment]
    parse_known_args = _in_french(argparse.ArgumentParser.parse_known_args)  # type: ignore[assignment]
    format_usage = _in_french(argparse.ArgumentParser.format_usage)
    format_help = _in_french(argparse.ArgumentParser.format_help)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if kwargs.get("action") == "version":
            kwargs.setdefault("help", CATALOGUE["show program's version number and exit"])
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        with speaking_french():
            super().error(message)

