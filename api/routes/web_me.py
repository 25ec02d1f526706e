"""The learner's page's own parts: each credential's state and actions, share links made and
ended from the page, and pathway progress per rule.

``GET /me`` itself stays in ``api.routes.web`` (sign-in, the list and its pages); it asks
:func:`me_context` for what this module adds (``api.routes.site`` registers the controller
with the pages' HTML error handlers). The forms here change state, so each checks this
browser's CSRF token first and then answers 303 back to ``/me`` (a reload never posts
twice), to the page and the credential the learner was at.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect

from api.access import PUBLIC, access
from api.db import DbSession
from api.routes.showing import holder_links, short_url
from api.security import same_origin
from api.sessions import CSRF_FIELD, check_csrf, page_learner, share_key
from credentials.errors import ShareNotFound
from credentials.learners import Learner, LearnerCredential
from credentials.progress import learner_progress
from credentials.records import course_facts
from credentials.shares import ShareLink, create_share, delete_share_by_id, list_shares
from credentials.status_changes import parse_id
from credentials.unit_reasons import not_counted
from web.progress_view import PathwayView, pathway_view, unit_courses
from web.views import CredentialView, credential_view

__all__ = ["HeldCard", "MeActionsController", "me_context"]

PATHWAYS_SHOWN = 50  # pathways one /me page shows (a learner touches a handful)


class HeldCard(msgspec.Struct, kw_only=True):
    """One credential on /me as the learner sees it."""

    row: LearnerCredential
    view: CredentialView
    state: str  # valid, revoked, suspended, expired
    since: datetime | date | None  # when it was revoked/suspended/expired, if known
    shares: list[tuple[ShareLink, str]]  # live links and their URLs (the token can be shown)
    links: dict[str, str]


def _state(row: LearnerCredential, today: date) -> tuple[str, datetime | date | None]:
    if row.status in ("revoked", "suspended"):
        return row.status, row.status_changed_at
    if row.valid_until is not None and row.valid_until < today:
        return "expired", row.valid_until
    return "valid", None


async def me_context(request: Request, db_session: DbSession, learner: Learner,
                     rows: list[LearnerCredential]) -> dict[str, Any]:
    """What /me shows beyond the list: each credential's card, and the pathways."""
    today = datetime.now(UTC).date()
    key = share_key(request.app.state.settings)
    links = await list_shares(db_session, learner, key, credentials=[r.id for r in rows])
    by_credential: dict[uuid.UUID, list[tuple[ShareLink, str]]] = {}
    for link in links:
        if link.token is not None:  # made under an older key: listed by the API, not here
            by_credential.setdefault(link.credential_id, []).append(
                (link, short_url(request, link.token)))
    cards = []
    for row in rows:
        state, since = _state(row, today)
        cards.append(HeldCard(row=row, view=credential_view(msgspec.json.decode(row.document)),
                              state=state, since=since, shares=by_credential.get(row.id, []),
                              links=holder_links(row.id)))
    return {"cards": cards, "pathways": await _pathways(db_session, learner, today),
            "new_share": request.query_params.get("shared"),
            "unshared": bool(request.query_params.get("unshared"))}


async def _pathways(db_session: DbSession, learner: Learner, today: date) -> list[PathwayView]:
    items, _ = await learner_progress(db_session, learner.email, today, limit=PATHWAYS_SHOWN,
                                      issuer_id=learner.institution_id)
    courses = set().union(*(unit_courses(p.rules) for p in items)) if items else set()
    facts = await course_facts(db_session, courses)
    why = await not_counted(db_session, learner.email, items, today, learner.institution_id)
    return [pathway_view(p, facts, {course: reason for (pid, course), reason in why.items()
                                    if pid == p.pathway_id}) for p in items]


def _back(form: Any, credential_id: uuid.UUID, **params: str) -> str:
    """/me at the page the form was on, scrolled to the credential."""
    cursor = form.get("cursor")
    query = {**({"cursor": cursor} if isinstance(cursor, str) and cursor else {}), **params}
    return f"/me?{urlencode(query)}#credential-{credential_id}"


async def _signed_form(request: Request, db_session: DbSession) -> tuple[Any, Learner | None]:
    """A /me form, its CSRF token checked, and the learner signed in (None: not)."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return form, await page_learner(request, db_session)


class MeActionsController(Controller):
    include_in_schema = False
    guards = [same_origin]  # forms that change state come from our own pages only

    @post("/me/credentials/{id:str}/shares", opt=access(PUBLIC), status_code=303,
          name="web:share")
    async def share(self, request: Request, db_session: DbSession,
                    id: FromPath[str]) -> Redirect:
        """A new live share link to one of my credentials; /me then shows it to copy."""
        form, learner = await _signed_form(request, db_session)
        if learner is None:
            return Redirect("/me", status_code=303)
        credential_id = parse_id(id)
        link = await create_share(db_session, learner, credential_id,
                                  share_key(request.app.state.settings))
        return Redirect(_back(form, credential_id, shared=str(link.id)), status_code=303)

    @post("/me/shares/{id:str}/delete", opt=access(PUBLIC), status_code=303,
          name="web:unshare")
    async def unshare(self, request: Request, db_session: DbSession,
                      id: FromPath[str]) -> Redirect:
        """End one of my share links: whoever has it gets a 404 from now on."""
        form, learner = await _signed_form(request, db_session)
        if learner is None:
            return Redirect("/me", status_code=303)
        try:
            share_id = uuid.UUID(id)
        except ValueError:
            raise ShareNotFound("You have no share link with this id.") from None
        credential = form.get("credential")
        back = parse_id(credential) if isinstance(credential, str) and credential else None
        await delete_share_by_id(db_session, learner, share_id)
        if back is None:
            return Redirect("/me?unshared=1", status_code=303)
        return Redirect(_back(form, back, unshared="1"), status_code=303)
