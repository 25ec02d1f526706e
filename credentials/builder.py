"""The unsigned Open Badges 3.0 AchievementCredential of a resolved issuance.

Where each EU element (Council Recommendation 2022/C 243/02, Annex I) goes:

=============================  ==============================================================
learner                        ``credentialSubject.identifier``: IdentityObjects, the email as
                               ``sha256$hex(normalised email + salt)``, the name in plain text
title                          ``name`` and ``credentialSubject.achievement.name``
badge image                    ``achievement.image`` (``credentials.badge``: an Image object)
country of the issuer          ``issuer.address.addressCountryCode``
awarding body                  ``issuer`` (a Profile whose ``id`` is the institution's did:web)
date of issuing                ``validFrom`` and ``awardedDate``
learning outcomes              ``achievement.criteria.narrative`` (a Markdown list)
notional workload (ECTS)       ``achievement.creditsAvailable``, ``credentialSubject.creditsEarned``
EQF level                      ``achievement.alignment`` to ``http://data.europa.eu/snb/eqf/N``
type of assessment             ``achievement.assessmentType`` (local context)
form of participation          ``achievement.participationForm`` (local context)
quality assurance              ``achievement.qualityAssurance`` (local context)
supervision / identity check   ``achievement.supervisionAndIdentityVerification`` (local context)
prerequisites                  ``achievement.prerequisites`` (local context)
grade                          ``achievement.resultDescription`` + ``credentialSubject.result``
stackability                   ``achievement.stackabilityOptions`` (local context)
further information            ``achievement.furtherInformation`` (local context)
=============================  ==============================================================

**Where the terms without an OB3/VC home live: a local context object.** ``@context`` is
the standard URLs followed by one embedded object (``LOCAL_CONTEXT``, the bytes of
``schemas/contexts/microcredential-v1.jsonld``), which VC 2.0 (§4.3) and the OB 3.0
schema's ``Context`` definition both allow. A verifier in the field knows only the
standard contexts and fetches nothing else (DCC's verifier-core, Digital Bazaar's
loaders): a context URL of ours would make every credential unverifiable offline, and
nobody serves ``academy.kuleuven.be``. The other options were worse: full IRIs as
property names lose the language maps (and readability); ``@vocab`` of VC 2.0
(``issuer-dependent#``) is refused by verifiers in safe mode and says nothing; dropping
the elements would drop mandatory EU elements. The embedded object costs ~1.5 KB a
credential and keeps the same IRIs as the earlier context URL, so both forms expand to
the same graph.

Every IRI is absolute, integers stay far below 2^53, texts never contain control
characters (the request schema refuses them), so every JSON-LD library canonicalises
the result the same way. Numbers that are not whole (ECTS 2.5) stay JSON numbers:
they are few, and each distinct value is one more shape for the fast canonicaliser.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from credentials.badge import image_object
from credentials.fastschema import ob3_violations
from credentials.proofs.jsonld import MICROCREDENTIAL_CONTEXT_URL, context_document
from credentials.proofs.signing import sign
from credentials.status import status_entry

if TYPE_CHECKING:
    from credentials.keys import SigningKey
    from credentials.records import Institution

__all__ = [
    "CONTEXTS",
    "LEGACY_CONTEXTS",
    "LOCAL_CONTEXT",
    "OB3_SCHEMA_URL",
    "STANDARD_CONTEXTS",
    "StatusEntry",
    "build_credential",
    "credential_iri",
    "identity_hash",
    "issuer_profile",
    "normalise_email",
    "pick_language",
    "proof_created",
    "sign_checked",
]

STANDARD_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]
LOCAL_CONTEXT: dict[str, Any] = json.loads(context_document(MICROCREDENTIAL_CONTEXT_URL))["@context"]
"""Our terms, embedded in every credential (see the module docstring)."""
CONTEXTS: list[Any] = [*STANDARD_CONTEXTS, LOCAL_CONTEXT]
LEGACY_CONTEXTS = [*STANDARD_CONTEXTS, MICROCREDENTIAL_CONTEXT_URL]
"""What credentials issued before the local context referenced (still verified)."""
OB3_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
EQF_BASE = "http://data.europa.eu/snb/eqf/"
COUNTRY_NAMES = {"BE": "Belgium", "NL": "Netherlands", "FR": "France", "DE": "Germany"}
STACKABILITY = {
    "standalone": "Standalone: an independent micro-credential",
    "stackable": "Stackable: counts towards a larger credential",
}
_encode = msgspec.json.Encoder().encode
StatusEntry = tuple[str, str, int]
"""(purpose, status list credential URL, entry index): the credential's one status entry,
``"revocation"`` for every new credential (``credentials.status``)."""


def normalise_email(email: str) -> str:
    """The learner's identity: trimmed and lower-cased (local part included, as users expect)."""
    return email.strip().lower()


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex SHA-256 of the normalised address + salt."""
    return "sha256$" + hashlib.sha256((normalise_email(email) + salt).encode()).hexdigest()


def pick_language(text: Mapping[str, str], languages: list[str] | None) -> str:
    """The language a one-language OB3 field uses: the course's first that the text has."""
    for lang in languages or []:
        if lang in text:
            return lang
    return "nl" if "nl" in text else next(iter(text))


def _one(text: Any, lang: str) -> str:
    if isinstance(text, str):
        return text
    return text.get(lang) or next(iter(text.values()))


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _narrative(outcomes: list[Mapping[str, str]], lang: str) -> str:
    heading = "Leerresultaten" if lang == "nl" else "Learning outcomes"
    return heading + ":\n" + "\n".join(f"- {_one(o, lang)}" for o in outcomes)


def _prefixed(prefix: str, text: Any) -> Any:
    if isinstance(text, str):
        return f"{prefix}: {text}"
    return {lang: f"{prefix}: {value}" for lang, value in text.items()}


def _supervision(doc: Mapping[str, Any]) -> str | None:
    parts = []
    if supervision := doc["assessment"].get("supervision"):
        parts.append(supervision)
    if "identity_verification" in doc:
        verified = doc["identity_verification"]
        parts.append("identity verified" if verified else "identity not verified")
    return "; ".join(parts) or None


def _grade(
    doc: Mapping[str, Any], credential_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assessment = doc["assessment"]
    if "grade" not in assessment:
        return [], []
    scale, grade = assessment["grade_scale"], assessment["grade"]
    described = f"{credential_id}#grade"
    description: dict[str, Any] = {"id": described, "type": ["ResultDescription"], "name": "Grade"}
    if scale["type"] == "numeric":
        description |= {
            "resultType": "ScaledScore",
            "valueMin": str(_number(scale["min"])),
            "valueMax": str(_number(scale["max"])),
            "requiredValue": str(_number(scale["pass"])),
        }
        value = str(_number(grade))
    else:
        description |= {
            "resultType": "LetterGrade",
            "allowedValue": list(scale["values"]),
            "requiredValue": scale["pass"],
        }
        value = str(grade)
    result = {"type": ["Result"], "resultDescription": described, "value": value}
    return [description], [result]


def build_credential(
    doc: Mapping[str, Any],
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    achievement_id: str,
    description: Mapping[str, str] | None,
    salt: str,
    status: StatusEntry | list[StatusEntry],
    achievement_type: str = "MicroCredential",
) -> dict[str, Any]:
    """The credential for a document that passed ``validate_resolved``.

    ``issuer`` holds ``id`` (did:web), ``name``, ``url`` and ``country``;
    ``description`` is the course's (the achievement needs one; the title stands in).
    ``status`` is the one status entry; OB 3.0's schema allows a single
    ``credentialStatus`` object. A list is accepted from callers that still pass a
    (revocation, suspension) pair: its first entry is the credential's.
    """
    lang = pick_language(doc["title"], doc.get("languages"))
    title = _one(doc["title"], lang)
    issued = f"{doc['issued_on']}T00:00:00Z"
    descriptions, results = _grade(doc, credential_id)
    achievement = _achievement(doc, achievement_id, achievement_type, title, lang, description)
    if descriptions:
        achievement["resultDescription"] = descriptions
    achievement |= _eu_elements(doc)
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": _issuer_profile(issuer),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": _subject(doc, achievement, salt, results),
    }
    if doc.get("valid_until"):
        credential["validUntil"] = f"{doc['valid_until']}T23:59:59Z"
    entry = status[0] if isinstance(status, list) else status
    credential["credentialStatus"] = status_entry(entry[1], entry[2], entry[0])
    credential["credentialSchema"] = [{"id": OB3_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]
    return credential


def _achievement(
    doc: Mapping[str, Any], achievement_id: str, achievement_type: str, title: str, lang: str,
    description: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The OB3 Achievement: what the course is (title, outcomes, ECTS, EQF, field)."""
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": title,
        "description": _one(description, lang) if description else title,
        "criteria": {"narrative": _narrative(doc["learning_outcomes"], lang)},
        "creditsAvailable": _number(doc["ects"]),
        "inLanguage": lang,
        "image": image_object(achievement_id, title),
    }
    if doc.get("eqf_level") is not None:
        level = int(doc["eqf_level"])
        achievement["alignment"] = [{
            "type": ["Alignment"],
            "targetType": "ext:EQFLevel",
            "targetName": f"EQF level {level}",
            "targetUrl": f"{EQF_BASE}{level}",
            "targetFramework": "European Qualifications Framework",
            "targetCode": str(level),
        }]
    if doc.get("isced_codes"):
        achievement["fieldOfStudy"] = "ISCED-F 2013: " + ", ".join(doc["isced_codes"])
    return achievement


def _eu_elements(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The EU elements without an OB3 home, in the local context's terms (insertion order
    is the order of the stored bytes)."""
    assessment = doc["assessment"]
    elements: dict[str, Any] = {
        "assessmentType": _prefixed(assessment["type"], assessment["description"])
        if assessment.get("description") else assessment["type"],
        "participationForm": doc["participation"],
        "qualityAssurance": doc["quality_assurance"],
    }
    if supervision := _supervision(doc):
        elements["supervisionAndIdentityVerification"] = supervision
    if doc.get("prerequisites"):
        elements["prerequisites"] = doc["prerequisites"]
    if doc.get("stackability"):
        elements["stackabilityOptions"] = STACKABILITY[doc["stackability"]]
    if doc.get("further_information"):
        elements["furtherInformation"] = doc["further_information"]
    return elements


def _subject(
    doc: Mapping[str, Any], achievement: dict[str, Any], salt: str,
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """The learner (a salted email hash and the name) and what they achieved."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(doc["learner"]["email"], salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            },
            {
                "type": "IdentityObject",
                "identityHash": doc["learner"]["name"],
                "identityType": "name",
                "hashed": False,
            },
        ],
        "achievement": achievement,
        "creditsEarned": _number(doc["ects"]),
    }
    if results:
        subject["result"] = results
    return subject


def _issuer_profile(issuer: Mapping[str, Any]) -> dict[str, Any]:
    country = issuer["country"]
    address: dict[str, Any] = {"type": ["Address"], "addressCountryCode": country}
    if country in COUNTRY_NAMES:
        address["addressCountry"] = COUNTRY_NAMES[country]
    return {
        "id": issuer["id"],
        "type": ["Profile"],
        "name": issuer["name"],
        "url": issuer["url"],
        "address": address,
    }


# --- sealing: what every credential goes through after building -------------------------


def credential_iri(base_url: str, credential_id: uuid.UUID) -> str:
    return f"{base_url}/api/v1/credentials/{credential_id}"


def issuer_profile(institution: Institution, did: str) -> dict[str, str]:
    """What ``build_credential`` says of the issuer."""
    return {"id": did, "name": institution.name, "url": institution.website,
            "country": institution.country}


def proof_created() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_checked(unsigned: dict[str, Any], key: SigningKey, created: str) -> bytes:
    """Sign ``unsigned`` and serialise it once: the bytes to store and return.

    A credential that breaks the OB3 schema is our builder's bug, never the caller's:
    refused with RuntimeError. ``UnsafeDocument`` (not signable portably) passes through.
    """
    signed = sign(unsigned, key.private_key, key.verification_method, created)
    problems = ob3_violations(signed)
    if problems:
        raise RuntimeError(f"built credential breaks the OB3 schema: {problems[:3]}")
    return _encode(signed)
