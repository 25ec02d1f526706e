"""A share link, negotiated: the credential page for browsers, the credential for programs.

``Accept`` decides (``text/html`` preferred: the page; a JSON type or no preference: the
credential's exact bytes, as ``application/json`` when that is what was asked for, else
``application/ld+json``); ``?format=json`` downloads the JSON from the page. A deleted
link is a 404 in either form.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.routes.issuers import LD_JSON
from api.routes.web import PAGE_ERRORS, credential_page
from catalogue.errors import DomainError
from credentials.learners import shared_credential
from credentials.status_changes import Stored

__all__ = ["negotiate", "shared_response"]

_OFFERED = [LD_JSON, "application/json", "text/html"]


def negotiate(request: Request, download: bool = False) -> str:  # type: ignore[type-arg]
    """``text/html``, ``application/json`` or ``application/ld+json``."""
    if download:
        return LD_JSON
    return request.accept.best_match(_OFFERED, default=LD_JSON) or LD_JSON


async def shared_response(request: Request, session: AsyncSession,  # type: ignore[type-arg]
                          token: str, *, download: bool = False) -> Response[bytes] | Template:
    kind = negotiate(request, download)
    try:
        found = await shared_credential(session, token)
    except DomainError as exc:
        if kind == "text/html":
            return PAGE_ERRORS[DomainError](request, exc)  # type: ignore[no-any-return]
        raise
    url = f"{request.app.state.settings.base_url}/api/v1/shares/{token}"
    if kind == "text/html":
        stored = Stored(found.id, found.institution, found.status, found.document)
        return await credential_page(request, session, stored, url, f"{url}?format=json",
                                     share=token)
    headers = {"Vary": "Accept"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="credential-{found.id}.json"'
    return Response(found.document, media_type=kind, headers=headers)
