"""`tandem`, `tandem-hub` and the app's options speak French everywhere, argparse's own words included
(« usage: », « options », « show this help message and exit », its errors): every command's --help and
a usage error of each, in-process."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

import pytest

from tandem_desktop import app, cli
from tandem_desktop.cli.commands import build_parser
from tandem_desktop.hub import cli as hub_cli

NBSP = "\u00a0"
ENGLISH = ("usage:", "show this help", "positional arguments", "options:", "error:", "the following arguments",
           "unrecognized arguments", "invalid choice", "expected one argument", "subcommands", "choose from",
           "invalid int value", "required")


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path of a parser tree: (), ("match",), ("match", "propose")…"""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def english(text: str) -> list[str]:
    return [word for word in ENGLISH if word in text]


PROGRAMS: list[tuple[str, Callable[[], argparse.ArgumentParser], Callable[[list[str]], int]]] = [
    ("tandem", build_parser, cli.main),
    ("tandem-hub", hub_cli._parser, hub_cli.main),
]


@pytest.mark.parametrize(("prog", "parser", "main"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_every_help_and_usage_error_is_french(prog: str, parser: Callable[[], argparse.ArgumentParser],
                                              main: Callable[[list[str]], int],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    paths = list(commands(parser()))
    assert len(paths) > 8
    for path in paths:
        capsys.readouterr()
        assert main([*path, "--help"]) == 0, path
        out, err = capsys.readouterr()
        assert out.startswith(f"utilisation{NBSP}: {' '.join((prog, *path))}"), (path, out[:80])
        assert f"options{NBSP}:" in out and "afficher cette aide et quitter" in out, path
        assert not english(out + err), (path, english(out + err))

        assert main([*path, "--pas-une-option"]) == 2, path
        out, err = capsys.readouterr()
        assert out == "" and err.startswith(f"utilisation{NBSP}: "), (path, err)
        assert f"erreur{NBSP}: " in err and not english(err), (path, err)
        assert "Traceback" not in err


def test_usage_errors_name_what_is_wrong_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (hub_cli.main, ["counsellor", "add", "Inès"],
         f"tandem-hub counsellor add{NBSP}: erreur{NBSP}: arguments obligatoires manquants{NBSP}: --structure, EMAIL"),
        (hub_cli.main, ["serve", "--port", "x"], f"argument --port{NBSP}: valeur invalide{NBSP}: 'x'"),
        (hub_cli.main, ["frob"], f"argument COMMANDE{NBSP}: choix invalide{NBSP}: 'frob' (possibles{NBSP}: 'serve',"),
        (cli.main, ["match"], f"tandem match{NBSP}: erreur{NBSP}: arguments obligatoires manquants{NBSP}: ACTION"),
        (cli.main, ["match", "propose", "--mode", "tout"], f"choix invalide{NBSP}: 'tout' (possibles{NBSP}: 'best', "
                                                           "'most')"),
        (cli.main, ["match", "suggest", "--mentee"], f"argument --mentee{NBSP}: une valeur est attendue"),
        (cli.main, ["match", "suggest", "--mentee", "a", "--mentor", "b"],
         "argument --mentor: incompatible avec l’argument --mentee".replace(": ", f"{NBSP}: ")),
    ]
    for main, argv, expected in cases:
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert expected in err, (argv, err)


def test_the_app_options_are_french_and_argparse_is_left_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    out = capsys.readouterr().out
    assert out.startswith(f"utilisation{NBSP}: tandem-desktop") and not english(out)
    plain = argparse.ArgumentParser(prog="autre")  # another parser of the process keeps argparse's words
    assert plain.format_help().startswith("usage: autre")
