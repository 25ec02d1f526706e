"""What third parties fetch to verify offline: DID documents and status lists.

Credentials embed our JSON-LD context (``credentials.builder``), so a verifier fetches
nothing else. Credentials issued before referenced it by an IRI nobody serves
(``credentials.proofs.jsonld.MICROCREDENTIAL_CONTEXT_URL``); ``{ACADEMY_BASE_URL}/contexts/
microcredential/v1`` serves the same bytes, immutable, for people to read.
"""

from __future__ import annotations

import logging

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from api.access import PUBLIC, access
from api.db import DbSession
from api.state import keyring_of
from api.openapi import OBJECT, Doc
from catalogue.errors import DomainError, Unavailable
from credentials.proofs.jsonld import MICROCREDENTIAL_CONTEXT_URL, context_document
from credentials.status import list_credential

__all__ = ["LD_JSON", "IssuerController"]

log = logging.getLogger("academy.credentials")

LD_JSON = "application/ld+json"
DID_JSON = "application/did+ld+json"
IMMUTABLE = "public, max-age=31536000, immutable"
_encode = msgspec.json.Encoder().encode


DID_DOC = Doc(responses={200: {DID_JSON: OBJECT}})
STATUS_LIST_DOC = Doc(path={"name": "StatusListName"}, responses={200: {LD_JSON: OBJECT}})
CONTEXT_DOC = Doc(responses={200: {LD_JSON: OBJECT}})


class IssuerController(Controller):
    tags = ["verification"]

    @get("/institutions/{slug:str}/did.json", opt=access(PUBLIC), doc=DID_DOC,
         summary="The institution's DID document (did:web), every signing key listed",
         description="Resolves did:web:<host>:institutions:<slug>: the verification methods "
                     "of every key the institution signed with (a revoked one marked with "
                     "its date), so that older credentials keep verifying. Cached 5 minutes.")
    async def did(self, request: Request, db_session: DbSession,
                  slug: FromPath[str]) -> Response[bytes]:
        document = await keyring_of(request.app).did_document(db_session, slug)
        return Response(_encode(document), media_type=DID_JSON,
                        headers={"Cache-Control": "public, max-age=300"})

    @get("/institutions/{slug:str}/status/{name:str}", opt=access(PUBLIC), doc=STATUS_LIST_DOC,
         summary="A signed Bitstring Status List credential (message-N, 2-bit entries)",
         description="The list a credential's credentialStatus points to, signed by the "
                     "institution, for verifiers to check revocation and suspension; never "
                     "cached stale (no-cache). 404 for an unknown list, 503 (retry) when it "
                     "cannot be served right now.")
    async def status_list(self, request: Request, db_session: DbSession, slug: FromPath[str],
                          name: FromPath[str]) -> Response[bytes]:
        try:
            body = await list_credential(db_session, keyring_of(request.app), slug, name)
        except DomainError:
            raise  # 404 for an unknown list, 503 for a key that does not decrypt
        except Exception:
            # Verifiers everywhere depend on this list: say "unavailable, retry", never 500.
            log.exception("status list %s/%s could not be served", slug, name)
            raise Unavailable(f"The status list {slug}/{name} cannot be served right now; "
                              "retry shortly.") from None
        return Response(body, media_type=LD_JSON, headers={"Cache-Control": "no-cache"})

    @get("/contexts/microcredential/v1", opt=access(PUBLIC), doc=CONTEXT_DOC,
         summary="Our JSON-LD context for the EU elements OB 3.0 has no term for",
         description="The context our credentials reference for the EU microcredential "
                     "elements (ECTS, EQF level, assessment, ...); immutable, cached for a "
                     "year.")
    async def context(self) -> Response[bytes]:
        return Response(context_document(MICROCREDENTIAL_CONTEXT_URL), media_type=LD_JSON,
                        headers={"Cache-Control": IMMUTABLE})
