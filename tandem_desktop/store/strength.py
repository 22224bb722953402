"""How hard a new passphrase is to guess, with a French hint when it is too easy.

Why it matters: profile.json holds the scrypt salt and a check value, so a thief with the laptop (or
a copy of the profile folder) can test guesses offline, as fast as his hardware runs scrypt, without
any lock-out. Only the number of guesses a passphrase needs protects it.

The estimate is zxcvbn's (dictionaries of common passwords, names, keyboard patterns, dates,
sequences, repeats), fed with French and Tandem-specific words it does not know (« motdepasse »,
« marseille », « mentorat », the profile folder's name…). We refuse any score below 4, i.e. any
passphrase zxcvbn expects to fall in fewer than 10^10 guesses: with scrypt at N=2^17, r=8 (128 MiB,
about 0.5 s per guess on a laptop core, a few hundred per second on a gaming GPU), 10^8 guesses
(score 3) is days of one GPU, 10^10 is years. Four ordinary words pass easily; « 12345678 »,
« Marseille2024 » or « motdepasse1 » do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..texts.french import NBSP

MIN_SCORE = 4  # zxcvbn score 4: at least 10^10 guesses expected
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a longer passphrase is at least as strong as its start

# Words zxcvbn's (English) lists miss, most guessable first: what a French counsellor of the Tandem
# network would be tempted to use. Lower case, accents dropped too (zxcvbn compares lower case only).
COMMON_WORDS = (
    "motdepasse", "azerty", "azertyuiop", "azerty123", "qsdfghjklm", "wxcvbn", "mdp", "soleil", "bonjour",
    "bonsoir", "salut", "coucou", "amour", "jetaime", "doudou", "chouchou", "loulou", "bisous", "chaton",
    "princesse", "marseille", "olympique", "om", "velodrome", "provence", "france", "paris", "aix",
    "aixenprovence", "aubagne", "toulon", "nice", "secret", "famille", "maison", "travail", "bureau",
    "emploi", "ordinateur", "portable", "vacances", "tandem", "mentorat", "mentor", "mentore", "mentoree",
    "parrain", "marraine", "parrainage", "conseiller", "conseillere", "mission", "locale", "missionlocale",
    "cci", "ccimp", "adie", "francetravail", "poleemploi", "structure", "chiffrement", "profil",
    "phrasedepasse", "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
    "dimanche",
)

_LEVELS = ("très faible", "très faible", "faible", "moyenne", "bonne")

_WARNINGS = {
    "Straight rows of keys are easy to guess.": "une rangée de touches (azerty, 12345…) se devine tout de suite.",
    "Short keyboard patterns are easy to guess.": "un motif de clavier court se devine tout de suite.",
    'Repeats like "aaa" are easy to guess.': f"une répétition comme «{NBSP}aaa{NBSP}» se devine tout de suite.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        f"répéter un mot («{NBSP}abcabc{NBSP}») ne le rend guère plus difficile à deviner.",
    'Sequences like "abc" or "6543" are easy to guess.':
        f"une suite comme «{NBSP}abc{NBSP}» ou «{NBSP}6543{NBSP}» se devine tout de suite.",
    "Recent years are easy to guess.": "une année récente se devine facilement.",
    "Dates are often easy to guess.": "une date se devine facilement.",
    "This is a top-10 common password.": "c'est l'un des dix mots de passe les plus utilisés.",
    "This is a top-100 common password.": "c'est l'un des cent mots de passe les plus utilisés.",
    "This is a very common password.": "c'est un mot de passe très courant.",
    "This is similar to a commonly used password.": "cela ressemble à un mot de passe très courant.",
    "A word by itself is easy to guess.": "un mot seul se devine facilement.",
    "Names and surnames by themselves are easy to guess.": "un prénom ou un nom seul se devine facilement.",
    "Common names and surnames are easy to guess.": "les prénoms et noms courants se devinent facilement.",
}
ADVICE = ("Choisissez plutôt une phrase d'au moins quatre mots sans lien entre eux, sans suite de touches, "
          "date, prénom ni mot très courant (les majuscules, chiffres et symboles ajoutés n'aident guère).")


@dataclass(frozen=True)
class Strength:
    score: int  # zxcvbn's 0–4
    guesses_log10: float
    warning: str  # French, may be empty

    @property
    def acceptable(self) -> bool:
        return self.score >= MIN_SCORE

    @property
    def level(self) -> str:
        """« très faible », « faible », « moyenne », « bonne »: for the live hint."""
        return _LEVELS[self.score] if not self.acceptable else "bonne"

    def hint(self) -> str:
        """What to do instead, in French: the precise reason first when zxcvbn gives one."""
        if self.acceptable:
            return ""
        reason = self.warning[:1].upper() + self.warning[1:] + " " if self.warning else ""
        return reason + ADVICE


def _folded(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def estimate(passphrase: str, context: Iterable[str] = ()) -> Strength:
    """zxcvbn's estimate of `passphrase`, counting `context` (profile folder name…) as known words."""
    from zxcvbn import zxcvbn  # here: its dictionaries take a moment to load, needed only to choose one

    extra = [w for w in context if w]
    words = [*extra, *(_folded(w) for w in extra), *COMMON_WORDS]
    result = zxcvbn(passphrase[:_ZXCVBN_MAX], user_inputs=words)
    folded = _folded(passphrase[:_ZXCVBN_MAX])
    if folded != passphrase[:_ZXCVBN_MAX].lower():  # « mentorée » must count as « mentoree »
        other = zxcvbn(folded, user_inputs=words)
        if other["guesses"] < result["guesses"]:
            result = other
    warning = _WARNINGS.get(result["feedback"].get("warning") or "", "")
    if not warning and result["score"] < MIN_SCORE:
        warning = "elle est trop courte ou trop prévisible."
    return Strength(int(result["score"]), float(result["guesses_log10"]), warning)
