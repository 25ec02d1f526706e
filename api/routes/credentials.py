"""Issuing, reading, verifying, revoking and suspending microcredentials.

Credentials travel as the exact bytes that were signed: the handlers return stored
bytes and embed them with ``msgspec.Raw``, never re-serialising a parsed copy. Media type
``application/ld+json`` (a JSON-LD document that any JSON client reads).
"""

from __future__ import annotations

import html
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.access import PUBLIC, access, partner
from api.db import DbSession
from api.routes.issuers import LD_JSON
from api.state import keyring_of, status_cache_of
from api.readers import readable_credential
from api.verification import client_of, parse_verify_body, prover_of, stored_prover, verdicts_of
from api.openapi import OBJECT, Doc, Example
from api.openapi_schemas import PYTHON_NON_SPACE, REF
from catalogue.validation import MalformedJSON, Violation, loads_strict
from catalogue.structs import OutStruct
from credentials.errors import Invalid
from credentials.issuing import MAX_BATCH, Outcome, issue, issue_one
from credentials.proofs.limits import MAX_BODY_BYTES, MAX_ITEMS
from credentials.status_changes import change_status, parse_id
from credentials.verifying import Report, verify_credential, verify_many

__all__ = ["CredentialController", "IssuingController", "VerifyController", "credential_handlers"]

_encode = msgspec.json.Encoder().encode


class ItemError(OutStruct):
    pointer: str
    message: str


class BatchItem(OutStruct, omit_defaults=True):
    index: int
    status: str
    id: str | None = None
    location: str | None = None
    credential: msgspec.Raw | None = None
    errors: list[ItemError] | None = None


class BatchResult(OutStruct):
    created: int
    existing: int
    invalid: int
    conflict: int
    items: list[BatchItem]


class StatusOut(OutStruct):
    id: str
    status: str
    reason: str | None


def _location(credential_id: uuid.UUID | None) -> str:
    return f"/api/v1/credentials/{credential_id}"


def _item(outcome: Outcome) -> BatchItem:
    if outcome.document is None:
        errors = [ItemError(pointer=p, message=m) for p, m in outcome.errors or []]
        return BatchItem(index=outcome.index, status=outcome.status, errors=errors)
    return BatchItem(index=outcome.index, status=outcome.status, id=str(outcome.id),
                     location=_location(outcome.id), credential=msgspec.Raw(outcome.document))


def _key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header (IETF draft), if any."""
    value = request.headers.get("idempotency-key")
    if value is None:
        return None
    if not 1 <= len(value) <= 200 or not value.isprintable():
        raise Invalid([("header:Idempotency-Key", "must be 1-200 printable characters")])
    return value


async def _reason(request: Request, required: bool) -> str | None:
    raw = await request.body()
    body: Any = loads_strict(raw) if raw.strip() else {}
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(body, dict) or (reason is not None and not isinstance(reason, str)):
        raise Invalid([("/reason", "the body is {\"reason\": \"...\"}")])
    if required and not (reason or "").strip():
        raise Invalid([("/reason", "a reason is required")])
    if reason is not None and len(reason) > 2000:
        raise Invalid([("/reason", "at most 2000 characters")])
    return reason


_REQUEST = {"$ref": REF + "MicrocredentialRequest"}
_EXAMPLE = Example("microcredential-request.json")
ISSUE_DOC = Doc(statuses=frozenset({409}), headers=frozenset({"Idempotency-Key"}),
                sends={200: ("Location",), 201: ("Location",)},
                response_examples={201: Example("responses/credential.json"),
                                   200: Example("responses/credential.json")},
                body_examples={"application/json": _EXAMPLE}, body={
    "description": "An issuance request.",
    "required": True,
    "content": {"application/json": {"schema": _REQUEST}},
}, responses={201: {LD_JSON: OBJECT}, 200: {LD_JSON: OBJECT}})
BATCH_DOC = Doc(statuses=frozenset({409}), headers=frozenset({"Idempotency-Key"}),
                body_examples={"application/json": Example("microcredential-request.json",
                                                           lambda one: [one])}, body={
    "description": "1 to 1,000 issuance requests; one result per item.",
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "array", "minItems": 1, "maxItems": 1000, "items": _REQUEST}}},
}, responses={200: {"application/json": BatchResult}})


def _reason_body(required: bool) -> dict[str, Any]:
    """A status change's body: an optional reason, required to revoke."""
    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                                  "pattern": PYTHON_NON_SPACE}},
    }
    if required:
        schema["required"] = ["reason"]
    return {"required": required, "description": "Required (with a reason) to revoke.",
            "content": {"application/json": {"schema": schema}}}


REVOKE_DOC = Doc(statuses=frozenset({409}), body=_reason_body(True), body_examples={
    "application/json": {"reason": "Issued to the wrong learner."}})
STATUS_CHANGE_DOC = Doc(statuses=frozenset({409}), body=_reason_body(False), body_examples={
    "application/json": {"reason": "Under investigation for exam fraud."}})
READ_DOC = Doc(responses={200: {LD_JSON: OBJECT, "text/html": {"type": "string"}}},
               statuses=frozenset({401}))  # a bearer token that is not (or no longer) valid
VERIFY_DOC = Doc(response_examples={200: Example("responses/verify-report.json")}, body_examples={"application/json": {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": "did:web:academy.example.org:institutions:ucll"}}, body={
    "description": "A credential, or a JSON array of up to 1,000, in at most 1 MiB: any "
                   "JSON is verified (and what is not a credential fails verification). "
                   "Each credential counts toward the client's verify rate.",
    "required": True,
    "content": {"application/json": {"schema": {"anyOf": [
        {"type": ["object", "string", "number", "boolean", "null"]},
        {"type": "array", "maxItems": 1000},
    ]}}},
})


class IssuingController(Controller):
    path = "/api/v1/institutions/{slug:str}/credentials"
    tags = ["credentials"]

    @post("/", opt=access(partner("issue")), doc=ISSUE_DOC, status_code=HTTP_201_CREATED,
          summary="Issue one microcredential",
          description="Issues an Open Badges 3.0 credential with the EU microcredential "
                      "elements for a course this institution published, signed with the "
                      "institution's key, and answers it as signed (201, Location). With an "
                      "Idempotency-Key, the same request again answers the credential already "
                      "issued (200) and a different body under the same key is 409. 422 names "
                      "every invalid field (unknown course, bad grade scale...).")
    async def issue_one(
        self, request: Request, db_session: DbSession, slug: FromPath[str]
    ) -> Response[bytes]:
        body = loads_strict(await request.body())
        outcome = await issue_one(db_session, keyring_of(request.app), slug, body,
                                  idempotency_key=_key(request))
        status = HTTP_201_CREATED if outcome.status == "created" else HTTP_200_OK
        return Response(outcome.document or b"", status_code=status, media_type=LD_JSON,
                        headers={"Location": _location(outcome.id)})

    @post("/batch", opt=access(partner("issue")), doc=BATCH_DOC, status_code=HTTP_200_OK,
          summary=f"Issue up to {MAX_BATCH} microcredentials, one result per item",
          description="Each item is an issuance request like POST .../credentials; each gets "
                      "its own result (created, existing, invalid with errors, or conflict): "
                      "valid items are issued even when others are not. With an "
                      "Idempotency-Key, item i uses the key KEY#i.")
    async def batch(
        self, request: Request, db_session: DbSession, slug: FromPath[str]
    ) -> Response[bytes]:
        bodies = loads_strict(await request.body())
        if not isinstance(bodies, list):
            raise Invalid([("", "the body must be a JSON array of issuance requests")])
        if len(bodies) > MAX_BATCH:
            raise Invalid([("", f"a batch holds at most {MAX_BATCH} requests, not {len(bodies)}")])
        if not bodies:
            raise MalformedJSON([Violation("", "the batch holds no request: send a JSON array of "
                                               "one or more issuance requests")])
        outcomes = await issue(db_session, keyring_of(request.app), slug, bodies,
                               idempotency_key=_key(request))
        counts = {s: sum(o.status == s for o in outcomes)
                  for s in ("created", "existing", "invalid", "conflict")}
        result = BatchResult(**counts, items=[_item(o) for o in outcomes])
        return Response(_encode(result), media_type="application/json")

    async def _change(self, request: Request, db_session: DbSession, slug: str, id: str,
                      action: str, reason_required: bool) -> StatusOut:
        reason = await _reason(request, reason_required)
        change = await change_status(db_session, slug, parse_id(id), action,  # type: ignore[arg-type]
                                     reason, keyring=keyring_of(request.app))
        return StatusOut(id=str(change.id), status=change.status, reason=change.reason)

    @post("/{id:str}/revoke", opt=access(partner("issue")), doc=REVOKE_DOC, status_code=HTTP_200_OK,
          summary="Revoke a credential (final)",
          description="Sets the credential's bit in the institution's status list, with the "
                      "reason given (required): every verifier then sees it revoked. Final: "
                      "a revoked credential can be neither suspended nor reinstated (409); "
                      "404 for a credential another institution issued.")
    async def revoke(self, request: Request, db_session: DbSession, slug: FromPath[str],
                     id: FromPath[str]) -> StatusOut:
        return await self._change(request, db_session, slug, id, "revoke", True)

    @post("/{id:str}/suspend", opt=access(partner("issue")), doc=STATUS_CHANGE_DOC,
          status_code=HTTP_200_OK,
          summary="Suspend a credential",
          description="Sets the credential's bit in the institution's status list (a reason "
                      "is optional): verifiers see it fail until the suspension is lifted. "
                      "409 if it is revoked or already suspended.")
    async def suspend(self, request: Request, db_session: DbSession, slug: FromPath[str],
                      id: FromPath[str]) -> StatusOut:
        return await self._change(request, db_session, slug, id, "suspend", False)

    @post("/{id:str}/unsuspend", opt=access(partner("issue")), doc=STATUS_CHANGE_DOC,
          status_code=HTTP_200_OK,
          summary="Lift a suspension",
          description="Clears the suspension: the credential verifies again, and pathways it "
                      "completes are awarded. 409 if it is not suspended.")
    async def unsuspend(self, request: Request, db_session: DbSession, slug: FromPath[str],
                        id: FromPath[str]) -> StatusOut:
        return await self._change(request, db_session, slug, id, "unsuspend", False)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def render_page(document: bytes, report: Report) -> str:
    """A minimal human page: the credential's title, issuer and each check's result."""
    parsed: Any = msgspec.json.decode(document)
    title = html.escape(str(parsed.get("name", "Credential")))
    issuer = parsed.get("issuer") or {}
    issuer_name = html.escape(str(issuer.get("name", issuer.get("id", ""))))
    verdict = "Verified" if report.verified else "Not verified"
    marks = {True: "ok", False: "FAILED", None: "unknown"}
    rows = "".join(
        f"<tr><td>{c.check}</td><td>{marks[c.ok]}</td><td>{html.escape(c.reason)}</td></tr>"
        for c in report.checks
    )
    return (
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
        f"</head><body><h1>{title}</h1><p>Issued by {issuer_name}, valid from "
        f"{html.escape(str(parsed.get('validFrom', '')))}.</p><h2>{verdict}</h2>"
        f"<table><tr><th>check</th><th>result</th><th>reason</th></tr>{rows}</table>"
        f"<h2>Credential</h2><pre>{html.escape(document.decode())}</pre></body></html>"
    )


class CredentialController(Controller):
    path = "/api/v1/credentials"
    tags = ["credentials"]

    @get("/{id:str}", opt={**access(PUBLIC), "page_queries": ("lang",)}, doc=READ_DOC,
         summary="A credential exactly as issued, for its holder and its issuer only "
                 "(HTML page with its verification for browsers)",
         description="The signed document byte for byte (application/ld+json), so that its "
                     "proof verifies; a browser (Accept: text/html) gets a page with the "
                     "credential and the result of verifying it now. Only its holder (learner "
                     "token or sign-in session) and its issuing institution (API key) may "
                     "read it; anyone else gets 404, as for an unknown id (share links are the "
                     "public way). 401 for a bearer token that is not valid.")
    async def read(self, request: Request, db_session: DbSession,
                   id: FromPath[str]) -> Response[bytes]:
        """Its holder (session cookie or learner token) and its issuing institution (API key)
        read it; anyone else gets 404, as for an id that does not exist. The public reach a
        credential through the holder's share links (``/api/v1/shares/{token}``)."""
        stored = await readable_credential(request, db_session, parse_id(id))
        if _wants_html(request):
            app = request.app
            report = await verify_credential(
                db_session, keyring_of(app), msgspec.json.decode(stored.document),
                cache=await status_cache_of(app),
                prover=stored_prover(verdicts_of(app), stored.id, prover_of(app)))
            return Response(render_page(stored.document, report).encode(),
                            media_type="text/html; charset=utf-8")
        return Response(stored.document, media_type=LD_JSON)


class VerifyController(Controller):
    path = "/api/v1/verify"
    tags = ["verification"]

    @post("/", opt=access(PUBLIC), doc=VERIFY_DOC,
          status_code=HTTP_200_OK, request_max_body_size=MAX_BODY_BYTES,
          summary=f"Verify any credential (or a JSON array of up to {MAX_ITEMS}: one report each)",
          description="Five checks, each ok true, false or null (undecided) with a reason: "
                      "proof (eddsa-rdfc-2022 or eddsa-jcs-2022, with our partners' keys, "
                      "never fetched), issuer (one of the six partners), status (revoked, "
                      "suspended), validity dates and the OB 3.0 schema; verified only when "
                      "all hold. A credential that fails is still 200 (verified: false). At "
                      "most 1 MiB (413); every credential counts toward the client's verify "
                      "rate (429).")
    async def verify(self, request: Request) -> Report | list[Report]:
        """An object is one credential and gets one report; an array gets a report per item.

        The body is at most 1 MiB (413); each credential (or each 8 KiB, if more) counts
        toward the client's verify rate (``ACADEMY_VERIFY_RATE_PER_MINUTE``, 429). The proofs and the schema are checked in
        worker processes within ``ACADEMY_VERIFY_DEADLINE_SECONDS``; bounds on a credential's
        size and canonicalisation work are verdicts (``credentials.proofs.limits``).
        No request transaction: keys and status lists usually come from memory
        (``StatusCache``), and a read-only session is opened only when they do not.
        """
        app = request.app
        client = client_of(request)
        documents, is_list = parse_verify_body(
            await request.body(), lambda cost: app.state.rate_limiter.hit("verify", client, cost))
        reports = await verify_many(app.state.session_factory, keyring_of(app), documents,
                                    cache=await status_cache_of(app), prover=prover_of(app))
        return reports if is_list else reports[0]


def credential_handlers() -> list[type[Controller]]:
    """Every controller of the registry, for ``create_app``'s route handlers."""
    from api.routes.issuers import IssuerController
    from api.routes.learners import LearnerController, LearnerTokenController, ShareController
    from api.routes.me import MeController
    from api.routes.oid4vci import OfferController, Oid4vciController

    return [IssuingController, CredentialController, VerifyController, IssuerController,
            LearnerTokenController, LearnerController, MeController, ShareController,
            Oid4vciController,
            OfferController]
