"""Every page of the site and its static files, for ``create_app``'s route handlers.

Apart from ``api.routes.web`` because the page families (``web_pathways``, ``web_me``)
render through its ``page()``: registering them there would make an import cycle.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router

from api.access import PUBLIC, access
from api.routes.web import PAGE_ERRORS, WEB, WebController
from api.routes.web_me import MeActionsController
from api.routes.web_pathways import PathwayPages

__all__ = ["web_handlers"]


def web_handlers() -> list[Any]:
    static = create_static_files_router(path="/static", directories=[WEB / "static"],
                                        opt=access(PUBLIC), include_in_schema=False)
    me_actions = Router(path="/", route_handlers=[MeActionsController],
                        exception_handlers=PAGE_ERRORS, include_in_schema=False)
    return [WebController, PathwayPages, me_actions, static]
