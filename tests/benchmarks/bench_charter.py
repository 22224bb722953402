"""Charter benchmark: one unsigned charter, one charter with three drawn signatures sealed, 100 sealed.

A plain script (not a test); prints one JSON line. Targets (issue #5): generate_ms < 100, seal_ms < 250,
batch_100_s < 20, size_kb < 200 (a sealed charter); (issue #14, charter_transfer.py) sync_100_charters_s
< 10 through a hub on 127.0.0.1, with its ratio to a bare HTTP copy of the same bytes, and
resume_resent_bytes ≤ one chunk after a cut at half of a 20 MB scan. Baselines in the same run, reported as ratios:
`baseline_doc_ms`, a bare three-page ReportLab document with the same embedded font, and
`baseline_seal_ms`, pyHanko sealing that bare document with the same key.

    .venv/bin/python tests/benchmarks/bench_charter.py [--samples N] [--batch N] [--no-sync]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script from anywhere

import keyring
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

from tandem_desktop.charter import fonts
from tandem_desktop.charter.render import Signature
from tandem_desktop.charter.seal import seal_pdf
from tandem_desktop.services.charters import CharterService
from tandem_desktop.services.records import Actor, Records
from tandem_desktop.settings import load_settings
from tandem_desktop.store.profile import init_profile
from tests.benchmarks import charter_transfer
from tests.memory_keyring import MemoryKeyring  # the OS keyring is outside the program


def strokes(seed: int) -> list[list[tuple[float, float]]]:
    """A plausible handwritten signature: three strokes of 60 points each."""
    out = []
    for s in range(3):
        out.append([(0.05 + 0.9 * i / 59, 0.5 + 0.3 * math.sin(i / 4 + seed + s) * (1 - s * 0.2)) for i in range(60)])
    return out


def make_tandems(store, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    structure = store.create("structure", {"name": "Mission locale de Marseille", "type": "mission_locale",
                                           "commune": "Marseille", "postal_code": "13001",
                                           "email": "contact@ml-marseille.example"})
    counsellor = store.create("counsellor", {"first_name": "Nadia", "last_name": "Ferhat", "structure_id": structure,
                                             "email": "nadia.ferhat@ml-marseille.example"})
    ids = []
    for n in range(count):
        mentor = store.create("mentor", {"first_name": "Hélène", "last_name": f"Durand-Œuvray {n}",
                                         "employer": "CMA CGM", "job_title": "Responsable comptable",
                                         "capacity": 1, "consent_given": True})
        mentee = store.create("mentee", {"first_name": "Inès", "last_name": f"Benali {n}", "consent_given": True,
                                         "structure_id": structure, "counsellor_id": counsellor})
        ids.append(Records(store, Actor()).create("tandem", {
            "mentor_id": mentor, "mentee_id": mentee, "counsellor_id": counsellor, "structure_id": structure,
            "duration_months": 6, "objectives": "Préparer les entretiens d’embauche et élargir le réseau.",
        }).record_id)
    return ids


def baseline_document() -> bytes:
    fonts.register_fonts()
    style = ParagraphStyle("b", fontName=fonts.REGULAR, fontSize=10.5, leading=14)
    text = "Le mentor s’engage à rencontrer le ou la mentoré·e au moins une fois par mois « en confiance ». " * 12
    story = []
    for page in range(3):
        story += [Paragraph(text, style) for _ in range(5)]
        if page < 2:
            story.append(PageBreak())
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, invariant=1).build(story)
    return out.getvalue()


def median_ms(action, samples: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-sync", action="store_true", help="without the charters' transfer through a hub")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as tmp:
        profile = init_profile(load_settings(Path(tmp) / "profil", environ={}))
        store = profile.store
        tandems = make_tandems(store, args.batch + args.samples + 2)
        service = CharterService(store)
        service.generate(tandems[0])  # fonts, template and styles loaded once, as in the app
        identity = service.identity()
        generate_ms = median_ms(lambda: service.generate(tandems[0]), args.samples)
        baseline = baseline_document()
        baseline_doc_ms = median_ms(baseline_document, args.samples)
        baseline_seal_ms = median_ms(lambda: seal_pdf(baseline, identity), args.samples)
        pending = iter(tandems[1:])
        signed = [Signature(p, strokes(i)) for i, p in enumerate(("mentee", "mentor", "counsellor"))]
        seal_ms = median_ms(lambda: service.seal(next(pending), signed), args.samples)
        started = time.perf_counter()
        last = None
        for tandem_id in list(pending)[:args.batch]:
            last = service.seal(tandem_id, signed)
        batch_s = time.perf_counter() - started
        size = len(service.pdf(last.id)) if last else 0
        pages = len(PdfReader(io.BytesIO(service.pdf(last.id))).pages) if last else 0
        profile.close()
    transfer = {} if args.no_sync else charter_transfer.measure(make_tandems, signed, args.batch)
    print(json.dumps({
        "generate_ms": round(generate_ms, 1), "seal_ms": round(seal_ms, 1), "batch_100_s": round(batch_s, 2),
        "batch_size": args.batch, "size_kb": round(size / 1024, 1), "sealed_pages": pages,
        "baseline_doc_ms": round(baseline_doc_ms, 1), "baseline_seal_ms": round(baseline_seal_ms, 1),
        "generate_ratio": round(generate_ms / baseline_doc_ms, 2),
        "seal_ratio": round(seal_ms / (baseline_doc_ms + baseline_seal_ms), 2),
        "self_signed": identity.self_signed, "samples": args.samples, **transfer,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
