"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.access import access_guard
from api.db import Database, provide_session
from api.errors import exception_handlers
from api.routes.catalogue import CourseController
from api.routes.credentials import credential_handlers
from api.routes.pathways import pathway_handlers
from api.sessions import resolve_learner, signin_limits
from api.routes.harvest import HarvestController
from api.jobs import CpuPool, JobsProcess
from api.routes.ooapi import OoapiController
from api.routes.institutions import InstitutionController
from api.mail import sender_for
from api.routes.notifications import notification_handlers
from api.ratelimit import RateLimiter
from api.security import security_headers
from api.routes.search import SearchController
from api.state import new_search_index
from api.routes.site import web_handlers
from api.routes.web import template_config
from api.routes.showing import showing_handlers
from api.routes.signin import signin_handlers
from api.verification import ProofVerdicts, warm_verifiers
from api.openapi import document_api
from api.observability import RequestIdMiddleware, configure_logging, ensure_request_id_header
from api.routes.problems import problem_page
from api.routes.ops import OpsController
from api.strict import strict_request
from api.settings import Settings, load_settings

__all__ = ["create_app"]


def settle_heap() -> None:
    """Take what lives for the whole process out of the cyclic collector's walk.

    The imported modules, the app and the search index are ~120,000 tracked objects: every
    full collection walked them, a pause of ~60 ms at a random request (the p99 of a busy
    server). Frozen once they are built, they still go by reference counting; the garbage
    of start-up is collected first, so none of it is kept.
    """
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    extra_handlers: list[Any] | None = None,
) -> Litestar:
    """Build the app. ``session_factory`` lets tests bind every request to their transaction."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    return document_api(Litestar(
        route_handlers=_route_handlers(extra_handlers),
        dependencies={"db_session": Provide(provide_session)},
        guards=[access_guard],
        before_request=strict_request,
        exception_handlers=exception_handlers,
        middleware=[RequestIdMiddleware],
        before_send=[ensure_request_id_header, security_headers],
        logging_config=None,
        lifespan=[_lifespan(settings, session_factory)],
        request_max_body_size=settings.max_body_bytes,
        state=_initial_state(settings),
        template_config=template_config(),
        openapi_config=_openapi_config(),
        debug=False,
    ))


def _lifespan(settings: Settings, session_factory: async_sessionmaker[AsyncSession] | None
              ) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Start-up and shutdown: the database (unless the tests bring a session factory), a
    warm search index and verifiers, and the jobs process (harvests, mail) beside this server."""
    database = Database(settings)
    mail_sender = sender_for(settings)  # a wrong ACADEMY_SMTP_URL stops start-up here

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if session_factory is None:
            database.open()
            app.state.session_factory = database.session_factory
        else:
            app.state.session_factory = session_factory
        if session_factory is None:  # production: build the search index before serving
            await app.state.search_index.warm(app.state.session_factory)
            await warm_verifiers(app.state.verify_pool)
            settle_heap()
        jobs = None
        if settings.harvest_in_background and database.engine is not None:
            # Harvests and the mail outbox run in a process of their own (api.jobs).
            jobs = JobsProcess(settings, database.engine.url.render_as_string(hide_password=False),
                               mail=settings.mail_in_background)
            jobs.start()
        mail_sender.session_factory = app.state.session_factory
        app.state.mail_sender = mail_sender
        if settings.mail_in_background and database.engine is not None and jobs is None:
            # No jobs process (ACADEMY_BACKGROUND_HARVEST=0): this process sends the mail.
            mail_sender.start(database.engine)  # tests drain with mail_sender.drain_once()
        try:
            yield
        finally:
            await mail_sender.stop()
            if jobs is not None:
                await asyncio.to_thread(jobs.stop)
            app.state.cpu_pool.shutdown()
            app.state.verify_pool.shutdown()
            await app.state.search_index.close()
            await database.close()

    return lifespan


def _route_handlers(extra_handlers: list[Any] | None) -> list[Any]:
    return [
        OpsController, InstitutionController, CourseController, HarvestController, SearchController,
        OoapiController, problem_page,
        *credential_handlers(),
        *pathway_handlers(),
        *notification_handlers(),
        *web_handlers(),
        *showing_handlers(),
        *signin_handlers(),
        *(extra_handlers or []),
    ]


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Academy: catalogue and microcredential registry",
        version="1.0.0",
        path="/schema",
        render_plugins=[docs_ui()],
        components=Components(security_schemes={
            "partnerKey": SecurityScheme(type="http", scheme="bearer",
                                         description="A partner API key"),
        }),
    )


SWAGGER_UI_VERSION = "5.31.0"


def docs_ui() -> SwaggerRenderPlugin:
    """Swagger UI (OpenAPI 3.1 since 5.0) from our own ``/static``, never a CDN, so the API
    docs work on an air-gapped machine (``web/static/swagger-ui/README.md``). PyPI's
    ``swagger-ui-bundle`` is pinned to 4.x (OpenAPI 3.0 only), hence the vendored copy."""
    static = "/static/swagger-ui"
    plugin = SwaggerRenderPlugin(
        version=SWAGGER_UI_VERSION, js_url=f"{static}/swagger-ui-bundle.js",
        css_url=f"{static}/swagger-ui.css",
        standalone_preset_js_url=f"{static}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"])
    plugin.favicon = "<link rel='icon' href='data:,'>"  # Litestar's default is a CDN image
    return plugin


def _initial_state(settings: Settings) -> dict[str, Any]:
    from litestar.datastructures import State

    limiter = RateLimiter.for_process({"public": settings.search_rate_per_minute,
                                       "write": settings.write_rate_per_minute,
                                       "verify": settings.verify_rate_per_minute,
                                       **signin_limits(settings)},
                                      settings.trusted_proxies)
    return State({"settings": settings, "learner_resolver": resolve_learner,  # type: ignore[return-value]
                  "rate_limiter": limiter, "cpu_pool": CpuPool(),
                  "verify_pool": CpuPool(max(1, settings.verify_workers)),
                  "proof_verdicts": ProofVerdicts(),
                  "search_index": new_search_index()})
