"""Showing a credential: the certificate PDF, the badge SVG and its baked copy, CPU per item.

    .venv/bin/python bench/certificate.py [--n 50]

No database, no HTTP: the pure rendering in ``credentials.certificate`` and
``credentials.badge``, on distinct certificates (titles, learners, outcomes in Dutch
with accents). Best of three passes, CPU time of one core; the server renders a PDF
in a worker thread, so this is also how long one download keeps a core busy.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from credentials.badge import badge_svg, bake  # noqa: E402
from credentials.certificate import Certificate, render_pdf  # noqa: E402


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase + "éëï") for _ in range(rng.randint(3, 12)))


def _certificate(rng: random.Random, i: int) -> Certificate:
    return Certificate(
        title=" ".join(_word(rng) for _ in range(rng.randint(3, 9))).capitalize(),
        learner=f"{_word(rng).capitalize()} {_word(rng).capitalize()}",
        institution="UC Leuven-Limburg", issued=date(2025, 12, 19), ects=rng.choice([2, 3, 4.5]),
        eqf=str(rng.randint(5, 7)),
        outcomes=[" ".join(_word(rng) for _ in range(12)) for _ in range(rng.randint(2, 6))],
        credential_id=f"https://academy.example/api/v1/credentials/{i:08d}",
        status=rng.choice(["valid", "valid", "revoked"]),
        short_url=f"https://academy.example/s/shr_{i:022d}", colour="#00586f")


def _best(label: str, run, items: list, passes: int = 3) -> None:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(passes):
        start = time.process_time()
        for item in items:
            run(item)
        best = min(best, (time.process_time() - start) / len(items))
    print(f"{label:<28} {best * 1000:8.2f} ms/item  {1 / best:8.0f}/s on one core")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    n = parser.parse_args().n
    rng = random.Random(17)
    certificates = [_certificate(rng, i) for i in range(n)]
    signed = b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "x"}' * 40
    _best("certificate PDF (nl)", lambda c: render_pdf(c, "nl"), certificates)
    _best("badge SVG", lambda c: badge_svg(c.title, c.institution, c.colour), certificates)
    _best("baked badge SVG (3 KB VC)",
          lambda c: bake(badge_svg(c.title, c.institution, c.colour), signed), certificates)


if __name__ == "__main__":
    main()
