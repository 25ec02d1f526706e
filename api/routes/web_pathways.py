"""The pathway page: ``/pathways/{institution}/{code}``, what a stack of microcredentials
leads to, who awards it, and its rules in words, each unit linking to its course page.

It reads what ``GET /api/v1/pathways/{id}`` reads (``credentials.public_pathways``): the
active version, or the one retired last; a pathway that was never approved is not found.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from api.access import PUBLIC, access
from api.db import DbSession
from api.routes.web import PAGE_ERRORS, page
from credentials.public_pathways import public_pathway_by_code
from web.course_view import lang_attr
from web.pathway_view import describe_limits, describe_rules, years

__all__ = ["PathwayPages"]


class PathwayPages(Controller):
    include_in_schema = False
    exception_handlers = PAGE_ERRORS

    @get("/pathways/{institution:str}/{code:str}", opt=access(PUBLIC), name="web:pathway")
    async def pathway(self, request: Request, db_session: DbSession, institution: FromPath[str],
                      code: FromPath[str]) -> Template:
        pathway = await public_pathway_by_code(db_session, institution, code)
        # the rules are put in words in the template, with its language's t, fmt and tx
        return page(request, "pathway.html.j2", pathway=pathway,
                    units={unit.course: unit for unit in pathway.units},
                    describe_rules=describe_rules, describe_limits=describe_limits, years=years,
                    lang_attr=lang_attr)
