"""Domain errors. They carry no HTTP; the API edge maps each class to a problem document."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "Gone",
    "InstitutionNotFound",
    "Invalid",
    "NotFound",
    "PreconditionFailed",
    "Unavailable",
]


class DomainError(Exception):
    title = "Request failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    title = "Not found"


class InstitutionNotFound(NotFound):
    """A slug that is none of the partners: says which slugs exist."""

    def __init__(self, slug: str) -> None:
        from typing import get_args

        from catalogue.structs import InstitutionSlug

        super().__init__(f"No institution with slug {slug!r}; the partners are "
                         f"{', '.join(get_args(InstitutionSlug))}.")


class Conflict(DomainError):
    title = "Conflict"


class Forbidden(DomainError):
    title = "Forbidden"


class Gone(DomainError):
    """Something that existed and is used up or expired for good (a one-time link)."""

    title = "Gone"


class PreconditionFailed(DomainError):
    title = "Precondition failed"


class Unavailable(DomainError):
    title = "Service unavailable"


class Invalid(DomainError):
    """A document broke the contract; ``errors`` holds (JSON pointer, message) pairs."""

    title = "Invalid request"

    def __init__(self, errors: Iterable[tuple[str, str]], detail: str | None = None) -> None:
        self.errors = list(errors)
        first = "; ".join(f"{p or '/'}: {m}" for p, m in self.errors[:3])
        more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(detail or f"{len(self.errors)} problem(s): {first}{more}")
        self.given_detail = detail

    def __reduce__(self) -> tuple[type[Invalid], tuple[list[tuple[str, str]], str | None]]:
        # Raised in worker processes (batch validation): must survive pickling.
        return type(self), (self.errors, self.given_detail)
