"""Partner API keys and the access rule every route declares.

A key looks like ``acad_<id>_<secret>``; only SHA-256 of the secret is stored (the secret
has 256 bits of entropy, so a slow hash adds nothing) and it is compared in constant time.
Every route handler declares ``opt={"access": Rule}``; the app-wide guard enforces it and
refuses routes that declare nothing. A partner rule checks the key's scope and, for
:func:`partner`, that the key acts for the ``slug`` path parameter; for
:func:`any_partner`, the slug is the resource's owner and the handler decides whether
the key's institution may act on it (e.g. a named partner approving a joint pathway).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from typing import Literal

import asyncpg
import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import DateTime, ForeignKey, String, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.db import driver_connection, driver_of
from api.ratelimit import is_limited
from catalogue.models import Base, Institution
from catalogue.errors import InstitutionNotFound, Invalid, NotFound
from credentials.learners import TOKEN_PREFIX as LEARNER_TOKEN_PREFIX

__all__ = [
    "ADMIN",
    "LEARNER",
    "PUBLIC",
    "SCOPES",
    "WALLET",
    "ApiKey",
    "Principal",
    "Rule",
    "access",
    "access_guard",
    "any_partner",
    "create_key",
    "list_keys",
    "partner",
    "revoke_key",
]

SCOPES = ("publish", "issue", "admin")
OPEN_PREFIXES = ("/schema",)
KEY_PREFIX = "acad"


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Rule(msgspec.Struct, frozen=True):
    kind: Literal["public", "partner", "any_partner", "learner", "admin", "wallet"]
    scope: str | None = None

    @property
    def needs_key(self) -> bool:
        return self.kind in ("partner", "any_partner", "admin")


PUBLIC = Rule("public")
LEARNER = Rule("learner")
ADMIN = Rule("admin")
# An OpenID4VCI access token (``credentials.oid4vci``), checked by the handler itself: its
# refusals are RFC 6750 JSON for wallets, not problem documents.
WALLET = Rule("wallet")


def partner(scope: str) -> Rule:
    """A partner key with ``scope`` (or admin) acting for the ``slug`` path parameter."""
    assert scope in SCOPES
    return Rule("partner", scope)


def any_partner(scope: str) -> Rule:
    """A partner key with ``scope`` (or admin), of any institution: the handler checks that
    ``request.state.principal.institution`` may act on the resource the path names."""
    assert scope in SCOPES
    return Rule("any_partner", scope)


def access(rule: Rule) -> dict[str, Rule]:
    return {"access": rule}


class Principal(msgspec.Struct, frozen=True):
    key_id: uuid.UUID
    institution: str
    scopes: frozenset[str]

    def may(self, scope: str, slug: str | None) -> bool:
        if "admin" in self.scopes:
            return True
        return scope in self.scopes and (slug is None or slug == self.institution)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession, institution: str, scopes: list[str], label: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; the plaintext is returned once and never stored."""
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise Invalid([("/scopes", f"scopes must be a non-empty subset of {', '.join(SCOPES)}")])
    inst = await session.scalar(select(Institution).where(Institution.slug == institution))
    if inst is None:
        raise InstitutionNotFound(institution)
    public_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        public_id=public_id,
        secret_hash=_hash(secret),
        institution_id=inst.id,
        scopes=sorted(set(scopes)),
        label=label,
    )
    session.add(key)
    await session.flush()
    return key, f"{KEY_PREFIX}_{public_id}_{secret}"


async def list_keys(session: AsyncSession) -> list[tuple[ApiKey, str]]:
    rows = await session.execute(
        select(ApiKey, Institution.slug).join(Institution).order_by(ApiKey.created_at)
    )
    return [(key, slug) for key, slug in rows]


async def revoke_key(session: AsyncSession, key_id: str) -> ApiKey:
    try:
        clause = ApiKey.id == uuid.UUID(key_id)
    except ValueError:
        clause = ApiKey.public_id == key_id
    key = await session.scalar(select(ApiKey).where(clause))
    if key is None:
        raise NotFound(f"No API key {key_id!r}.")
    if key.revoked_at is None:
        key.revoked_at = func.now()
        await session.flush()
    return key


async def authenticate(session: AsyncSession, token: str) -> Principal | None:
    return await authenticate_on(await driver_of(session), token)


async def authenticate_on(conn: asyncpg.Connection, token: str) -> Principal | None:
    """The principal of a partner key, or None; one statement on a driver connection
    (``api.db.driver_connection``): every partner request pays for it before its handler."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = await conn.fetchrow(
        "SELECT k.id, k.secret_hash, k.scopes, k.revoked_at IS NOT NULL, i.slug FROM api_key k "
        "JOIN institution i ON i.id = k.institution_id WHERE k.public_id = $1", parts[1])
    # Hash even when the key is unknown so the timing does not tell which part was wrong.
    candidate = _hash(parts[2])
    if row is None:
        hmac.compare_digest(candidate, "0" * 64)
        return None
    key_id, secret_hash, scopes, revoked, slug = row
    if not hmac.compare_digest(candidate, secret_hash) or revoked:
        return None
    return Principal(key_id=key_id, institution=slug, scopes=frozenset(scopes))


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    rule = handler.opt.get("access")
    if rule is None:
        if connection.scope["path"].startswith(OPEN_PREFIXES):  # OpenAPI document and UI
            return
        raise PermissionDeniedException("This route declares no access rule.")
    limiter = connection.app.state.rate_limiter
    if rule.kind == "public":
        if is_limited(connection.scope["path"]):
            limiter.hit("public", limiter.client(connection))
        return
    if rule.kind == "wallet":
        return
    if rule.kind == "learner":
        limiter.hit("public", limiter.client(connection))  # before the token is even looked up
        resolver = connection.app.state.learner_resolver
        connection.state.learner = await resolver(connection)
        return
    token = bearer_token(connection)
    if token is None:
        raise NotAuthorizedException(
            "An API key is required: send 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    async with driver_connection(connection.app.state.session_factory) as conn:
        principal = await authenticate_on(conn, token)
    if principal is None:
        if token.startswith(LEARNER_TOKEN_PREFIX):
            raise NotAuthorizedException(
                "This is a learner token: it opens the learner's routes (/api/v1/me/...); "
                "partner routes take a partner API key (acad_...).",
                headers={"WWW-Authenticate": "Bearer"})
        raise NotAuthorizedException(
            "The API key is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"}
        )
    slug = None if rule.kind == "any_partner" else connection.path_params.get("slug")
    scope = "admin" if rule.kind == "admin" else rule.scope
    assert scope is not None
    if rule.kind == "partner" and not isinstance(slug, str):
        # Fail closed: a partner rule on a path without {slug} cannot tell whose data it is.
        raise PermissionDeniedException("This route names no institution, so no partner key "
                                        "may act on it.")
    if not principal.may(scope, slug):
        if "admin" not in principal.scopes and scope not in principal.scopes:
            raise PermissionDeniedException(f"This key lacks the '{scope}' scope.")
        raise PermissionDeniedException(
            f"This key acts for '{principal.institution}', not for '{slug}'."
        )
    if connection.scope["method"] not in ("GET", "HEAD", "OPTIONS"):
        limiter.hit("write", str(principal.key_id))
    connection.state.principal = principal
