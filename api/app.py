"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.access import access_guard
from api.db import Database, provide_session
from api.errors import exception_handlers
from api.catalogue import CourseController
from api.credentials import credential_handlers
from api.pathways import pathway_handlers
from api.sessions import resolve_learner, signin_limits
from api.harvest import HarvestController
from api.harvest_worker import HarvestProcess
from api.mail import sender_for
from api.notifications import notification_handlers
from api.ooapi import OoapiController
from api.institutions import InstitutionController
from api.ratelimit import RateLimiter
from api.security import security_headers
from api.search import SearchController, new_search_index
from api.signin import signin_handlers
from api.web import template_config, web_handlers
from api.verification import ProofVerdicts, warm_verifiers
from api.workers import CpuPool
from api.openapi import document_api
from api.observability import RequestIdMiddleware, configure_logging, ensure_request_id_header
from api.ops import OpsController
from api.queries import reject_null_queries
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
        harvester = None
        if settings.harvest_in_background and database.engine is not None:
            # Harvests run in a process of their own (api.harvest_worker), on this database.
            harvester = HarvestProcess(
                settings, database.engine.url.render_as_string(hide_password=False))
            harvester.start()
        mail_sender.session_factory = app.state.session_factory
        app.state.mail_sender = mail_sender
        if settings.mail_in_background and database.engine is not None:
            mail_sender.start(database.engine)  # tests drain with mail_sender.drain_once()
        try:
            yield
        finally:
            await mail_sender.stop()
            if harvester is not None:
                await asyncio.to_thread(harvester.stop)
            app.state.cpu_pool.shutdown()
            app.state.verify_pool.shutdown()
            await app.state.search_index.close()
            await database.close()

    handlers: list[Any] = [
        OpsController, InstitutionController, CourseController, HarvestController, SearchController,
        OoapiController,
        *credential_handlers(),
        *pathway_handlers(),
        *notification_handlers(),
        *web_handlers(),
        *signin_handlers(),
        *(extra_handlers or []),
    ]
    return document_api(Litestar(
        route_handlers=handlers,
        dependencies={"db_session": Provide(provide_session)},
        guards=[access_guard],
        before_request=reject_null_queries,
        exception_handlers=exception_handlers,
        middleware=[RequestIdMiddleware],
        before_send=[ensure_request_id_header, security_headers],
        logging_config=None,
        lifespan=[lifespan],
        request_max_body_size=settings.max_body_bytes,
        state=_initial_state(settings),
        template_config=template_config(),
        openapi_config=OpenAPIConfig(
            title="Academy: catalogue and microcredential registry",
            version="1.0.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(security_schemes={
                "partnerKey": SecurityScheme(type="http", scheme="bearer",
                                             description="A partner API key"),
            }),
        ),
        debug=False,
    ))


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
