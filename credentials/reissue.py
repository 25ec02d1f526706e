"""Reissue: a copy of a pre-revocation-list credential in the form verifiers in the field read.

Credentials issued before the revocation lists reference a context URL nobody serves
(``credentials.proofs.jsonld.MICROCREDENTIAL_CONTEXT_URL``) and carry a 2-bit ``message`` status
entry no status library reads (``credentials.status``). They keep verifying in the
registry (``POST /api/v1/verify``, the web page), and their status list is still served
and updated. A learner who wants to take one into a wallet or to a verifier of their own
asks for a reissue:

1. the stored document, without its proof, gets the embedded local context in place of the
   context URL (the same terms, so the same graph) and a new 1-bit ``revocation`` entry;
2. it is signed now with the institution's current key; its id, claims, ``validFrom`` and
   salt are unchanged: it is the same credential, in the new form;
3. the row now serves the new copy and remembers the old entry (``legacy_list_id``,
   ``legacy_index``).

**The old copy stays valid** until the institution revokes the credential: a learner may
have handed it out already (a share link, a download at an employer), and a reissue is
the learner's act, not the institution's. Any later revocation or suspension flips both
entries (``credentials.status_changes.change_status``), so no copy outlives the other. A
suspended credential is reissued suspended (its new bit set). A credential already in the
new form is returned as it is; a revoked one is not reissued.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.builder import LOCAL_CONTEXT
from credentials.errors import AlreadyInStatus, CredentialNotFound
from credentials.builder import proof_created, sign_checked
from credentials.proofs.jsonld import MICROCREDENTIAL_CONTEXT_URL
from credentials.keys import KeyRing
from credentials.records import lock_learners
from credentials.status import PURPOSE, allocate, list_url, set_bit, status_entry

__all__ = ["Reissued", "reissue"]


class Reissued(OutStruct, frozen=True):
    id: uuid.UUID
    document: bytes
    reissued: bool
    """False when the credential was already in the new form (nothing changed)."""


def _new_form(document: dict, url: str, index: int) -> dict:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["@context"] = [LOCAL_CONTEXT if c == MICROCREDENTIAL_CONTEXT_URL else c
                            for c in document["@context"]]
    unsigned["credentialStatus"] = status_entry(url, index, PURPOSE)
    return unsigned


async def reissue(session: AsyncSession, keyring: KeyRing, email: str,
                  credential_id: uuid.UUID, institution: str | None = None) -> Reissued:
    """Reissue ``email``'s credential in the new form (see the module docstring).

    ``institution``: the only issuer whose credentials the caller may see (a token minted
    by an institution), or None for all.
    """
    await lock_learners(session, [email])  # before any credential or status list row
    row = (await session.execute(
        text("SELECT c.document, c.status, c.status_list_id, c.status_index, l.purpose, "
             "c.institution_id, i.slug FROM credential c "
             "JOIN status_list l ON l.id = c.status_list_id "
             "JOIN institution i ON i.id = c.institution_id "
             "WHERE c.id = :id AND c.learner_email = :e AND (CAST(:s AS text) IS NULL "
             "OR i.slug = :s) FOR UPDATE OF c"),
        {"id": credential_id, "e": email, "s": institution},
    )).first()
    if row is None:  # someone else's credential looks exactly like a missing one
        raise CredentialNotFound(f"You hold no credential {credential_id}.")
    document, status, list_id, index, purpose, institution_id, slug = row
    if purpose == PURPOSE:
        return Reissued(credential_id, bytes(document), False)
    if status == "revoked":
        raise AlreadyInStatus("This credential was revoked by its institution; a revoked "
                              "credential is not reissued.")
    (entry,) = await allocate(session, institution_id, PURPOSE, 1)
    url = list_url(keyring.base_url, slug, PURPOSE, entry[1])
    unsigned = _new_form(msgspec.json.decode(bytes(document)), url, entry[2])
    key = await keyring.signing_key(session, institution_id, slug)
    signed = sign_checked(unsigned, key, proof_created())
    await session.execute(
        text("UPDATE credential SET document = :d, status_list_id = :l, status_index = :x, "
             "legacy_list_id = :ol, legacy_index = :ox WHERE id = :id"),
        {"d": signed, "l": entry[0], "x": entry[2], "ol": list_id, "ox": index,
         "id": credential_id},
    )
    if status == "suspended":
        await set_bit(session, entry[0], entry[2], True)
    return Reissued(credential_id, signed, True)
