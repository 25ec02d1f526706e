"""Publishing: validated upserts of course documents, withdrawal and reads.

Every write path (PUT, batch, harvest, demo) goes through ``prepare`` and ``store``, so the
contract and change detection are the same whoever publishes. ``store`` is one
``INSERT .. ON CONFLICT`` over ``unnest`` arrays: a course whose content hash did not
change is not rewritten, concurrent upserts of one course serialise on its row, and the
filter columns and the offering projection are derived from the stored document in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue import search
from catalogue.courses import get_course
from catalogue.errors import Invalid, NotFound, PreconditionFailed
from catalogue.hashing import content_hash, etag
from catalogue.institutions import get_institution
from catalogue.search import tokenize
from catalogue.structs import CourseIn, CourseOut, OutStruct, to_course_in, to_document
from catalogue.validation import MalformedJSON, Violation, loads_strict, validate_course
from catalogue.wire import Struct

__all__ = [
    "MAX_BATCH",
    "ItemResult",
    "Rows",
    "parse_documents",
    "prepare_raw",
    "store_rows",
    "to_rows",
    "Prepared",
    "Stored",
    "prepare",
    "prepare_many",
    "publish_one",
    "store",
    "withdraw_course",
    "withdraw_absent",
]

Status = Literal["created", "updated", "unchanged", "invalid", "skipped"]
_encode = msgspec.json.Encoder().encode


class Prepared(OutStruct, frozen=True):
    code: str
    course: CourseIn
    document_json: str
    hash: str


class ItemResult(Struct):
    index: int
    code: str | None
    status: Status
    etag: str | None = None
    errors: list[Violation] | None = None


class Stored(OutStruct, frozen=True):
    status: Status
    version: int | None
    hash: str


def prepare(doc: Any, *, code_from_url: str | None = None) -> Prepared | list[Violation]:
    """Validate one document against the contract; return it ready to store, or every violation."""
    violations = validate_course(doc, code_from_url=code_from_url)
    if violations:
        return violations
    course = to_course_in(doc, code=code_from_url)
    return Prepared(code=course.code, course=course,
                    document_json=_encode(to_document(course)).decode(), hash=content_hash(course))


def prepare_many(docs: Sequence[Any]) -> tuple[list[Prepared], list[ItemResult]]:
    """Validate a batch; duplicate codes are errors on every repeat after the first."""
    ready: list[Prepared] = []
    invalid: list[ItemResult] = []
    seen: dict[str, int] = {}
    for index, doc in enumerate(docs):
        outcome = prepare(doc)
        code = doc.get("code") if isinstance(doc, dict) and isinstance(doc.get("code"), str) else None
        if isinstance(outcome, list):
            invalid.append(ItemResult(index=index, code=code, status="invalid", errors=outcome))
        elif outcome.code in seen:
            message = f"duplicate code in this batch (first at item {seen[outcome.code]})"
            invalid.append(ItemResult(index=index, code=outcome.code, status="invalid",
                                      errors=[Violation(pointer="/code", message=message)]))
        else:
            seen[outcome.code] = index
            ready.append(outcome)
    return ready, invalid


class Rows(OutStruct):
    """Prepared courses as columns: what ``store_rows`` binds, and cheap to pickle."""

    codes: list[str]
    docs: list[str]
    hashes: list[str]
    types: list[str]
    mcs: list[bool]
    ects: list[float | None]
    eqfs: list[int | None]
    langs: list[str]
    modes: list[str | None]
    isceds: list[str]
    offerings: dict[str, list[Any]]
    words: list[str]


_OFFERING_COLUMNS = ("course_index", "positions", "codes", "starts", "ends", "cities", "campuses",
                     "prices", "languages", "modes", "statuses")


def to_rows(items: Sequence[Prepared]) -> Rows:
    courses = [p.course for p in items]
    offerings: dict[str, list[Any]] = {k: [] for k in _OFFERING_COLUMNS}
    for index, course in enumerate(courses):
        for position, o in enumerate(course.offerings):
            offerings["course_index"].append(index)
            offerings["positions"].append(position)
            offerings["codes"].append(o.code)
            offerings["starts"].append(o.start_date)
            offerings["ends"].append(o.end_date)
            offerings["cities"].append(o.city)
            offerings["campuses"].append(o.campus)
            offerings["prices"].append(o.price_eur)
            offerings["languages"].append(o.language)
            offerings["modes"].append(o.mode or course.mode)
            offerings["statuses"].append(o.status)
    return Rows(
        codes=[p.code for p in items],
        docs=[p.document_json for p in items],
        hashes=[p.hash for p in items],
        types=[c.type for c in courses],
        mcs=[c.microcredential for c in courses],
        ects=[c.ects for c in courses],
        eqfs=[c.eqf_level for c in courses],
        langs=[",".join(c.languages or ()) for c in courses],
        modes=[c.mode for c in courses],
        isceds=[",".join(c.isced_codes or ()) for c in courses],
        offerings=offerings,
        words=_vocabulary(courses),
    )


def _vocabulary(courses: Sequence[CourseIn]) -> list[str]:
    """Folded words (3+ letters) of titles and keywords: the typo vocabulary's input."""
    words: set[str] = set()
    for course in courses:
        for text_ in (*course.title.values(), *(course.keywords or ())):
            words.update(w for w in tokenize(text_) if len(w) >= 3)
    return sorted(words)


MAX_BATCH = 10_000


NDJSON_HINT = ("this is one JSON document a line (NDJSON), sent as application/json: send it "
               "with Content-Type: application/x-ndjson, or as one JSON array")


def _looks_like_ndjson(raw: bytes) -> bool:
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return all(isinstance(loads_strict(line), dict) for line in lines[:2])
    except MalformedJSON:
        return False


def parse_documents(raw: bytes, content_type: str) -> list[Any]:
    """A batch body: a JSON array, or NDJSON (one document a line) when the type says so."""
    if "ndjson" in content_type or "jsonl" in content_type:
        docs = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                try:
                    docs.append(loads_strict(line))
                except MalformedJSON as exc:
                    raise MalformedJSON([
                        Violation(pointer=f"/{len(docs)}{v.pointer}", message=f"line {number}: {v.message}")
                        for v in exc.violations
                    ]) from None
    else:
        try:
            docs = loads_strict(raw)
        except MalformedJSON:
            if _looks_like_ndjson(raw):
                raise MalformedJSON([Violation("", NDJSON_HINT)]) from None
            raise
    if not isinstance(docs, list):
        raise Invalid([("", "the body must be a JSON array (or NDJSON) of course documents")])
    if len(docs) > MAX_BATCH:
        raise Invalid([("", f"a batch holds at most {MAX_BATCH} courses, not {len(docs)}")])
    return docs


def prepare_raw(raw: bytes, content_type: str) -> tuple[Rows, list[ItemResult], list[int]]:
    """Parse and validate a whole batch body: the CPU-bound half, run in a worker process.

    Returns the valid courses as columns, the invalid items, and each valid course's
    index in the body.
    """
    docs = parse_documents(raw, content_type)
    ready, invalid = prepare_many(docs)
    bad = {r.index for r in invalid}
    indexes = [i for i in range(len(docs)) if i not in bad]
    return to_rows(ready), invalid, indexes


_UPSERT = text("""
WITH input AS (
    -- documents travel as text[] (asyncpg encodes jsonb[] element by element, 3x slower);
    -- filter columns come precomputed from the validated CourseIn
    SELECT * FROM unnest(
        CAST(:codes AS text[]), CAST(:docs AS text[]), CAST(:hashes AS text[]),
        CAST(:types AS text[]), CAST(:mcs AS boolean[]), CAST(:ects AS numeric[]),
        CAST(:eqfs AS smallint[]), CAST(:langs AS text[]), CAST(:modes AS text[]),
        CAST(:isceds AS text[])
    ) AS u(code, doc, hash, type, mc, ects, eqf, langs, mode, isced)
)
INSERT INTO course AS c (
    institution_id, code, document, content_hash, source,
    type, microcredential, ects, eqf_level, languages, mode, isced_codes, search_seq
)
SELECT :institution_id, i.code, i.doc::jsonb, i.hash, :source, i.type, i.mc, i.ects, i.eqf,
       string_to_array(i.langs, ','), i.mode, string_to_array(i.isced, ','), :seq
FROM input i
ON CONFLICT (institution_id, code) DO UPDATE SET
    document = excluded.document,
    content_hash = excluded.content_hash,
    version = c.version + 1,
    withdrawn = false,
    source = excluded.source,
    last_changed = now(),
    type = excluded.type,
    microcredential = excluded.microcredential,
    ects = excluded.ects,
    eqf_level = excluded.eqf_level,
    languages = excluded.languages,
    mode = excluded.mode,
    isced_codes = excluded.isced_codes,
    search_seq = excluded.search_seq
WHERE (c.content_hash <> excluded.content_hash OR c.withdrawn)
  AND (:overwrite OR c.source = excluded.source OR excluded.source = 'push')
RETURNING c.id, c.code, c.version, (c.xmax = 0) AS inserted
""")

_OFFERINGS = text("""
INSERT INTO offering (course_id, position, code, start_date, end_date, city, campus,
                      price_eur, language, mode, status)
SELECT * FROM unnest(
    CAST(:course_ids AS uuid[]), CAST(:positions AS smallint[]), CAST(:codes AS text[]),
    CAST(:starts AS date[]), CAST(:ends AS date[]), CAST(:cities AS text[]),
    CAST(:campuses AS text[]), CAST(:prices AS numeric[]), CAST(:languages AS text[]),
    CAST(:modes AS text[]), CAST(:statuses AS text[])
)
""")


async def store(
    session: AsyncSession,
    institution_id: int,
    items: Sequence[Prepared],
    *,
    source: str = "push",
    overwrite_push: bool = True,
) -> dict[str, Stored]:
    """Upsert prepared documents of one institution; report created/updated/unchanged/skipped."""
    if not items:
        return {}
    return await store_rows(session, institution_id, to_rows(items), source=source,
                            overwrite_push=overwrite_push)


async def store_rows(
    session: AsyncSession,
    institution_id: int,
    rows: Rows,
    *,
    source: str = "push",
    overwrite_push: bool = True,
) -> dict[str, Stored]:
    codes = rows.codes
    if not codes:
        return {}
    if len(codes) > 500:  # unnest of a big batch must not spill to disk
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
    seq = await search.stamp(session)
    params = {name: getattr(rows, name) for name in (
        "codes", "docs", "hashes", "types", "mcs", "ects", "eqfs", "langs", "modes", "isceds")}
    result = await session.execute(_UPSERT, {
        **params, "institution_id": institution_id, "source": source, "overwrite": overwrite_push,
        "seq": seq,
    })
    changed: dict[str, tuple[uuid.UUID, int, bool]] = {
        code: (cid, version, inserted) for cid, code, version, inserted in result
    }
    if changed:
        replaced = [cid for cid, _, inserted in changed.values() if not inserted]
        if replaced:
            await session.execute(
                text("DELETE FROM offering WHERE course_id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": replaced},
            )
        await _insert_offerings(session, rows, changed)
        await search.add_words(session, rows.words)
    untouched = [c for c in codes if c not in changed]
    current: dict[str, tuple[str, int]] = {}
    if untouched:
        found = await session.execute(
            text("SELECT code, content_hash, version FROM course "
                 "WHERE institution_id = :i AND code = ANY(CAST(:codes AS text[]))"),
            {"i": institution_id, "codes": untouched},
        )
        current = {code: (h, v) for code, h, v in found}
    stored: dict[str, Stored] = {}
    for code, hash_ in zip(codes, rows.hashes):
        if code in changed:
            _, version, inserted = changed[code]
            stored[code] = Stored(status="created" if inserted else "updated", version=version,
                                  hash=hash_)
        else:
            existing_hash, version = current.get(code, ("", None))
            status: Status = "unchanged" if existing_hash == hash_ else "skipped"
            stored[code] = Stored(status=status, version=version,
                                  hash=existing_hash or hash_)
    return stored


async def _insert_offerings(
    session: AsyncSession, rows: Rows, changed: dict[str, tuple[uuid.UUID, int, bool]]
) -> None:
    o = rows.offerings
    ids = [changed[code][0] if code in changed else None for code in rows.codes]
    keep = [k for k, index in enumerate(o["course_index"]) if ids[index] is not None]
    if not keep:
        return
    params = {name: [o[name][k] for k in keep] for name in _OFFERING_COLUMNS[1:]}
    params["course_ids"] = [ids[o["course_index"][k]] for k in keep]
    await session.execute(_OFFERINGS, params)


async def publish_one(
    session: AsyncSession, slug: str, code: str, doc: Any, *, if_match: str | None = None
) -> tuple[Stored, CourseOut]:
    institution = await get_institution(session, slug)
    outcome = prepare(doc, code_from_url=code)
    if isinstance(outcome, list):
        raise Invalid([(v.pointer, v.message) for v in outcome])
    if if_match is not None:
        row = (await session.execute(
            text("SELECT content_hash FROM course WHERE institution_id = :i AND code = :c FOR UPDATE"),
            {"i": institution.id, "c": code},
        )).first()
        tags = {t.strip() for t in if_match.split(",")}
        if row is None:
            raise PreconditionFailed("If-Match names a version, but this course does not exist "
                                     "yet: leave If-Match out to create it.")
        if "*" not in tags and etag(row[0]) not in tags:
            raise PreconditionFailed(
                "If-Match does not match the current version of this course (someone changed "
                "it since you read it): GET it again for its current ETag, reapply your "
                "change, and send that ETag in If-Match.")
    stored = (await store(session, institution.id, [outcome]))[code]
    return stored, await get_course(session, slug, code)


async def withdraw_course(session: AsyncSession, slug: str, code: str) -> None:
    institution = await get_institution(session, slug)
    seq = await search.stamp(session)
    row = (await session.execute(
        text("UPDATE course SET withdrawn = true, last_changed = now(), search_seq = :seq, "
             "version = version + CASE WHEN withdrawn THEN 0 ELSE 1 END "
             "WHERE institution_id = :i AND code = :c RETURNING id"),
        {"i": institution.id, "c": code, "seq": seq},
    )).first()
    if row is None:
        raise NotFound(f"{slug} has no course with code {code!r}.")


async def withdraw_absent(
    session: AsyncSession, institution_id: int, source: str, present: Iterable[str]
) -> int:
    """Snapshot semantics: withdraw this source's live courses missing from a complete harvest."""
    seq = await search.stamp(session)
    rows = (await session.execute(
        text("UPDATE course SET withdrawn = true, last_changed = now(), version = version + 1, "
             "search_seq = :seq WHERE institution_id = :i AND source = :s AND NOT withdrawn "
             "AND code <> ALL(CAST(:codes AS text[])) RETURNING id"),
        {"i": institution_id, "s": source, "codes": list(present), "seq": seq},
    )).all()
    return len(rows)


