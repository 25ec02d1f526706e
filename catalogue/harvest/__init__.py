"""Harvesting: partners' feeds pulled into the catalogue, with snapshot semantics.

A feed flows through the modules of this package like this::

    source (sources) ─ jobs ───▶ a queued run, claimed by a harvest worker
      location ─────── net ────▶ fetched within the FetchPolicy (public addresses only,
                                 bounded bytes, items, pages and time)
      body ─────────── stream ─▶ parsed as it arrives (JSON array, OOAPI pages, CSV)
      items ────────── mapping ▶ course documents (OOAPI v5 and CSV columns mapped)
      documents ────── runner ─▶ validated and stored like a push; absent courses withdrawn
      violations ───── report ─▶ run errors that never quote the feed

The domain functions here flush and never commit: the caller owns the transaction. For a
direct run (the CLI's ``run_harvest``) that is the command; for queued runs it is the
job runner in ``jobs``, whose short transactions (claim, progress, outcome) each commit
in one place, ``jobs.transaction``.

Code outside ``catalogue.harvest`` imports only from this module.
"""

from catalogue.harvest.jobs import (
    RunInProgress,
    active_run,
    claim_run,
    harvest_worker,
    reap_stale_runs,
    request_run,
    run_due_harvests,
    work_queue,
)
from catalogue.harvest.mapping import (
    CSV_COLUMNS,
    DEFAULTABLE,
    FeedError,
    language_code,
    ooapi_document,
)
from catalogue.harvest.net import ALLOW_ALL, PUBLIC_URL_PATTERN, FetchPolicy
from catalogue.harvest.runner import DEFAULT_TIMEOUT, fetch_documents, run_harvest, store_documents
from catalogue.harvest.sources import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    SOURCE_TYPES,
    URL_PATTERN,
    delete_source,
    find_sources,
    get_run,
    get_source,
    list_runs,
    list_sources,
    put_source,
)

__all__ = [
    "ALLOW_ALL",
    "CSV_COLUMNS",
    "DEFAULTABLE",
    "DEFAULT_TIMEOUT",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "PUBLIC_URL_PATTERN",
    "SOURCE_TYPES",
    "URL_PATTERN",
    "FeedError",
    "FetchPolicy",
    "RunInProgress",
    "active_run",
    "claim_run",
    "delete_source",
    "fetch_documents",
    "find_sources",
    "get_run",
    "get_source",
    "harvest_worker",
    "language_code",
    "list_runs",
    "list_sources",
    "ooapi_document",
    "put_source",
    "reap_stale_runs",
    "request_run",
    "run_due_harvests",
    "run_harvest",
    "store_documents",
    "work_queue",
]
