"""What the credential page and /verify show beyond the document: the verdict in words with
its date, the checks for the disclosure, an award's parts, the QR code, and a pasted link
resolved to one of our own credentials.

A pasted link is never fetched: it is matched against this registry's own addresses (the
base URL's host) and answered from the database, so /verify cannot be made to call any
other server (SSRF). A link to a credential by id answers only for its holder or issuer,
and says the same for a missing credential as for another's, so it reveals nothing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request

from api.db import DbSession
from api.routes.showing import readable, short_url
from api.sessions import page_learner, share_key
from catalogue.errors import DomainError
from credentials.learners import Learner, shared_credential
from credentials.presenting import award_parts, ours, status_changed
from credentials.purpose_shares import live_purpose_share
from credentials.showing import held_by
from credentials.status_changes import Stored, get_credential
from credentials.verifying import Report
from web.credential_facts import checks_in_words, credential_facts
from web.i18n import translator
from web.locale import Formatter
from web.views import qr_svg, verdict

__all__ = ["LinkProblem", "Resolved", "looks_like_link", "qr_context", "resolve_link",
           "verdict_context", "viewer_of"]

_SHARE = re.compile(r"^/(?:s|api/v1/shares)/(shr_[A-Za-z0-9_-]{16,64})$")
_BY_ID = re.compile(r"^/(?:api/v1/)?credentials/([0-9a-fA-F-]{36})(?:\.pdf|/json|/badge\.svg)?$")
_MAX_LINK = 2048


async def verdict_context(request: Request, db: DbSession, document: Any, report: Report,
                          lang: str, viewer: Learner | None) -> dict[str, Any]:
    """The verdict (and the day of a revocation or suspension the registry knows), the
    facts, the checks in words and the award's parts, for ``_verdict``/``_facts``."""
    base = request.app.state.settings.base_url
    fmt, t = Formatter(lang), translator(lang)
    said = verdict(report)
    credential_id = ours(document.get("id") if isinstance(document, dict) else None, base)
    changed = None
    if credential_id is not None and said in ("revoked", "suspended"):
        known = await status_changed(db, credential_id)
        if known is not None and known[0] == said:  # the registry agrees with the list
            changed = known[1]
    issuer = document.get("issuer") if isinstance(document, dict) else None
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    facts = credential_facts(document, lang)
    parts = await _parts(db, credential_id, facts.parts, base, viewer)
    return {"facts": facts, "verdict": said, "verdict_on": changed, "report": report,
            "checks": checks_in_words(report, document, t, fmt.date),
            "issuer_did": did if isinstance(did, str) else None, "parts": parts}


async def _parts(db: DbSession, award: uuid.UUID | None, named: list[Any], base: str,
                 viewer: Learner | None) -> list[dict[str, Any]]:
    """Each part as the page lists it: what the registry knows of it (only for an award of
    ours, and only its learner's credentials), else the course the award names."""
    ids = [ours(p.iri, base) for p in named]
    known = await award_parts(db, award, [i for i in ids if i], viewer) if award else {}
    out = []
    for part, part_id in zip(named, ids):
        row = known.get(part_id) if part_id else None
        slug, _, code = (part.course or "").partition("/")
        course = (row.course_institution, row.course_code) if row else (slug, code)
        out.append({"row": row, "course": part.course,
                    "course_url": f"/courses/{course[0]}/{course[1]}" if all(course) else None,
                    "url": f"/credentials/{row.id}" if row and row.readable else None})
    return out


async def qr_context(request: Request, db: DbSession, stored: Stored, share: str | None,
                     owns: bool, learner: Learner | None) -> dict[str, Any]:
    """The QR code the page may show: a share link's own short link; for the holder on
    the by-id page, their ``qr`` share link if they made one (else a button that makes
    it); for anyone else nothing (the by-id page opens for nobody who scans it)."""
    token = share
    if token is None and owns and learner is not None:
        key = share_key(request.app.state.settings)
        token = await live_purpose_share(db, key, stored.id, learner.email, "qr")
    if token is None:
        return {"qr": None, "qr_url": None, "qr_offer": owns}
    url = short_url(request, token)
    return {"qr": qr_svg(url), "qr_url": url, "qr_offer": False, "qr_own": share is None}


# --- /verify: a pasted link of this registry ------------------------------------------------


class LinkProblem(Exception):
    """A pasted link we cannot verify; ``key`` is the message (``web.i18n_employer``)."""

    def __init__(self, key: str, host: str) -> None:
        super().__init__(key)
        self.key, self.host = key, host


class Resolved(msgspec.Struct, frozen=True):
    stored: Stored
    page_url: str


def looks_like_link(raw: str) -> bool:
    """A pasted text that is a link rather than JSON: one word with a slash."""
    text = raw.strip()
    return (0 < len(text) <= _MAX_LINK and not text.startswith(("{", "[", '"'))
            and "/" in text and not any(c.isspace() for c in text))


async def resolve_link(request: Request, db: DbSession, raw: str) -> Resolved:
    """The credential a pasted link of this registry points to, from our database."""
    base = urlsplit(request.app.state.settings.base_url)
    text = raw.strip()
    if not text.startswith(("http://", "https://", "/")):
        text = f"{base.scheme}://{text}"  # "academy.example/s/shr_..." as people copy it
    try:
        link = urlsplit(text)
        host = (link.hostname or "").lower()
        port = link.port
    except ValueError:
        raise LinkProblem("verify.url.unknown", base.netloc) from None
    if link.netloc and (host != (base.hostname or "").lower() or port != base.port):
        raise LinkProblem("verify.url.foreign", base.netloc)
    path = link.path.rstrip("/")
    prefix = base.path.rstrip("/")
    if prefix and not path.startswith(prefix + "/"):
        raise LinkProblem("verify.url.unknown", base.netloc)
    path = path[len(prefix):]
    if match := _SHARE.match(path):
        try:
            found = await shared_credential(db, match[1])
        except DomainError:
            raise LinkProblem("verify.url.gone", base.netloc) from None
        stored = Stored(found.id, found.institution, found.status, found.document)
        return Resolved(stored, short_url(request, match[1]))
    if match := _BY_ID.match(path):
        try:
            stored = await get_credential(db, uuid.UUID(match[1]))
            await readable(request, db, stored)
        except (DomainError, ValueError):  # missing or not theirs: the same answer
            raise LinkProblem("verify.url.private", base.netloc) from None
        return Resolved(stored, f"/credentials/{stored.id}")
    raise LinkProblem("verify.url.unknown", base.netloc)


async def viewer_of(request: Request, db: DbSession, stored_id: uuid.UUID | None
                    ) -> tuple[Learner | None, bool]:
    """The learner of the page's browser and whether they hold the credential."""
    learner = await page_learner(request, db)
    owns = (learner is not None and stored_id is not None
            and await held_by(db, stored_id, learner))
    return learner, owns
