"""Query parameters that Litestar reads more leniently than the API documents them."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from types import NoneType
from typing import Any

from litestar import Request
from litestar.params import ParameterKwarg

from catalogue.errors import Invalid

__all__ = ["reject_null_queries"]

_TYPED = (int, float, bool, date, datetime)


def reject_null_queries(request: Request[Any, Any, Any]) -> None:
    """``?ects_max=null``: Litestar reads the text ``null`` as "not given" for an optional
    number, boolean or date, but the API documents such a parameter as a number, boolean or
    date, which ``null`` is not (an app-wide ``before_request`` hook)."""
    if b"null" not in request.scope.get("query_string", b""):
        return
    bad = [name for name in _typed_optional(request.route_handler)
           if "null" in request.query_params.getall(name, [])]
    if bad:
        raise Invalid([(f"query:{name}", "must be a value of its type, not null") for name in bad])


@lru_cache(maxsize=1024)
def _typed_optional(handler: Any) -> tuple[str, ...]:
    """The query names of ``handler``'s optional int, float, bool and date parameters."""
    names = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if not isinstance(kwarg, ParameterKwarg) or kwarg.header or kwarg.cookie:
            continue
        inner = [t.annotation for t in field.inner_types if t.annotation is not NoneType]
        if field.is_optional and inner and all(t in _TYPED for t in inner):
            names.append(kwarg.query or getattr(kwarg, "name", None) or name)
    return tuple(names)
