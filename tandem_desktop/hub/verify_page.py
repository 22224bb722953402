"""The public French page that checks a charter by the number printed on it (GET /charte/{number}).

It says what GET /v1/charters/verify/{number} says, in sentences: when and by which structure's device
the charter was sealed, under which certificate, whether that device was revoked since, and the
SHA-256 of the sealed PDF with how to compare a file's. Nothing personal: no person's name, no device
name, no e-mail. Every value is escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from typing import Any

from fastapi.responses import Response

from ..texts.french import NBSP, long_date, long_datetime, quoted

TITLE = "Vérifier une charte Tandem"
STYLE = ("body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5;"
         "color:#1b1b1b}code{font-size:.95em;word-break:break-all;background:#f2f2f2;padding:0 .2em}"
         "input{font-size:1.1em;padding:.2em .4em;text-transform:uppercase}button{font-size:1.05em}"
         ".result{border-left:4px solid #2a6;padding:.2em 1em}.absent{border-left-color:#b33}")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MSG_NOT_FOUND = "Aucune charte n’a ce numéro sur ce hub."
MSG_INVALID = (f"Ce numéro ne peut pas être celui d’une charte{NBSP}: il s’écrit en huit caractères, comme "
               "K7Q4-9XPM, en tête et en pied de chaque page de la charte.")
HOW_TO_COMPARE = (f"Pour vous assurer qu’un fichier PDF est bien cette charte, comparez son empreinte SHA-256 avec "
                  f"celle ci-dessus{NBSP}: sous Linux, <code>sha256sum charte.pdf</code>{NBSP}; sous macOS, "
                  f"<code>shasum -a 256 charte.pdf</code>{NBSP}; sous Windows, "
                  "<code>certutil -hashfile charte.pdf SHA256</code>. Les deux empreintes doivent être identiques, "
                  "caractère pour caractère.")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _moment(text: str | None) -> str | None:
    """« 3 décembre 2026 à 14 h 05 » (the hub's time zone) from the hub's ISO text."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return long_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _day(text: str) -> str:
    try:
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


def describe(number: str, charter: dict[str, Any]) -> list[str]:
    """The paragraphs (HTML, escaped) about one charter of the verification answer."""
    structure = quoted(_e(charter["structure"]["name"] or charter["structure"]["id"]))
    head = f"Charte n°{NBSP}{_e(number)}{NBSP}: "
    certificate = charter.get("certificate")
    sealed_at = _moment(charter.get("sealed_at"))
    lines: list[str] = []
    if charter["mode"] == "screen" and charter.get("seal") and certificate:
        serial = f"certificat n°{NBSP}<code>{_e(certificate['serial'])}</code>"
        when = f"le {sealed_at}" if sealed_at else f"le {_day(charter['signed_on'])}"
        if charter["seal"] == "hub":
            lines.append(f"{head}scellée {when} par un appareil de la structure {structure} ({serial}, délivré par "
                         "le hub).")
        else:
            lines.append(f"{head}scellée {when} par un appareil de la structure {structure} qui n’était pas relié au "
                         f"hub ({serial}, certificat local{NBSP}: aucune autorité ne s’en porte garante).")
        lines.append(f"Empreinte SHA-256 du PDF scellé{NBSP}: <code>{_e(charter['sha256'])}</code>")
        if charter["seal"] == "hub":
            lines.append(_revocation(charter))
    elif charter["mode"] == "screen":
        lines.append(f"{head}signée à l’écran le {_day(charter['signed_on'])} dans la structure {structure}. Son PDF "
                     f"scellé n’est pas encore parvenu au hub{NBSP}: son sceau n’a pas encore été vérifié.")
        lines.append(f"Empreinte SHA-256 annoncée du PDF scellé{NBSP}: <code>{_e(charter['sha256'])}</code>")
    else:
        scan = charter.get("scan")
        deposited = _moment(scan.get("deposited_at")) if scan else None
        tail = f"scan déposé le {deposited}" if deposited else "aucun scan déposé"
        lines.append(f"{head}signée à l’encre le {_day(charter['signed_on'])} dans la structure {structure}, {tail}.")
        lines.append(f"Empreinte SHA-256 du texte de référence (PDF){NBSP}: <code>{_e(charter['sha256'])}</code>")
    return lines


def _revocation(charter: dict[str, Any]) -> str:
    if not charter.get("device_revoked"):
        return "L’appareil n’a pas été révoqué depuis."
    revoked = _moment(charter.get("revoked_at")) or "une date inconnue"
    sealed = charter.get("sealed_at")
    if sealed and charter.get("revoked_at") and charter["revoked_at"] < sealed:
        return (f"Attention{NBSP}: l’appareil avait été révoqué le {revoked}, avant ce scellement{NBSP}: ce sceau "
                "ne doit pas être tenu pour fiable.")
    return (f"L’appareil a été révoqué depuis, le {revoked}{NBSP}: la charte scellée auparavant reste valable, mais "
            "cet appareil ne scelle plus rien.")


def _form(value: str = "") -> str:
    return ('<form method="get" action="/charte"><p><label for="numero">Numéro de la charte (en tête et en pied de '
            f'chaque page)</label><br><input id="numero" name="numero" value="{_e(value)}" maxlength="20" '
            'placeholder="K7Q4-9XPM" autocomplete="off" required> <button type="submit">Vérifier</button></p></form>')


def page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>{TITLE}'
            f'</title><style>{STYLE}</style></head><body><main><h1>{TITLE}</h1>{body}</main></body></html>')
    return Response(text.encode("utf-8"), status_code=status, media_type="text/html; charset=utf-8",
                    headers={**SECURITY_HEADERS, **(headers or {})})


def form_page() -> Response:
    return page("<p>Saisissez le numéro imprimé sur la charte pour savoir ce que ce hub en sait.</p>" + _form())


def invalid_page(typed: str) -> Response:
    return page(f'<div class="result absent"><p>{_e(MSG_INVALID)}</p></div>' + _form(typed[:20]), 400)


def too_many_page(message: str, retry_after: int) -> Response:
    return page(f'<div class="result absent"><p>{_e(message)}</p></div>', 429, {"Retry-After": str(retry_after)})


def result_page(answer: dict[str, Any]) -> Response:
    number = answer["number"]
    if not answer["found"]:
        return page(f'<div class="result absent"><p>Charte n°{NBSP}{_e(number)}{NBSP}: {_e(MSG_NOT_FOUND)}</p></div>'
                    + _form())
    blocks = ["".join(f"<p>{line}</p>" for line in describe(number, charter)) for charter in answer["charters"]]
    several = ""
    if len(blocks) > 1:  # numbers are each structure's own: say so before anyone trusts the first one
        hub_seals = sum(1 for charter in answer["charters"] if charter.get("seal") == "hub")
        first = (" Une seule a un sceau délivré par le hub et vérifié par lui\u00a0: la première."
                 if hub_seals == 1 else "")
        several = (f'<p class="warning">{len(blocks)} chartes portent ce numéro sur ce hub, dans des structures '
                   f"différentes{NBSP}: vérifiez que la structure nommée est celle de votre exemplaire, et "
                   f"l’empreinte SHA-256 de votre fichier.{first}</p>")
    return page(several + "".join(f'<div class="result">{block}</div>' for block in blocks)
                + f"<p>{HOW_TO_COMPARE}</p>" + _form())
