"""Who may read a credential by its id: its holder and its issuer, nobody else.

The holder is a learner signed in (session cookie), or an API client with a learner token
of the credential's scope; the issuer is an API key of the issuing institution (or an admin
key). Anyone else, and anyone asking for an id that does not exist, gets the same 404, so
an id reveals nothing; the public reach a credential only through a live share link
(``credentials.shares``). Status lists, DID documents and keys stay public: verifiers need
them, and they name no learner.
"""

from __future__ import annotations

import uuid

from litestar import Request
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import authenticate, bearer_token
from api.sessions import page_learner
from credentials.errors import CredentialNotFound
from credentials.learners import TOKEN_PREFIX, Learner, learner_for_token, owned_credential
from credentials.status_changes import Stored, get_credential

__all__ = ["readable_credential"]


async def _holds(session: AsyncSession, learner: Learner | None, credential_id: uuid.UUID) -> bool:
    if learner is None:
        return False
    try:
        await owned_credential(session, learner, credential_id)
    except CredentialNotFound:
        return False
    return True


async def readable_credential(request: Request, session: AsyncSession,  # type: ignore[type-arg]
                              credential_id: uuid.UUID) -> Stored:
    """The credential if this request is its holder's or issuer's; else :class:`CredentialNotFound`
    (401 for a bearer token that is unknown, expired or revoked)."""
    try:
        stored = await get_credential(session, credential_id)
    except CredentialNotFound:
        stored = None
    token = bearer_token(request)
    allowed = False
    if token is not None and token.startswith(TOKEN_PREFIX):
        learner = await learner_for_token(session, token)
        if learner is None:
            raise NotAuthorizedException("The learner token is unknown, expired or revoked.",
                                         headers={"WWW-Authenticate": "Bearer"})
        allowed = stored is not None and await _holds(session, learner, credential_id)
    elif token is not None:
        principal = await authenticate(session, token)
        if principal is None:
            raise NotAuthorizedException("The API key is unknown or revoked.",
                                         headers={"WWW-Authenticate": "Bearer"})
        allowed = stored is not None and (principal.institution == stored.institution
                                          or "admin" in principal.scopes)
    elif stored is not None:
        allowed = await _holds(session, await page_learner(request, session), credential_id)
    if not allowed or stored is None:
        raise CredentialNotFound(
            f"No credential {credential_id} that you may see. A credential is shown by its id "
            "to its holder (signed in) and its issuer only; anyone else needs a share link "
            "from the holder.")
    return stored
