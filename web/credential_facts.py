"""What an employer reads on a credential, taken from the signed document itself.

The credential page leads with the EU micro-credential elements (Council Recommendation
2022/C 243/02, Annex I) where ``credentials.builder`` put them in the OB 3.0 document:
who earned what, from whom and when, ECTS, EQF level, learning outcomes, assessment and
grade, quality assurance, participation, supervision, prerequisites, stackability. The
page reads the document, never the database: what it shows is what was signed.

Texts the issuer wrote are in the credential's language (``achievement.inLanguage``) or a
language map (quality assurance, prerequisites): ``Facts.text`` picks the page's language
from a map and says which language a text is in, for the ``lang`` attribute. Enum values
stay values here; the template turns them into words with ``fmt.word``.

``checks_in_words`` turns the verification report's checks (English, with DIDs) into
sentence keys and values the templates translate; the raw reason stays available for the
"How was this checked?" disclosure, the only place a DID is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from credentials.verifying import Check, Report

__all__ = ["CheckWords", "Facts", "Grade", "Part", "Text", "checks_in_words", "credential_facts",
           "parts_of"]

_ISSUER_FALLBACK = ""  # a credential without an issuer name: the template says "unknown"
_EXPIRED = re.compile(r"^expired on (\S+)$")
_NOT_YET = re.compile(r"^not valid before (\S+)$")
_COURSE_REF = re.compile(r"\b([a-z0-9-]+)/([A-Za-z0-9._-]+)$")
# STACKABILITY in credentials.builder writes a sentence; its first word is the enum value.
_STACKABILITY = {"standalone": "standalone", "stackable": "stackable"}


class Text(msgspec.Struct, frozen=True):
    """A text the issuer wrote, and the language it is in (None: unknown)."""

    value: str
    lang: str | None


class Grade(msgspec.Struct, frozen=True):
    value: str
    low: str | None = None  # a numeric scale's bounds and pass mark
    high: str | None = None
    passing: str | None = None
    allowed: tuple[str, ...] = ()  # a letter scale's values


class Part(msgspec.Struct, frozen=True):
    """A constituent credential an award names (``hasPart``/``evidence``)."""

    iri: str
    course: str | None  # "ucll/MC-UDL", from the evidence's name


class Facts(msgspec.Struct, kw_only=True):
    title: Text
    description: Text | None
    issuer: str
    country: str | None
    issued: str | None
    valid_until: str | None
    holder: str | None
    ects: float | None
    eqf: str | None
    field: str | None
    outcomes: list[Text]
    assessment: str | None  # the enum value
    assessment_note: Text | None  # the issuer's description after "type: "
    grade: Grade | None
    participation: str | None
    quality: Text | None
    supervision: str | None
    identity: bool | None  # identity verified: True / False / not said
    prerequisites: Text | None
    stackability: str | None
    further: str | None  # a URL, only when it is an http(s) one
    achievement_type: str | None
    total_ects: float | None  # a stacked award's counted parts
    parts: list[Part]
    lang: str | None  # the credential's own language


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, page: str, own: str | None) -> Text | None:
    """A string in the credential's language, or a language map in the page's language."""
    if isinstance(value, str) and value.strip():
        return Text(value, own)
    if isinstance(value, dict):
        for lang in (page, own, *value):
            if isinstance(lang, str) and isinstance(value.get(lang), str):
                return Text(value[lang], lang)
    return None


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _outcomes(narrative: Any, own: str | None) -> list[Text]:
    """The Markdown list ``credentials.builder`` writes ("Learning outcomes:\\n- ...")."""
    if not isinstance(narrative, str):
        return []
    items = [line[2:].strip() for line in narrative.splitlines() if line.startswith("- ")]
    if not items and narrative.strip():  # not our layout: the narrative as it is
        return [Text(narrative.strip(), own)]
    return [Text(item, own) for item in items if item]


def _assessment(value: Any, page: str, own: str | None) -> tuple[str | None, Text | None]:
    """``"portfolio"`` or ``"portfolio: what was assessed"`` (a string or a language map)."""
    text = _text(value, page, own)
    if text is None:
        return None, None
    kind, sep, note = text.value.partition(": ")
    if not sep:
        return kind.strip(), None
    return kind.strip(), Text(note.strip(), text.lang)


def _grade(achievement: dict[str, Any], subject: dict[str, Any]) -> Grade | None:
    results = [r for r in subject.get("result") or [] if isinstance(r, dict)]
    if not results or not isinstance(results[0].get("value"), str):
        return None
    result = results[0]
    described = next((d for d in achievement.get("resultDescription") or []
                      if isinstance(d, dict) and d.get("id") == result.get("resultDescription")),
                     {})
    allowed = described.get("allowedValue")
    return Grade(value=result["value"], low=described.get("valueMin"),
                 high=described.get("valueMax"), passing=described.get("requiredValue"),
                 allowed=tuple(v for v in allowed if isinstance(v, str))
                 if isinstance(allowed, list) else ())


def _supervision(value: Any) -> tuple[str | None, bool | None]:
    """``"supervised-onsite; identity verified"`` -> ("supervised-onsite", True)."""
    if not isinstance(value, str):
        return None, None
    kind, identity = None, None
    for part in (p.strip() for p in value.split(";")):
        if part == "identity verified":
            identity = True
        elif part == "identity not verified":
            identity = False
        elif part:
            kind = part
    return kind, identity


def parts_of(document: dict[str, Any]) -> list[Part]:
    """The constituent credentials a stacked award names, in its order."""
    courses = {}
    for evidence in document.get("evidence") or []:
        if isinstance(evidence, dict) and isinstance(evidence.get("id"), str):
            match = _COURSE_REF.search(str(evidence.get("name") or ""))
            courses[evidence["id"]] = f"{match[1]}/{match[2]}" if match else None
    iris = [p for p in document.get("hasPart") or [] if isinstance(p, str)] or list(courses)
    return [Part(iri, courses.get(iri)) for iri in dict.fromkeys(iris)]


def credential_facts(document: Any, page: str) -> Facts:
    """The facts of an OB 3.0 credential as ``credentials.builder`` lays them out; missing
    or odd fields are left out, never guessed (a pasted document may be anything)."""
    document = _dict(document)
    subject = _dict(document.get("credentialSubject"))
    achievement = _dict(subject.get("achievement"))
    own = achievement.get("inLanguage") if isinstance(achievement.get("inLanguage"), str) else None
    issuer = document.get("issuer")
    issuer_name = _text(_dict(issuer).get("name"), page, own)
    ects = _number(subject.get("creditsEarned"))
    eqf = next((a.get("targetCode") for a in achievement.get("alignment") or []
                if isinstance(a, dict) and a.get("targetType") == "ext:EQFLevel"), None)
    holder = next((i.get("identityHash") for i in subject.get("identifier") or []
                   if isinstance(i, dict) and i.get("identityType") == "name"
                   and not i.get("hashed")), None)
    assessment, note = _assessment(achievement.get("assessmentType"), page, own)
    supervision, identity = _supervision(achievement.get("supervisionAndIdentityVerification"))
    stack = achievement.get("stackabilityOptions")
    further = achievement.get("furtherInformation")
    field = achievement.get("fieldOfStudy")
    return Facts(
        title=_text(document.get("name"), page, own) or _text(achievement.get("name"), page, own)
        or Text("?", None),
        description=_text(achievement.get("description"), page, own),
        issuer=issuer_name.value if issuer_name else _ISSUER_FALLBACK,
        country=_dict(_dict(issuer).get("address")).get("addressCountryCode"),
        issued=_day(document.get("awardedDate")) or _day(document.get("validFrom"))
        or _day(document.get("issuanceDate")),
        valid_until=_day(document.get("validUntil")),
        holder=holder if isinstance(holder, str) else None,
        ects=ects if ects is not None else _number(achievement.get("creditsAvailable")),
        eqf=str(eqf) if isinstance(eqf, (str, int)) else None,
        field=field.removeprefix("ISCED-F 2013: ") if isinstance(field, str) else None,
        outcomes=_outcomes(_dict(achievement.get("criteria")).get("narrative"), own),
        assessment=assessment, assessment_note=note,
        grade=_grade(achievement, subject),
        participation=achievement.get("participationForm")
        if isinstance(achievement.get("participationForm"), str) else None,
        quality=_text(achievement.get("qualityAssurance"), page, own),
        supervision=supervision, identity=identity,
        prerequisites=_text(achievement.get("prerequisites"), page, own),
        stackability=_STACKABILITY.get(stack.split(":")[0].strip().lower())
        if isinstance(stack, str) else None,
        further=further if isinstance(further, str)
        and further.startswith(("https://", "http://")) else None,
        achievement_type=achievement.get("achievementType")
        if isinstance(achievement.get("achievementType"), str) else None,
        total_ects=_number(subject.get("totalEcts")),
        parts=parts_of(document),
        lang=own,
    )


class CheckWords(msgspec.Struct, frozen=True):
    """One check for the disclosure: what it found in the page's language, the raw reason
    (English, may hold a DID) and ``mark``: ok, failed or unknown."""

    check: str
    mark: str
    sentence: str
    reason: str


def _sentence(check: Check, mark: str, document: dict[str, Any]) -> tuple[str, dict[str, str]]:
    name = check.check
    if name == "status" and mark == "failed" and check.reason in ("revoked", "suspended"):
        return f"why.status.{check.reason}", {}
    if name == "validity":
        if mark == "ok":
            until = _day(document.get("validUntil"))
            return ("why.validity.until" if until else "why.validity.ok"), {
                "since": _day(document.get("validFrom")) or "", "until": until or ""}
        if match := _EXPIRED.match(check.reason):
            return "why.validity.expired", {"on": match[1][:10]}
        if match := _NOT_YET.match(check.reason):
            return "why.validity.not_yet", {"on": match[1][:10]}
    if name == "status" and mark == "ok" and "no status entry" in check.reason:
        return "why.status.none", {}
    return f"why.{name}.{mark}", {}


def checks_in_words(report: Report, document: Any, t: Callable[..., str],
                    day: Callable[[str], str]) -> list[CheckWords]:
    """Each check of ``report`` said with ``t`` (``web.i18n.translator``), its dates
    written with ``day`` (``Formatter.date``)."""
    document = _dict(document)
    out = []
    for check in report.checks:
        mark = "ok" if check.ok is True else ("failed" if check.ok is False else "unknown")
        key, values = _sentence(check, mark, document)
        sentence = t(key, **{k: day(v) for k, v in values.items()})
        out.append(CheckWords(check.check, mark, sentence, check.reason))
    return out
