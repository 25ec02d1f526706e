"""Catalogue search: a query in, one page of ranked courses with facets out.

PostgreSQL is the source of truth; each application process keeps an in-memory index of
the live catalogue and, per request, brings it to the change stamp that the request's
transaction sees. A search flows through the modules of this package like this::

    SearchQuery ── query ───▶ checked; its filters and cursor decoded
                   index ───▶ the snapshot at the session's stamp (a delta or a rebuild
                              of ``snapshot``, from rows ``store`` reads)
    q ──────────── text ────▶ words, phrases, OR lists and exclusions (ParsedQuery)
                   fixes ───▶ pg_trgm corrections of words the index does not know
                   expand ──▶ groups of alternatives: compound parts, glossary
                              translations (``glossary``), corrections
                   match ───▶ BM25 scores per course slot; ``soft`` decides how groups
                              combine (strict, core, generic, place)
                   facets ──▶ filter masks and facet counts
                   results ─▶ sorted and paged; whole results cached per (stamp, day, query)
                   hits ────▶ the page's stored documents, highlighted (``tokens``)

``autocomplete`` completes titles, keywords and institutions (``suggest``). ``store`` is the
package's only database access; writers elsewhere call ``stamp`` and ``add_words``
(re-exported here) inside their own transaction.

Code outside ``catalogue.search`` imports only from this module (tests of internals
import submodules).
"""

from catalogue.search.autocomplete import Suggestion
from catalogue.search.hits import Highlight, SearchHit
from catalogue.search.index import PathwayFinder, SearchIndex
from catalogue.search.query import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY,
    SORTS,
    FacetValue,
    PathwayHit,
    SearchQuery,
    SearchResult,
)
from catalogue.search.results import search_courses, search_courses_json, suggest
from catalogue.search.store import add_words, stamp
from catalogue.search.text import STOPWORDS, tokenize

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_QUERY",
    "SORTS",
    "STOPWORDS",
    "FacetValue",
    "Highlight",
    "PathwayFinder",
    "PathwayHit",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "Suggestion",
    "add_words",
    "search_courses",
    "search_courses_json",
    "stamp",
    "suggest",
    "tokenize",
]
