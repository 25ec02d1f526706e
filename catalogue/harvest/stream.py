"""Feeds parsed as they arrive: a JSON array item by item, CSV record by record.

Neither the raw body nor a whole parse tree is ever held: ijson (its C backend) turns the
decoded pieces into one course document at a time, and CSV text is cut into complete
records (a newline inside a quoted field does not end one) for the ``csv`` module. Each
item counts against the run's ``Budget``, so ``[{}, {}, ...]`` stops at the item cap.
The JSON keeps ``loads_strict``'s rules (I-JSON): a repeated member name, a non-finite
number, NUL or an unpaired surrogate fail the feed. Errors say where (item, row, byte),
never what the feed held there.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import ijson

from catalogue.harvest.mapping import FeedError, csv_documents
from catalogue.harvest.net import Budget
from catalogue.validation import MalformedJSON, loads_strict

__all__ = ["csv_stream", "json_array_stream", "json_value"]

MAX_RECORD = 1024 * 1024  # one CSV record; longer is not a course, and re-scanning it is costly
_BAD_CHAR = re.compile(r"[\x00\ud800-\udfff]")
_WHITESPACE = b" \t\r\n"


class _StrictObject(dict):  # type: ignore[type-arg]
    """A JSON object that refuses a member name it already has (I-JSON, RFC 7493)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            raise _Repeated
        super().__setitem__(key, value)


class _Repeated(Exception):
    pass


def _strict(value: Any) -> bool:
    """Whether a parsed value holds only what PostgreSQL ``jsonb`` and I-JSON accept."""
    if isinstance(value, dict):
        return all(not _BAD_CHAR.search(k) and _strict(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_strict(v) for v in value)
    if isinstance(value, str):
        return not _BAD_CHAR.search(value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


async def json_array_stream(chunks: AsyncIterator[bytes], budget: Budget, where: str) -> list[Any]:
    """The items of a JSON array, parsed as the body arrives."""
    items: list[Any] = []
    sink = ijson.sendable_list()
    parser = ijson.items_coro(sink, "item", map_type=_StrictObject, use_float=True)
    offset, started = 0, False
    try:
        async for chunk in chunks:
            if not started and (head := chunk.lstrip(_WHITESPACE)):
                if head[:1] != b"[":
                    raise FeedError(f"{where} holds no JSON array of course documents")
                started = True
            parser.send(chunk)
            offset += len(chunk)
            if sink:
                budget.take_items(len(sink), where)
                for item in sink:
                    if not _strict(item):
                        raise FeedError(f"{where}: item {len(items)} holds NUL, an unpaired "
                                        "surrogate or a non-finite number (not I-JSON)")
                    items.append(item)
                del sink[:]
        parser.close()
    except _Repeated:
        raise FeedError(f"{where}: item {len(items) + len(sink)} repeats a member name "
                        "(not I-JSON)") from None
    except ijson.JSONError:
        raise FeedError(f"{where} is not valid JSON (near byte {offset})") from None
    if not started:
        raise FeedError(f"{where} holds no JSON array of course documents")
    budget.take_items(len(sink), where)
    items += [item for item in sink if _strict(item)]
    return items


async def json_value(chunks: AsyncIterator[bytes], where: str) -> Any:
    """One JSON value (an OOAPI page, bounded by the budget the chunks were read within)."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
    try:
        return loads_strict(bytes(body))
    except MalformedJSON:
        raise FeedError(f"{where} is not valid I-JSON (malformed, a repeated member name, "
                        "a non-finite number, NUL or an unpaired surrogate)") from None


class _Records:
    """Cuts CSV text into whole records: a newline ends one only outside quotes."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.pending = ""
        self.row = 0

    def feed(self, text: str, final: bool = False) -> list[str]:
        lines = (self.pending + text).split("\n")
        self.pending = "" if final else lines.pop()
        records, record, quotes = [], "", 0
        for line in lines:
            record = line if not record and not quotes else record + "\n" + line
            quotes += line.count('"')
            if quotes % 2 == 0:
                records.append(record)
                record, quotes = "", 0
        if quotes:  # an open quoted field: wait for the rest
            self.pending = record + "\n" + self.pending if not final else record
            if final:
                raise FeedError(f"{self.where}: row {self.row + len(records) + 1} "
                                "ends inside a quoted field")
        if len(self.pending) > MAX_RECORD:
            raise FeedError(f"{self.where}: row {self.row + len(records) + 1} is longer than "
                            f"{MAX_RECORD} characters")
        self.row += len(records)
        return [r for r in records if r.strip("\r")]


async def csv_stream(chunks: AsyncIterator[bytes], mapping: Mapping[str, Any], budget: Budget,
                     where: str) -> list[dict[str, Any]]:
    """Course documents from a CSV body, read record by record as it arrives."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    records = _Records(where)
    delimiter = mapping.get("delimiter", ",")
    header: list[str] | None = None
    rows: list[list[str]] = []
    offset = 0

    def take(lines: list[str]) -> None:
        nonlocal header
        try:
            parsed = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            raise FeedError(f"{where}: a row after row {records.row - len(lines)} cannot be "
                            "read as CSV") from None
        if header is None and parsed:
            header = parsed.pop(0)
        budget.take_items(len(parsed), where)
        rows.extend(parsed)

    try:
        async for chunk in chunks:
            take(records.feed(decoder.decode(chunk)))
            offset += len(chunk)
        take(records.feed(decoder.decode(b"", final=True), final=True))
    except UnicodeDecodeError as exc:
        raise FeedError(f"{where}: the CSV is not UTF-8 (byte {offset + exc.start})") from None
    return csv_documents(header or [], rows, mapping, where)
