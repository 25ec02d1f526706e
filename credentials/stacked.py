"""The stacked credential: what a pathway's award says, built like any other credential.

Its EU elements are the award's (``schemas/pathway.schema.json``); the learner and the
issuing moment fill the rest. It carries its parts as OB 3.0 ``evidence`` and ``hasPart``
links to the constituent credentials' ids, ``totalEcts`` (the ECTS of the counted parts)
and ``pathwayVersion`` (terms of our context). Its ``achievementType`` is the award's
``achievement_type``, ``Certificate`` when it names none. ``credentials.awarding``
decides when one is due, claims it, signs and stores it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from catalogue.structs import OutStruct
from credentials.builder import build_credential
from credentials.fastschema import check_resolved
from credentials.builder import credential_iri, issuer_profile
from credentials.records import Institution
from credentials.proofs.jsonld import UnsafeDocument
from credentials.progress import Compiled
from credentials.proofs.signing import sign
from credentials.status import PURPOSE, list_url

__all__ = [
    "STACKED_ACHIEVEMENT_TYPE",
    "AwardBreaksContract",
    "STACKED_PREFIX",
    "Stacked",
    "award_problems",
    "is_stacked_course",
    "stacked_course_code",
]

STACKED_ACHIEVEMENT_TYPE = "Certificate"
"""An award's OB 3.0 ``achievementType`` when its pathway names none (the schema's default):
it attests a set of competences, and is told apart from the microcredentials it stacks."""
STACKED_PREFIX = "pathway:"
"""``credential.course_code`` of a stacked credential: ``pathway:CODE`` (never a course code)."""
_EU_ELEMENTS = ("title", "learning_outcomes", "ects", "eqf_level", "assessment", "participation",
                "quality_assurance", "prerequisites", "further_information", "languages",
                "isced_codes")


def is_stacked_course(course: str) -> bool:
    return course.partition("/")[2].startswith(STACKED_PREFIX)


def stacked_course_code(code: str, pathway_id: uuid.UUID | str) -> str:
    value = STACKED_PREFIX + code
    return value if len(value) <= 128 else STACKED_PREFIX + str(pathway_id)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Stacked(OutStruct, kw_only=True):
    """What a stacked credential is built from, apart from the key and the status entry."""

    credential_id: uuid.UUID
    pathway_id: str
    pathway: Compiled
    institution: Institution
    email: str
    name: str
    parts: list[str]
    """Constituent credential ids."""
    courses: list[str]
    total_ects: float
    today: date

    @property
    def valid_until(self) -> date | None:
        """Its last day; None: no expiry."""
        years = self.pathway.document["award"].get("valid_years")
        return _years_after(self.today, years) - timedelta(days=1) if years else None

    def unsigned(self, base: str, did: str, status: tuple[str, str, int]) -> dict[str, Any]:
        """The credential before its proof: the award's EU elements, the parts."""
        pathway, institution, today = self.pathway, self.institution, self.today
        award = pathway.document["award"]
        parts = [credential_iri(base, uuid.UUID(p)) for p in self.parts]
        resolved: dict[str, Any] = {
            "learner": {"email": self.email, "name": self.name},
            "issued_on": today.isoformat(),
            "country": institution.country,
            "awarding_body": {"id": did, "name": institution.name, "slug": institution.slug,
                              "url": institution.website},
            "pathway": {"code": pathway.code, "version": pathway.version,
                        "id": f"{base}/api/v1/pathways/{self.pathway_id}"},
            "parts": parts,
            **{k: award[k] for k in _EU_ELEMENTS if k in award},
        }
        if (until := self.valid_until) is not None:
            resolved["valid_until"] = until.isoformat()
        problems = check_resolved(resolved)
        if problems:  # rules the pathway schema cannot say (a grade's pass mark on its scale)
            raise AwardBreaksContract(problems)
        unsigned = build_credential(
            resolved, credential_id=credential_iri(base, self.credential_id),
            issuer=issuer_profile(institution, did), achievement_id=resolved["pathway"]["id"],
            description=award.get("description") or pathway.document["description"],
            salt=secrets.token_hex(16), status=status,
            achievement_type=award.get("achievement_type", STACKED_ACHIEVEMENT_TYPE),
        )
        _add_parts(unsigned, parts, self.courses, pathway.version, self.total_ects)
        return unsigned


class AwardBreaksContract(ValueError):
    """The award's elements make a credential the microcredential contract refuses."""

    def __init__(self, problems: list) -> None:  # type: ignore[type-arg]
        super().__init__("; ".join(f"{p.pointer}: {p.message}" for p in problems[:3]))
        self.problems = problems


def award_problems(pathway: Compiled, institution: Institution) -> list[tuple[str, str]]:
    """Why no stacked credential of ``pathway`` could be signed portably (a trial signature
    with a throwaway key, e.g. texts whose order differs by code point and UTF-16)."""
    sample = Stacked(
        credential_id=uuid.uuid4(), pathway_id=str(uuid.uuid4()), pathway=pathway,
        institution=institution, email="learner@example.org", name="Learner",
        parts=[str(uuid.uuid4())], courses=[pathway.courses[0]], total_ects=1.0,
        today=datetime.now(UTC).date())
    base = "https://academy.kuleuven.be"
    try:
        unsigned = sample.unsigned(base, f"did:web:academy.kuleuven.be:institutions:"
                                   f"{institution.slug}",
                                   (PURPOSE, list_url(base, institution.slug, PURPOSE, 1), 0))
    except AwardBreaksContract as exc:
        return [(f"/award{p.pointer}", p.message) for p in exc.problems]
    try:
        sign(unsigned, Ed25519PrivateKey.generate(), "did:example:trial#key-1", "2026-01-01T00:00:00Z")
    except UnsafeDocument as exc:
        return [("/award", f"a credential with this award cannot be signed portably: {exc}")]
    return []


def _number(value: float) -> float | int:
    rounded = round(value, 2)
    return int(rounded) if rounded.is_integer() else rounded


def _add_parts(credential: dict[str, Any], parts: list[str], courses: list[str], version: int,
               total: float) -> None:
    """The stacking terms: parts as OB 3.0 evidence and ``hasPart``, the version, the total."""
    credential["evidence"] = [
        {"id": iri, "type": ["Evidence"], "name": f"Constituent credential for {course}",
         "genre": "Constituent credential"}
        for iri, course in zip(parts, courses, strict=True)
    ]
    credential["hasPart"] = list(parts)
    subject = credential["credentialSubject"]
    subject["achievement"]["pathwayVersion"] = version
    subject["totalEcts"] = _number(total)
