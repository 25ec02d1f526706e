"""What lives in ``app.state`` beside the settings, built on first use.

The signing keys, the status-list cache and the search index are shared by every request
of a process. Route modules, the session dependency (``api.db``) and tests reach them
through these accessors, so no module needs a controller to find them.
"""

from __future__ import annotations

import logging

import asyncpg
from litestar import Litestar
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings
from catalogue.search import SearchIndex
from credentials.keys import KeyRing
from credentials.pathway_search import find_pathways
from credentials.status_cache import StatusCache

__all__ = ["keyring_of", "new_search_index", "search_index", "status_cache_of"]

log = logging.getLogger("academy.credentials")


def keyring_of(app: Litestar) -> KeyRing:
    """The app's KeyRing (``app.state.keyring``), built from its settings on first use."""
    keyring = app.state.get("keyring")
    if keyring is None:
        settings: Settings = app.state.settings
        keyring = app.state.keyring = KeyRing(settings.secret_key, settings.base_url)
    return keyring


async def status_cache_of(app: Litestar) -> StatusCache:
    """The app's StatusCache (``app.state.status_cache``), listening once the app has an engine.

    Under a session factory bound to one connection (the tests' transactions) there is
    nothing to listen on: the cache stays idle and verification reads the database.
    """
    cache = app.state.get("status_cache")
    if cache is not None:
        return cache
    cache = app.state.status_cache = StatusCache()
    bind = app.state.session_factory.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        try:
            await cache.listen(bind.url.set(drivername="postgresql")
                               .render_as_string(hide_password=False))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("status lists will be read from the database: %s", type(exc).__name__)
        else:
            app.on_shutdown.append(_close_cache)
    return cache


async def _close_cache(app: Litestar) -> None:
    cache = app.state.get("status_cache")
    if cache is not None:
        await cache.close()


def new_search_index(result_cache: int = 4096) -> SearchIndex:
    """A catalogue index whose searches also find active pathways."""
    index = SearchIndex(result_cache=result_cache)
    index.pathways = find_pathways
    return index


def search_index(state: State) -> SearchIndex:
    """The app's index; ``create_app`` should create it, this creates it on first use if not."""
    index = state.get("search_index")
    if index is None:
        index = state["search_index"] = new_search_index()
    return index
