"""Domain errors of the credential registry (mapped to problem+json by ``api.errors``)."""

from __future__ import annotations

from catalogue.errors import Conflict, Invalid, NotFound

__all__ = ["AlreadyInStatus", "CredentialNotFound", "IdempotencyConflict", "Invalid",
           "LearnerTokenNotFound", "PathwayNotFound", "ShareNotFound"]


class CredentialNotFound(NotFound):
    title = "Credential not found"


class ShareNotFound(NotFound):
    title = "Share link not found"


class LearnerTokenNotFound(NotFound):
    title = "Learner token not found"


class AlreadyInStatus(Conflict):
    title = "Status change not possible"


class IdempotencyConflict(Conflict):
    title = "Idempotency key reused"


class PathwayNotFound(NotFound):
    title = "Pathway not found"
