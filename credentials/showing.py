"""What showing a credential needs from the database: badge images, the reader's right.

``course_badge`` and ``pathway_badge`` draw the image of an achievement (``credentials.badge``)
from what the registry holds now; ``held_by`` is the holder half of who reads a credential
by id (its holder and its issuing institution: ``api.showing.readable``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.badge import badge_svg, colour_of
from credentials.builder import pick_language
from credentials.errors import CredentialNotFound
from credentials.learners import Learner

__all__ = ["Badge", "course_badge", "credential_owner", "held_by", "institution_colour",
           "pathway_badge"]

Badge = bytes


def _title(document: dict[str, Any], title: Any) -> str:
    if isinstance(title, str):
        return title
    return str(title[pick_language(title, document.get("languages"))])


async def course_badge(session: AsyncSession, slug: str, code: str) -> Badge | None:
    """The badge of a course (withdrawn ones too: issued credentials still point to it)."""
    row = (await session.execute(
        text("SELECT c.document, i.name, i.slug, i.colour FROM course c "
             "JOIN institution i ON i.id = c.institution_id WHERE i.slug = :s AND c.code = :c"),
        {"s": slug, "c": code})).first()
    if row is None:
        return None
    document, name, owner, colour = row
    return badge_svg(_title(document, document["title"]), name, colour_of(owner, colour))


async def pathway_badge(session: AsyncSession, pathway_id: uuid.UUID) -> Badge | None:
    """The badge of a pathway's award, as its latest version names it."""
    row = (await session.execute(
        text("SELECT v.document, i.name, i.slug, i.colour FROM pathway p "
             "JOIN pathway_version v ON v.pathway_id = p.id AND v.version = p.latest_version "
             "JOIN institution i ON i.id = p.institution_id WHERE p.id = :p"),
        {"p": pathway_id})).first()
    if row is None:
        return None
    document, name, owner, colour = row
    award = document.get("award") or {}
    title = award.get("title") or document.get("title") or "?"
    return badge_svg(_title(document, title), name, colour_of(owner, colour),
                     kind=str(award.get("achievement_type") or "Award"))


async def institution_colour(session: AsyncSession, slug: str) -> str:
    colour = await session.scalar(text("SELECT colour FROM institution WHERE slug = :s"),
                                  {"s": slug})
    return colour_of(slug, colour)


async def credential_owner(session: AsyncSession, credential_id: uuid.UUID) -> str:
    """The learner's (normalised) e-mail address of a credential."""
    email = await session.scalar(text("SELECT learner_email FROM credential WHERE id = :id"),
                                 {"id": credential_id})
    if email is None:
        raise CredentialNotFound(f"No credential {credential_id}.")
    return str(email)


async def held_by(session: AsyncSession, credential_id: uuid.UUID, learner: Learner) -> bool:
    """Whether ``learner`` holds the credential, within the token's scope (the
    institution that minted it, when it is an institution's token)."""
    return bool(await session.scalar(
        text("SELECT 1 FROM credential WHERE id = :id AND learner_email = :e "
             "AND (CAST(:scope AS integer) IS NULL OR institution_id = :scope)"),
        {"id": credential_id, "e": learner.email, "scope": learner.institution_id}))
