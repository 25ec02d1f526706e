"""The award e-mail: queued with every credential stored, in the course's language.

:func:`queue_award_mails` runs inside ``credentials.issuing.insert_credentials``, the one
place credential rows are created, so single and batch issuance and stacked awards all
mail the learner, in the same transaction (one multi-row INSERT for a whole batch).
Queueing stays cheap: a row holds the recipient, the subject and the language; the body
is rendered by the sender (:func:`complete`, from :func:`award_documents`), off the
issuing request. A credential revoked before its mail leaves is not announced.

Everything the mail says comes from the signed document itself: the title, the
institution, the language (``achievement.inLanguage``: nl, else en) and the address of
this registry (the credential's id is ``{base}/api/v1/credentials/{id}``).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from typing import Protocol

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.notifications import Claimed, Outgoing, queue_mails

__all__ = ["AWARD_KIND", "award_documents", "award_mail", "complete", "queue_award_mails",
           "set_award_mail"]

AWARD_KIND = "award"
_INFO = "academy.award_mail"
_ID_PATH = "/api/v1/credentials/"


class _Stored(Protocol):
    id: uuid.UUID
    learner_email: str
    document: bytes


class _Identity(msgspec.Struct):
    identityType: str
    identityHash: str
    hashed: bool = True


class _Achievement(msgspec.Struct):
    name: str
    inLanguage: str | None = None
    achievementType: str | None = None


class _Subject(msgspec.Struct):
    achievement: _Achievement
    identifier: list[_Identity] = []
    creditsEarned: float | None = None


class _Issuer(msgspec.Struct):
    name: str


class _Document(msgspec.Struct):
    """The few fields the mail needs; msgspec skips the rest of the document unparsed."""

    id: str
    issuer: _Issuer
    credentialSubject: _Subject
    validFrom: str


_decode = msgspec.json.Decoder(_Document).decode

_TEXTS = {
    "en": {
        "subject": "You earned “{title}” from {institution}",
        "greeting": "Dear {name},",
        "earned": "{institution} has issued you a credential: {title}{ects}, on {date}.",
        "ects": " ({ects} ECTS)",
        "see": "To see it, sign in with this e-mail address at {me} (we mail you a "
               "one-time link; no password). It is then at {page}, where you can "
               "print it, share it, add it to your LinkedIn profile or to a wallet.",
        "proof": "It is a signed Open Badges 3.0 credential that anyone you share it with "
                 "can verify.",
        "why": "You receive this mail because {institution} issued a credential to this "
               "address.",
        "button": "See your credential",
    },
    "nl": {
        "subject": "Je behaalde “{title}” bij {institution}",
        "greeting": "Beste {name},",
        "earned": "{institution} heeft je een credential uitgereikt: {title}{ects}, op {date}.",
        "ects": " ({ects} studiepunten)",
        "see": "Meld je aan met dit e-mailadres op {me} om het te bekijken (we mailen je "
               "een eenmalige link; geen wachtwoord). Je vindt het dan op {page}, waar je "
               "het kunt afdrukken, delen, aan je LinkedIn-profiel of aan een wallet kunt "
               "toevoegen.",
        "proof": "Het is een ondertekend Open Badges 3.0-credential dat iedereen met wie je "
                 "het deelt kan verifiëren.",
        "why": "Je ontvangt deze mail omdat {institution} een credential aan dit adres "
               "heeft uitgereikt.",
        "button": "Bekijk je credential",
    },
}


def set_award_mail(session: AsyncSession, enabled: bool) -> None:
    """Turn the award mail off (or on again) for credentials stored in ``session``."""
    session.info[_INFO] = enabled


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def award_mail(credential_id: uuid.UUID, email: str, document: bytes) -> Outgoing:
    """The mail that tells ``email`` of the credential ``document`` (its signed bytes)."""
    doc = _decode(document)
    subject = doc.credentialSubject
    lang = "nl" if subject.achievement.inLanguage == "nl" else "en"
    words = _TEXTS[lang]
    base = doc.id[: doc.id.rfind(_ID_PATH)] if _ID_PATH in doc.id else ""
    name = next((i.identityHash for i in subject.identifier
                 if i.identityType == "name" and not i.hashed), email)
    values = {
        "title": subject.achievement.name, "institution": doc.issuer.name, "name": name,
        "date": doc.validFrom[:10], "me": f"{base}/me", "page": f"{base}/credentials/{credential_id}",
        "ects": words["ects"].format(ects=_number(subject.creditsEarned))
        if subject.creditsEarned else "",
    }
    paragraphs = [words[k].format(**values) for k in ("greeting", "earned", "see", "proof")]
    why = words["why"].format(**values)
    plain = "\n\n".join([*paragraphs, "-- ", why]) + "\n"
    safe = {k: html.escape(v) for k, v in values.items()}
    links = {k: f'<a href="{safe[k]}">{safe[k]}</a>' for k in ("me", "page")}
    rich = [words[k].format(**safe) for k in ("greeting", "earned")]
    rich.append(words["see"].format(**{**safe, **links}))
    rich.append(words["proof"])
    body = "".join(f"<p>{p}</p>\n" for p in rich)
    page = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(words['subject'].format(**values))}</title></head>\n"
            f'<body style="font-family: sans-serif; line-height: 1.5; max-width: 36em">\n{body}'
            f'<p><a href="{safe["me"]}" style="display: inline-block; padding: .6em 1.2em; '
            f'background: #1f4e79; color: #fff; text-decoration: none; border-radius: 4px">'
            f"{html.escape(words['button'])}</a></p>\n"
            f'<p style="color: #666; font-size: .85em">{html.escape(why)}</p>\n</body></html>\n')
    return Outgoing(to=email, subject=words["subject"].format(**values), text=plain, html=page,
                    kind=AWARD_KIND, credential_id=credential_id, language=lang)


def _subject(document: bytes) -> tuple[str, str]:
    doc = _decode(document)
    achievement = doc.credentialSubject.achievement
    lang = "nl" if achievement.inLanguage == "nl" else "en"
    return _TEXTS[lang]["subject"].format(title=achievement.name,
                                          institution=doc.issuer.name), lang


async def queue_award_mails(
    session: AsyncSession, institution_id: int, stored: Sequence[_Stored]
) -> None:
    """Queue one award mail per credential just stored (one statement for all of them)."""
    if not stored or not session.info.get(_INFO, True):
        return
    mails = []
    for row in stored:
        subject, lang = _subject(row.document)
        mails.append(Outgoing(to=row.learner_email, subject=subject, text=None, kind=AWARD_KIND,
                              institution_id=institution_id, credential_id=row.id,
                              language=lang))
    await queue_mails(session, mails, rows=False)


async def award_documents(
    session: AsyncSession, mails: Sequence[Claimed]
) -> dict[uuid.UUID, tuple[bytes, str]]:
    """The signed document and status of each credential the award ``mails`` announce."""
    ids = [m.credential_id for m in mails if m.kind == AWARD_KIND and m.body_text is None
           and m.credential_id is not None]
    if not ids:
        return {}
    rows = await session.execute(text(
        "SELECT id, document, status FROM credential WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": ids})
    return {row.id: (bytes(row.document), row.status) for row in rows}


def complete(mail: Claimed, documents: dict[uuid.UUID, tuple[bytes, str]]) -> Claimed | str:
    """``mail`` with its body, or why it cannot be sent (for good)."""
    if mail.body_text is not None:
        return mail
    if mail.kind != AWARD_KIND:
        return f"a {mail.kind!r} mail without a body"
    found = documents.get(mail.credential_id) if mail.credential_id else None
    if found is None:
        return "not sent: the credential no longer exists"
    document, status = found
    if status == "revoked":
        return "not sent: the credential was revoked before its mail left"
    rendered = award_mail(mail.credential_id, mail.recipient, document)  # type: ignore[arg-type]
    return msgspec.structs.replace(mail, body_text=rendered.text, body_html=rendered.html)
