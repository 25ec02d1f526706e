"""The printable certificate of a credential: one A4 page, in Dutch or English.

It shows what an employer reads on paper: the title, the learner, the institution, the
date, ECTS, the EQF level and the learning outcomes, the badge, and a QR code to a live
share link, printed beside it as a short URL someone can type. A revoked (suspended)
credential's certificate says REVOKED (SUSPENDED) across the page.

**Why fpdf2.** It is pure Python (``py3-none-any`` wheel; its dependencies fontTools,
defusedxml and Pillow have wheels for every platform PyPI serves), so ``pip install``
is all a fresh machine needs; ReportLab's accelerator and WeasyPrint's Pango are native
code a wheel may not cover. **Why Lato** (``font-lato``, a wheel holding the OFL font
files): a TrueType font embedded as a subset covers Dutch (é, ë, ï), the rest of Latin
Extended-A (ł, ř, ő) and keeps the PDF's text extractable; the PDF core fonts know
only cp1252. A character Lato lacks is written without its accent, else as "?",
never dropped silently.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import font_lato
import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF

from credentials.badge import title_lines

__all__ = ["Certificate", "certificate_from", "outcomes_of", "render_pdf"]

# fontTools narrates every subsetting step at INFO: a dozen log lines per PDF, none useful.
logging.getLogger("fontTools").setLevel(logging.WARNING)

LABELS = {
    "nl": {
        "kicker": "Certificaat", "awarded": "uitgereikt aan", "by": "door",
        "on": "op", "ects": "Studiepunten (ECTS)", "eqf": "EQF-niveau", "date": "Datum",
        "id": "Credential-id", "outcomes": "Leerresultaten",
        "verify": "Controleer dit certificaat online: scan de QR-code of ga naar",
        "revoked": "INGETROKKEN", "suspended": "GESCHORST",
        "revoked_note": "Deze credential is ingetrokken door de instelling (REVOKED).",
        "suspended_note": "Deze credential is geschorst door de instelling (SUSPENDED).",
        "signed": "Digitaal ondertekend als Open Badges 3.0 / W3C Verifiable Credential.",
        "months": ("januari", "februari", "maart", "april", "mei", "juni", "juli",
                   "augustus", "september", "oktober", "november", "december"),
    },
    "en": {
        "kicker": "Certificate", "awarded": "awarded to", "by": "by", "on": "on",
        "ects": "Credits (ECTS)", "eqf": "EQF level", "date": "Date", "id": "Credential id",
        "outcomes": "Learning outcomes",
        "verify": "Verify this certificate online: scan the QR code or go to",
        "revoked": "REVOKED", "suspended": "SUSPENDED",
        "revoked_note": "This credential was revoked by the institution (REVOKED).",
        "suspended_note": "This credential is suspended by the institution (SUSPENDED).",
        "signed": "Digitally signed as an Open Badges 3.0 / W3C Verifiable Credential.",
        "months": ("January", "February", "March", "April", "May", "June", "July",
                   "August", "September", "October", "November", "December"),
    },
}
# The stamp across the page is always in English too: a reader of either language knows it.
STAMPS = {"revoked": "REVOKED", "suspended": "SUSPENDED"}


@dataclass(frozen=True)
class Certificate:
    title: str
    learner: str
    institution: str
    issued: date
    ects: float | None
    eqf: str | None
    outcomes: list[str]
    credential_id: str
    status: str  # valid, revoked or suspended
    short_url: str
    colour: str  # the institution's badge colour, #rrggbb


def outcomes_of(narrative: str) -> list[str]:
    """The learning outcomes of ``criteria.narrative`` (a Markdown list, ``credentials.builder``)."""
    return [line[2:].strip() for line in narrative.splitlines() if line.startswith("- ")]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return next((v for v in value.values() if isinstance(v, str)), "")
    return value if isinstance(value, str) else ""


def certificate_from(document: dict[str, Any], *, status: str, short_url: str,
                     colour: str) -> Certificate:
    """The facts of a credential as ``credentials.builder`` lays them out."""
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    learner = next((i.get("identityHash") for i in subject.get("identifier") or []
                    if i.get("identityType") == "name" and not i.get("hashed")), "")
    eqf = next((a.get("targetCode") for a in achievement.get("alignment") or []
                if a.get("targetType") == "ext:EQFLevel"), None)
    ects = subject.get("creditsEarned", achievement.get("creditsAvailable"))
    return Certificate(
        title=_text(document.get("name")) or _text(achievement.get("name")),
        learner=_text(learner), institution=_text((document.get("issuer") or {}).get("name")),
        issued=date.fromisoformat(str(document.get("validFrom", ""))[:10]),
        ects=ects if isinstance(ects, (int, float)) else None,
        eqf=str(eqf) if eqf is not None else None,
        outcomes=outcomes_of(_text((achievement.get("criteria") or {}).get("narrative"))),
        credential_id=str(document.get("id", "")), status=status, short_url=short_url,
        colour=colour,
    )


@cache
def _covered() -> frozenset[int]:
    with TTFont(font_lato.Lato, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _printable(text: str) -> str:
    """``text`` in characters the font has (NFC first; then without accents; else "?")."""
    covered = _covered()
    out = []
    for char in unicodedata.normalize("NFC", text):
        if ord(char) in covered or char in "\n":
            out.append(char)
            continue
        if unicodedata.category(char).startswith("C") or char.isspace():
            out.append(" ")
            continue
        bare = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        out.append(bare if bare and all(ord(c) in covered for c in bare) else "?")
    return "".join(out)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _date(value: date, lang: str) -> str:
    month = LABELS[lang]["months"][value.month - 1]
    return f"{value.day} {month} {value.year}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _Page(FPDF):
    def line_of(self, text: str, size: float, *, bold: bool = False, height: float = 0,
                align: str = "L", colour: tuple[int, int, int] = (34, 34, 34)) -> None:
        self.set_font("Lato", "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, height or size * 0.5, _printable(text), align=align,
                        new_x="LMARGIN", new_y="NEXT")


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (crisp at any print size; no image decoding)."""
    matrix = [list(row) for row in segno.make(url, error="m").matrix_iter(border=0)]
    cell = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + r * cell, cell, cell, style="F")


def _badge(pdf: FPDF, cert: Certificate, x: float, y: float, d: float) -> None:
    """The badge image (``credentials.badge``) redrawn natively: a disc in the colour."""
    pdf.set_fill_color(*_rgb(cert.colour))
    pdf.ellipse(x, y, d, d, style="F")
    pdf.set_draw_color(255, 255, 255)
    pdf.set_line_width(0.8)
    pdf.ellipse(x + 2.5, y + 2.5, d - 5, d - 5, style="D")
    pdf.set_text_color(255, 255, 255)
    lines = title_lines(cert.title)
    pdf.set_font("Lato", "B", 8)
    top = y + d / 2 - len(lines) * 3.6 / 2
    for i, line in enumerate(lines):
        pdf.set_xy(x, top + i * 3.6)
        pdf.cell(d, 3.6, _printable(line), align="C")


def _stamp(pdf: FPDF, word: str) -> None:
    pdf.set_text_color(200, 0, 0)
    pdf.set_font("Lato", "B", 96)
    with (pdf.local_context(fill_opacity=0.25, text_color=(200, 0, 0)),
          pdf.rotation(40, x=105, y=150)):
        pdf.set_xy(0, 140)
        pdf.cell(210, 30, word, align="C")


def render_pdf(cert: Certificate, lang: str) -> bytes:
    """One A4 page in ``lang`` (nl or en)."""
    labels = LABELS[lang]
    pdf = _Page(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(_printable(f"{labels['kicker']}: {cert.title}"))
    pdf.set_author(_printable(cert.institution))
    pdf.set_creator("Academy for Lifelong Learning")
    pdf.set_lang(lang)
    pdf.add_font("Lato", "", font_lato.Lato)
    pdf.add_font("Lato", "B", font_lato.LatoBold)
    pdf.set_auto_page_break(False)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_fill_color(*_rgb(cert.colour))
    pdf.rect(0, 0, 210, 14, style="F")
    pdf.set_xy(20, 3)
    pdf.line_of(cert.institution, 14, bold=True, colour=(255, 255, 255), height=8)
    _badge(pdf, cert, 150, 24, 40)
    pdf.set_xy(20, 30)
    pdf.set_right_margin(65)
    pdf.line_of(labels["kicker"].upper(), 12, colour=(110, 110, 110), height=7)
    pdf.ln(2)
    pdf.line_of(cert.title, 24, bold=True, height=11)
    pdf.ln(4)
    pdf.line_of(labels["awarded"], 12, colour=(110, 110, 110), height=7)
    pdf.line_of(cert.learner, 20, bold=True, height=10)
    pdf.set_right_margin(20)
    pdf.set_y(max(pdf.get_y(), 68) + 4)
    pdf.line_of(f"{labels['by']} {cert.institution} {labels['on']} {_date(cert.issued, lang)}",
                12, height=7)
    pdf.ln(4)
    facts = [(labels["date"], _date(cert.issued, lang))]
    if cert.ects is not None:
        facts.append((labels["ects"], _number(cert.ects)))
    if cert.eqf is not None:
        facts.append((labels["eqf"], cert.eqf))
    facts.append((labels["id"], cert.credential_id.rsplit("/", 1)[-1]))
    for name, value in facts:
        pdf.set_font("Lato", "", 10)
        pdf.set_text_color(110, 110, 110)
        pdf.cell(50, 6, _printable(name))
        pdf.set_font("Lato", "B", 10)
        pdf.set_text_color(34, 34, 34)
        pdf.cell(0, 6, _printable(value), new_x="LMARGIN", new_y="NEXT")
    if cert.outcomes:
        pdf.ln(5)
        pdf.line_of(labels["outcomes"], 13, bold=True, height=7)
        for outcome in cert.outcomes[:12]:
            pdf.set_font("Lato", "", 10)
            pdf.set_text_color(34, 34, 34)
            pdf.cell(5, 5.2, "\u2022")
            pdf.multi_cell(0, 5.2, _printable(outcome), new_x="LMARGIN", new_y="NEXT")
            if pdf.get_y() > 225:
                break
    if cert.status in STAMPS:
        pdf.set_y(max(pdf.get_y() + 4, 232))
        pdf.line_of(labels[f"{cert.status}_note"], 11, bold=True, colour=(200, 0, 0), height=6)
    _qr(pdf, cert.short_url, 20, 244, 34)
    pdf.set_xy(60, 250)
    pdf.set_font("Lato", "", 10)
    pdf.set_text_color(34, 34, 34)
    pdf.multi_cell(130, 5.5, _printable(labels["verify"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(60, pdf.get_y() + 1)
    pdf.set_font("Lato", "B", 10)
    pdf.cell(130, 6, cert.short_url, link=cert.short_url, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(60, pdf.get_y() + 2)
    pdf.set_font("Lato", "", 8)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(130, 4.5, _printable(labels["signed"]))
    if cert.status in STAMPS:
        _stamp(pdf, STAMPS[cert.status])
    return bytes(pdf.output())
