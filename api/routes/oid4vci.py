"""OpenID4VCI 1.0 at the edge: metadata, offers, token, nonce and credential endpoints.

One Credential Issuer per institution, ``{ACADEMY_BASE_URL}/institutions/{slug}``; its
metadata sit at the RFC 8615 well-known URIs with the issuer's path after the well-known
segment (OID4VCI §12.2.2, RFC 8414 §3.1). The flow and its rules are in
``credentials.oid4vci``. Errors of the OAuth endpoints are the JSON bodies of RFC 6749
§5.2 / RFC 6750 §3 / OID4VCI §8.3.1.2, not problem+json (wallets read ``error``);
everything under ``/api/v1`` stays problem+json.
"""

from __future__ import annotations

import html
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote

import msgspec
from asyncpg import Connection
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.access import LEARNER, PUBLIC, WALLET, access, bearer_token, partner
from api.db import DbSession, driver_connection
from api.state import keyring_of
from api.openapi import Doc
from catalogue.validation import MalformedJSON, loads_strict
from catalogue.structs import OutStruct
from credentials.builder import STANDARD_CONTEXTS
from credentials.keys import SigningKey
from credentials.proofs.holder_proof import PROOF_ALGS
from credentials.records import get_institution
from credentials.oid4vci import (
    CONFIGURATION_ID,
    NONCE_SECONDS,
    OAuthError,
    create_offer,
    issue_to_holder,
    issuer_identifier,
    new_nonce,
    offered_code,
    redeem_code,
)
from credentials.status_changes import parse_id
from credentials.showing import institution_colour

__all__ = ["OfferController", "Oid4vciController", "OFFER_SCHEME", "offer_uri"]

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
NO_STORE = {"Cache-Control": "no-store"}
TX_CODE_DESCRIPTION = ("Voer de code van 6 cijfers in die naast de QR-code staat. / "
                       "Enter the 6-digit code shown beside the QR code.")
_encode = msgspec.json.Encoder().encode


class OfferOut(OutStruct):
    offer_uri: str
    tx_code: str
    expires_at: datetime


def _driver(request: Request) -> AbstractAsyncContextManager[Connection]:
    return driver_connection(request.app.state.session_factory)


def _issuer(request: Request, slug: str) -> str:
    return issuer_identifier(request.app.state.settings.base_url, slug)


def offer_uri(base_url: str, slug: str, offer_token: str) -> str:
    """The ``openid-credential-offer://`` URI a wallet scans (OID4VCI §4.1.3, by reference)."""
    url = f"{issuer_identifier(base_url, slug)}/oid4vci/offers/{offer_token}"
    return f"{OFFER_SCHEME}?credential_offer_uri={quote(url, safe='')}"


def _json(body: Any, status: int = HTTP_200_OK, headers: dict[str, str] | None = None
          ) -> Response[bytes]:
    return Response(_encode(body), status_code=status, media_type="application/json",
                    headers={**NO_STORE, **(headers or {})})


def _oauth_error(exc: OAuthError) -> Response[bytes]:
    headers = {}
    if exc.status == 401:  # RFC 6750 §3
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return _json({"error": exc.code, "error_description": exc.description}, exc.status, headers)


def _limit(request: Request) -> None:
    """The credential endpoint counts against the client's public rate limit, as the
    access guard counts the public offer, token and nonce endpoints."""
    limiter = request.app.state.rate_limiter
    limiter.hit("public", limiter.client(request))


def _display(name: str, logo: str) -> list[dict[str, Any]]:
    return [{"name": name, "locale": locale, "logo": {"uri": logo, "alt_text": name}}
            for locale in ("nl", "en")]


def _configuration(name: str, logo: str, colour: str = "#1d3557") -> dict[str, Any]:
    # The card in the wallet wears the institution's badge colour (credentials.badge).
    display = [{**entry, "description": text, "background_color": colour,
                "text_color": "#ffffff"}
               for entry, text in zip(_display(name, logo), (
                   f"Microcredential van {name}", f"Microcredential from {name}"), strict=True)]
    return {
        "format": "ldp_vc",
        "credential_definition": {"@context": STANDARD_CONTEXTS,
                                  "type": ["VerifiableCredential", CONFIGURATION_ID]},
        "cryptographic_binding_methods_supported": ["did:key", "did:jwk"],
        "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported":
                                          list(PROOF_ALGS)}},
        "display": display,  # where drafts up to 15 and the issue read it
        "credential_metadata": {"display": display},  # where 1.0 final reads it (§12.2.4)
    }


class Oid4vciController(Controller):
    """The protocol's own endpoints: wallets find them in the issuer's metadata and speak
    OID4VCI / OAuth to them, so they stay out of our OpenAPI document."""

    include_in_schema = False

    @get("/.well-known/openid-credential-issuer/institutions/{slug:str}", opt=access(PUBLIC),
         summary="Credential Issuer metadata of an institution (OID4VCI 1.0 §12.2)")
    async def issuer_metadata(self, request: Request, db_session: DbSession,
                              slug: FromPath[str]) -> Response[bytes]:
        institution = await get_institution(db_session, slug)
        issuer = _issuer(request, slug)
        logo = f"{issuer}/logo.svg"
        return Response(_encode({
            "credential_issuer": issuer,
            "credential_endpoint": f"{issuer}/oid4vci/credential",
            "nonce_endpoint": f"{issuer}/oid4vci/nonce",
            "display": _display(institution.name, logo),
            "credential_configurations_supported": {
                CONFIGURATION_ID: _configuration(institution.name, logo,
                                                 await institution_colour(db_session, slug))},
        }), media_type="application/json", headers={"Cache-Control": "public, max-age=300"})

    @get("/.well-known/oauth-authorization-server/institutions/{slug:str}", opt=access(PUBLIC),
         summary="OAuth 2.0 Authorization Server metadata of an institution (RFC 8414)")
    async def as_metadata(self, request: Request, db_session: DbSession,
                          slug: FromPath[str]) -> Response[bytes]:
        await get_institution(db_session, slug)
        issuer = _issuer(request, slug)
        return Response(_encode({
            "issuer": issuer,
            "token_endpoint": f"{issuer}/oid4vci/token",
            "grant_types_supported": [PRE_AUTHORIZED],
            "pre-authorized_grant_anonymous_access_supported": True,
            "token_endpoint_auth_methods_supported": ["none"],
            "response_types_supported": [],
        }), media_type="application/json", headers={"Cache-Control": "public, max-age=300"})

    @get("/institutions/{slug:str}/logo.svg", opt=access(PUBLIC),
         summary="The institution's logo as wallets show it")
    async def logo(self, db_session: DbSession, slug: FromPath[str]) -> Response[bytes]:
        institution = await get_institution(db_session, slug)
        initials = html.escape("".join(w[0] for w in institution.name.split()[:3]).upper())
        svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" '
               'viewBox="0 0 96 96"><rect width="96" height="96" rx="16" '
               f'fill="{await institution_colour(db_session, slug)}"/>'
               '<text x="48" y="58" font-family="sans-serif" font-size="30" fill="#fff" '
               f'text-anchor="middle">{initials}</text></svg>')
        return Response(svg.encode(), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    # The flow's endpoints below are one SQL statement a request (the credential endpoint
    # two) on a driver connection (``api.db.driver_connection``): the hot path of #16.
    @get("/institutions/{slug:str}/oid4vci/offers/{token:str}", opt=access(PUBLIC),
         summary="A Credential Offer by reference (OID4VCI §4.1.3)")
    async def offer(self, request: Request, slug: FromPath[str],
                    token: FromPath[str]) -> Response[bytes]:
        async with _driver(request) as conn:
            code = await offered_code(conn, slug, token)
        if code is None:
            return _json({"error": "invalid_request", "error_description": "This offer is "
                          "unknown, used or expired: ask for a new one."}, 404)
        return _json({
            "credential_issuer": _issuer(request, slug),
            "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {PRE_AUTHORIZED: {
                "pre-authorized_code": code,
                "tx_code": {"input_mode": "numeric", "length": 6,
                            "description": TX_CODE_DESCRIPTION},
            }},
        })

    @post("/institutions/{slug:str}/oid4vci/token", opt=access(PUBLIC), status_code=HTTP_200_OK,
          summary="Token endpoint: a pre-authorised code and its tx_code for an access token")
    async def token(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        try:
            form = _form(request, await request.body())
            if "grant_type" not in form:
                raise OAuthError("invalid_request", f"grant_type is required: {PRE_AUTHORIZED}.")
            if form["grant_type"] != PRE_AUTHORIZED:
                raise OAuthError("unsupported_grant_type",
                                 f"grant_type must be {PRE_AUTHORIZED}.")
            code = form.get("pre-authorized_code")
            if not code:
                raise OAuthError("invalid_request", "pre-authorized_code is required.")
            async with _driver(request) as conn:
                token = await redeem_code(conn, slug, code, form.get("tx_code"))
        except OAuthError as exc:
            return _oauth_error(exc)  # a wrong tx_code was counted by the statement itself
        return _json({"access_token": token.access_token, "token_type": "Bearer",
                      "expires_in": token.expires_in})

    @post("/institutions/{slug:str}/oid4vci/nonce", opt=access(PUBLIC), status_code=HTTP_200_OK,
          summary="Nonce endpoint: a fresh single-use c_nonce (OID4VCI §7)")
    async def nonce(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        async with _driver(request) as conn:
            nonce = await new_nonce(conn, slug)
        return _json({"c_nonce": nonce, "c_nonce_expires_in": NONCE_SECONDS})

    @post("/institutions/{slug:str}/oid4vci/credential", opt=access(WALLET),
          status_code=HTTP_200_OK,
          summary="Credential endpoint: the credential bound to the wallet's key (OID4VCI §8)")
    async def credential(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        _limit(request)
        try:
            access_token = bearer_token(request)
            if access_token is None:
                raise OAuthError("invalid_token", "Send the access token of the token "
                                 "endpoint: 'Authorization: Bearer <token>'.", 401)
            try:
                body = loads_strict(await request.body())
            except MalformedJSON as exc:
                raise OAuthError("invalid_credential_request", str(exc)) from None
            keyring = keyring_of(request.app)

            async def new_key(institution_id: int, slug: str) -> SigningKey:
                async with request.app.state.session_factory() as session:
                    key = await keyring.signing_key(session, institution_id, slug)
                    await session.commit()
                return key

            async with _driver(request) as conn:
                signed = await issue_to_holder(conn, keyring, slug, access_token, body,
                                               fallback_key=new_key)
        except OAuthError as exc:
            return _oauth_error(exc)
        return _json({"credentials": [{"credential": msgspec.Raw(signed)}]})


def _form(request: Request, raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (RFC 6749 §4.1.3), each name once."""
    if request.headers.get("content-type", "").split(";")[0].strip() != \
            "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "The token request is form-encoded "
                         "(Content-Type: application/x-www-form-urlencoded).")
    try:
        fields = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The body is not a valid form.") from None
    if any(len(v) != 1 for v in fields.values()):
        raise OAuthError("invalid_request", "Each parameter may appear once (RFC 6749 §3.1).")
    return {k: v[0] for k, v in fields.items()}


OFFER_DOC = Doc(statuses=frozenset({409}), responses={201: {"application/json": OfferOut}})


class OfferController(Controller):
    """The two ways to make an offer: the learner's own, or the issuing institution's."""

    tags = ["wallets (OpenID4VCI)"]

    async def _offer(self, request: Request, id: str, **who: str) -> Response[bytes]:
        settings = request.app.state.settings
        credential_id = parse_id(id)
        async with _driver(request) as conn:
            made = await create_offer(conn, credential_id, ttl=settings.offer_ttl_seconds,
                                      **who)
        out = OfferOut(offer_uri=offer_uri(settings.base_url, made.slug, made.offer_token),
                       tx_code=made.tx_code, expires_at=made.expires_at)
        return _json(out, HTTP_201_CREATED)

    @post("/api/v1/me/credentials/{id:str}/offers", opt=access(LEARNER), doc=OFFER_DOC,
          status_code=HTTP_201_CREATED,
          summary="An OpenID4VCI offer of my credential, for my wallet (QR + tx_code)",
          description="A pre-authorised Credential Offer (offer_uri, to show as a QR code) "
                      "and its one-time tx_code, valid 10 minutes by default: the wallet redeems "
                      "them at the institution's token and credential endpoints and receives "
                      "the credential bound to its own key. 404 for a credential that is not "
                      "the learner's; 409 when revoked, or in the form issued before revocation "
                      "lists (reissue it first).")
    async def mine(self, request: Request, id: FromPath[str]) -> Response[bytes]:
        return await self._offer(request, id, email=request.state.learner.email)

    @post("/api/v1/institutions/{slug:str}/credentials/{id:str}/offers",
          opt=access(partner("issue")), doc=OFFER_DOC, status_code=HTTP_201_CREATED,
          summary="An OpenID4VCI offer of a credential we issued, to hand to its learner",
          description="Like the learner's own offer, made by the issuing institution (to "
                      "send to the learner with the tx_code by another channel). 404 for a "
                      "credential another institution issued; 409 when revoked or not yet "
                      "reissued.")
    async def issued(self, request: Request, slug: FromPath[str],
                     id: FromPath[str]) -> Response[bytes]:
        return await self._offer(request, id, institution=slug)
