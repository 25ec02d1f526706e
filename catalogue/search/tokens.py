"""Tokens of the in-process search index: fields, weights, stems, and highlighted snippets.

Pure functions over text. Words are folded by ``catalogue.search.text`` (lowercase, no
accents), so the index, the query and the highlighter agree on what a word is. Stemming
does not rewrite the indexed words: each folded word keeps its own postings and the
Dutch and English Snowball stems only group the words a query word may meet.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache

import Stemmer

from catalogue.search.text import STOPWORDS, fold, split_compound

__all__ = [
    "FIELDS",
    "FieldTokens",
    "Marker",
    "compound_parts",
    "field_tokens",
    "fold_fast",
    "highlight",
    "snippet",
    "stems",
    "title_vocabulary",
    "words_of",
]

K1 = 1.2
B = 0.75
# field: (weight, typical length in words for the length normalisation)
FIELDS: dict[str, tuple[float, float]] = {
    "title": (4.0, 6.0),
    "subject": (1.6, 14.0),  # keywords, skills, learning outcomes
    "body": (0.7, 60.0),  # description and target group
    "place": (0.4, 6.0),  # institution names and offering cities
}
COMPOUND_SHARE = 0.7  # a compound part in a title counts as this share of the whole word

_NL = Stemmer.Stemmer("dutch")
_EN = Stemmer.Stemmer("english")
_WORD = re.compile(r"[^\W_]+")
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

FieldTokens = tuple[tuple[str, ...], tuple[float, ...], str]
"""Distinct folded words of one field value, their field-weighted BM25 term weights, and the
value's words joined by single spaces and padded (for exact phrase checks)."""


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, str]:
    """The Dutch and the English Snowball stem of a folded word."""
    return _NL.stemWord(word), _EN.stemWord(word)


def fold_fast(text: str) -> str:
    """``text.fold``, faster on Latin text (ASCII, or ASCII once accents are stripped)."""
    if text.isascii():
        return text.lower()
    stripped = _ACCENTS.sub("", unicodedata.normalize("NFKD", text.lower()))
    return stripped if stripped.isascii() else fold(text)


def title_vocabulary(titles: Iterable[str]) -> set[str]:
    """``text.vocabulary_from_titles``: the words that may be parts of compounds."""
    return {w for t in titles for w in words_of(t)
            if len(w) >= 3 and w.isalpha() and w not in STOPWORDS}


def words_of(text: str) -> list[str]:
    """``text.tokenize``, faster on ASCII text."""
    return _WORD.findall(fold_fast(text))


def field_tokens(field: str, text: str, vocabulary: Collection[str] = ()) -> FieldTokens:
    """Weighted words of one field, and its phrase text; titles also carry compound parts.

    The parts ("bedrijfsbeheer" → bedrijf, beheer) are what lets "beheer" meet the
    compound; the query side splits typed compounds with the same vocabulary.
    """
    weight, average = FIELDS[field]
    tokens = words_of(text)
    words = [w for w in tokens if w not in STOPWORDS]
    counts: dict[str, float] = Counter(words)  # type: ignore[assignment]
    if field == "title" and vocabulary:
        for word in list(counts):
            for part in compound_parts(word, vocabulary):
                counts[part] = counts.get(part, 0) + COMPOUND_SHARE
    length = max(len(words), 1)
    norm = K1 * (1 - B + B * length / average)
    out = {w: weight * tf * (K1 + 1) / (tf + norm) for w, tf in counts.items() if tf > 0}
    return tuple(out), tuple(out.values()), " " + " ".join(tokens) + " "


def compound_parts(word: str, vocabulary: Collection[str]) -> list[str]:
    """The parts of a folded Dutch compound (memoised), or ``[]``."""
    return _split(word, vocabulary) if len(word) >= 6 else []


# Splits for one vocabulary (held, so its id can never be reused by a later one); read and
# replaced as one tuple, which keeps it consistent across the index's build threads.
_memo: tuple[Collection[str] | None, dict[str, list[str]]] = (None, {})


def _split(word: str, vocabulary: Collection[str]) -> list[str]:
    global _memo
    held, splits = _memo
    if held is not vocabulary:
        splits = {}
        _memo = (vocabulary, splits)
    found = splits.get(word)
    if found is None:
        if len(splits) > 50_000:  # query words are anyone's input
            splits.clear()
        found = splits[word] = split_compound(word, vocabulary)
    return found


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    return fold_fast(word)


class Marker:
    """Which folded words of a course text to mark: matched words, and compounds of them."""

    def __init__(self, words: frozenset[str], vocabulary: Collection[str]) -> None:
        self.words = words
        # the words as one string (folded words hold no space): a cache key of strings
        # only, which the cyclic collector does not walk (a frozenset it would)
        self.key = " ".join(sorted(words))
        self.vocabulary = vocabulary
        self._seen: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:
            found = self._seen[word] = word in self.words or (
                len(word) >= 6 and any(p in self.words for p in compound_parts(word, self.vocabulary)))
        return found

    def candidates(self, text: str) -> Iterator[tuple[int, int]]:
        """The spans of the words of ``text`` that might be marked: on ASCII text only those
        containing a matched word (found by one regular expression), otherwise every word."""
        if not text.isascii():
            return (m.span() for m in _WORD.finditer(text))
        pattern = _pattern(self.words)
        return _enclosing(text, pattern) if pattern is not None else iter(())


@lru_cache(maxsize=1024)
def _pattern(words: frozenset[str]) -> re.Pattern[str] | None:
    """The ASCII words as one alternation; the engine scans for them without backtracking
    over every word's letters (what a word-shaped pattern around them did, 2-5x slower)."""
    ascii_words = sorted((w for w in words if w.isascii()), key=len, reverse=True)
    if not ascii_words:
        return None
    return re.compile("|".join(map(re.escape, ascii_words)), re.IGNORECASE)


def _enclosing(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """The spans of the (ASCII) words around ``pattern``'s matches, each once, in order."""
    end = 0
    for m in pattern.finditer(text):
        start = m.start()
        if start < end:  # inside the word just given
            continue
        while start > 0 and _letter(text[start - 1]):
            start -= 1
        end = m.end()
        while end < len(text) and _letter(text[end]):
            end += 1
        yield start, end


def _letter(char: str) -> bool:
    r"""``[^\W_]`` for one ASCII character: what ``_WORD`` takes into a word."""
    return char.isalnum()


_SPECIAL = re.compile("[&<>\"']")


def _same(text: str) -> str:
    return text


def highlight(text: str, marked: Marker) -> str:
    """HTML-escaped ``text`` with ``<mark>`` around every word ``marked`` accepts."""
    # most course texts hold nothing to escape: one scan instead of five replaces a piece
    escape = html.escape if _SPECIAL.search(text) else _same
    out, last = [], 0
    for start, end in marked.candidates(text):
        word = text[start:end]
        if marked(_fold(word)):
            out.append(escape(text[last:start]))
            out.append(f"<mark>{escape(word)}</mark>")
            last = end
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(text: str, marked: Marker, width: int = 200) -> str:
    """About ``width`` characters of ``text`` around its first marked word, highlighted."""
    if len(text) <= width:
        return highlight(text, marked)
    start = 0
    for begin, end in marked.candidates(text):
        if marked(_fold(text[begin:end])):
            start = max(0, begin - width // 4)
            break
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    body = highlight(text[start:end], marked)
    return ("…" if start else "") + body + ("…" if end < len(text) else "")
