"""Active pathways for the catalogue search: professionals find stacks as they find courses.

The catalogue search calls ``find_pathways`` (through ``SearchIndex.pathways``, set by the
application) with the query's words, each with its glossary translations, on the reader
connection of the search itself, so the pathways come from the same snapshot of the
database. A pathway matches when every word (or one of its translations) occurs in its
code, title, description or award title, accents and case folded; a word also matches
its inflections through a prefix (``verpleegkundig`` meets ``verpleegkundige``). Pathway
changes move the catalogue's search stamp, so whole cached results never show a stale list.
"""

from __future__ import annotations

from typing import Any

import msgspec

from catalogue.search import PathwayHit

__all__ = ["MAX_PATHWAYS", "find_pathways"]

MAX_PATHWAYS = 3

_FIND = """
SELECT p.id::text, i.slug, p.code, v.document->'title', v.document->'award'
FROM pathway p
JOIN institution i ON i.id = p.institution_id
JOIN pathway_version v ON v.pathway_id = p.id AND v.state = 'active'
CROSS JOIN LATERAL (SELECT lower(unaccent(concat_ws(' ', p.code, v.document->>'title',
    v.document->>'description', v.document->'award'->>'title'))) AS haystack,
    lower(unaccent(v.document->>'title')) AS title) AS t
WHERE (cardinality($2::text[]) = 0 OR i.slug = ANY($2::text[]))
  AND (SELECT bool_and(EXISTS (SELECT 1 FROM unnest(string_to_array(w, '|')) AS a(alt)
                               WHERE t.haystack LIKE '%' || alt || '%'))
       FROM unnest($1::text[]) AS q(w))
ORDER BY (SELECT count(*) FROM unnest($1::text[]) AS q(w)
          WHERE EXISTS (SELECT 1 FROM unnest(string_to_array(w, '|')) AS a(alt)
                        WHERE t.title LIKE '%' || alt || '%')) DESC, p.code, i.slug
LIMIT $3
"""
_decode = msgspec.json.Decoder().decode


def _stem(word: str) -> str:
    """A prefix that meets the word's inflections: long words lose up to two letters."""
    return word[:max(4, len(word) - 2)] if len(word) > 5 else word


def _like(text: str) -> str:
    return text.replace("\\", "").replace("%", "").replace("_", "").replace("|", "")


async def find_pathways(db: Any, words: list[tuple[str, ...]], institutions: tuple[str, ...],
                        limit: int = MAX_PATHWAYS) -> list[PathwayHit]:
    """Up to ``limit`` active pathways matching every word group; title matches first."""
    groups = ["|".join(dict.fromkeys(_stem(_like(alt)) for alt in group if _like(alt)))
              for group in words]
    groups = [g for g in groups if g]
    if not groups:
        return []
    rows = await db.fetch(_FIND, groups, list(institutions), limit)
    hits = []
    for pathway_id, slug, code, title, award in rows:
        award = _decode(award) if isinstance(award, str) else award or {}
        hits.append(PathwayHit(
            id=pathway_id, institution=slug, code=code,
            title=_decode(title) if isinstance(title, str) else title,
            award_title=award.get("title"), ects=award.get("ects"),
            eqf_level=award.get("eqf_level"), url=f"/api/v1/pathways/{pathway_id}"))
    return hits
