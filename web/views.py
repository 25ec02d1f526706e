"""What the templates show, derived from domain results; no rule is decided here.

A credential's verdict is read off the verification report (``credentials.verifying``);
the page only names it: valid when every check passed; "invalid" when the proof or the
issuer fails; otherwise the status check's outcome (revoked, suspended, status unknown)
or, failing that, "invalid". Never "valid" when the status could not be read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import segno
from markupsafe import Markup

from catalogue.offerings import is_past
from catalogue.structs import CourseOut
from credentials.verifying import Report

__all__ = ["CredentialView", "course_json_ld", "credential_view", "qr_svg", "verdict"]

INSTITUTION_NAMES = {
    "kuleuven": "KU Leuven", "luca": "LUCA School of Arts", "odisee": "Odisee",
    "thomasmore": "Thomas More", "ucll": "UCLL", "vives": "VIVES",
}


class CredentialView(msgspec.Struct, kw_only=True):
    id: str
    title: str
    description: str | None
    issuer: str
    issued: str | None
    ects: float | None
    eqf: str | None
    holder: str | None


def verdict(report: Report) -> str:
    if report.verified:
        return "valid"
    if any(c.ok is False for c in report.checks if c.check in ("proof", "issuer")):
        return "invalid"  # not authentic: what it says of its status means nothing
    status = next((c for c in report.checks if c.check == "status"), None)
    if status is not None and status.ok is False and status.reason in ("revoked", "suspended"):
        return status.reason
    if status is not None and status.ok is None:
        return "unknown"
    return "invalid"


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # a language map
        return next((v for v in value.values() if isinstance(v, str)), None)
    return None


def credential_view(document: dict[str, Any]) -> CredentialView:
    """The human facts of an OB 3.0 credential as ``credentials.builder`` lays them out."""
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    issuer = document.get("issuer")
    issuer_name = (_text(issuer.get("name")) or _text(issuer.get("id"))
                   if isinstance(issuer, dict) else _text(issuer))
    ects = subject.get("creditsEarned", achievement.get("creditsAvailable"))
    eqf = next((a.get("targetCode") for a in achievement.get("alignment") or []
                if isinstance(a, dict) and a.get("targetType") == "ext:EQFLevel"), None)
    holder = next((i.get("identityHash") for i in subject.get("identifier") or []
                   if isinstance(i, dict) and i.get("identityType") == "name"
                   and not i.get("hashed")), None)
    issued = _text(document.get("validFrom")) or _text(document.get("issuanceDate"))
    return CredentialView(
        id=str(document.get("id", "")),
        title=_text(document.get("name")) or _text(achievement.get("name")) or "?",
        description=_text(achievement.get("description")),
        issuer=issuer_name or "?",
        issued=issued[:10] if issued else None,
        ects=ects if isinstance(ects, (int, float)) else None,
        eqf=str(eqf) if eqf is not None else None,
        holder=_text(holder),
    )


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url`` (segno's own markup, no user text inside)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return Markup(svg)


def _json_script(value: Any) -> Markup:
    """JSON that is safe inside ``<script>``: no ``</`` and no HTML-significant characters."""
    raw = msgspec.json.encode(value).decode()
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        raw = raw.replace(char, escaped)
    return Markup(raw)


def course_json_ld(course: CourseOut, page_url: str, lang: str,
                   today: date | None = None) -> Markup:
    """schema.org ``Course`` with one ``CourseInstance`` per offering that is neither cancelled
    nor past (on ``today``): a search engine is never offered a session that ended."""
    def text(value: dict[str, str] | None) -> str | None:
        return (value.get(lang) or next(iter(value.values()), None)) if value else None

    instances = []
    for offering in course.offerings:
        if offering.status == "cancelled" or (today is not None and is_past(offering, today)):
            continue
        instance: dict[str, Any] = {"@type": "CourseInstance"}
        if offering.mode or course.mode:
            instance["courseMode"] = offering.mode or course.mode
        if offering.start_date:
            instance["startDate"] = offering.start_date.isoformat()
        if offering.end_date:
            instance["endDate"] = offering.end_date.isoformat()
        if offering.city or offering.campus:
            instance["location"] = {"@type": "Place", "name": offering.campus or offering.city,
                                    "address": offering.city}
        if offering.language:
            instance["inLanguage"] = offering.language
        if offering.price_eur is not None:
            instance["offers"] = {"@type": "Offer", "price": offering.price_eur,
                                  "priceCurrency": "EUR", "category": "Paid"
                                  if offering.price_eur else "Free",
                                  **({"url": offering.enrolment_url}
                                     if offering.enrolment_url else {})}
        instances.append(instance)
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Course", "@id": page_url, "url": page_url,
        "name": text(course.title), "courseCode": course.code,
        "provider": {"@type": "CollegeOrUniversity",
                     "name": INSTITUTION_NAMES.get(course.institution, course.institution)},
        "hasCourseInstance": instances,
    }
    if description := text(course.description):
        data["description"] = description
    if course.languages:
        data["inLanguage"] = course.languages
    if course.ects is not None:
        data["numberOfCredits"] = course.ects
    if course.eqf_level is not None:
        data["educationalLevel"] = f"EQF {course.eqf_level}"
    if course.microcredential:
        data["educationalCredentialAwarded"] = "Microcredential"
    return _json_script(data)
