"""Pure text processing behind catalogue search: folding, query parsing, Dutch compounds,
query expansion and a ``to_tsquery`` string that is valid by construction.

Nothing here touches the database. The search layer calls, per request::

    parsed = parse_query(q)
    expansion = expand_terms(parsed, glossary, vocabulary)
    tsq = tsquery_string(expansion)                      # bound as a parameter
    literal = tsquery_string(expansion, sources={"query"})

and, when it builds search documents, adds ``decompound(title, vocabulary)`` to the
indexed text so that query words meet the parts of compounds in titles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from catalogue.search.glossary import Glossary

__all__ = [
    "MAX_TERMS", "STOPWORDS", "Alternative", "Expansion", "Group", "ParsedQuery", "Source",
    "Term", "decompound", "expand_terms", "fold", "parse_query", "split_compound", "tokenize",
    "tsquery_string", "vocabulary_from_titles",
]

MAX_TERMS = 32  # bounds the tsquery a single request can make PostgreSQL evaluate
MIN_PREFIX = 3  # a shorter last word is matched whole: 'a':* would touch half the index
MAX_ALTERNATIVES = 12
MAX_COMPOUND = 48

_STOPWORD_TEXT = """
    aan af al als bij binnen dan dat de der des die dit door een en er het hier hoe in is je
    met mijn na naar niet noch nu of om onder ook op over te tegen tot uit van vanuit via voor
    wat wie zij zijn zo
    a an and are as at be by for from how in into is it its of on or over the their this
    to via what when who with
    """
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_EXTRA_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (straight or typographic quotes; an unclosed one runs to the end) or a bare chunk.
_CHUNK = re.compile(r'(?P<neg>-?)["“”„](?P<quoted>[^"“”„]*)["“”„]?|(?P<bare>[^\s"“”„]+)')
# Inside a bare chunk, hyphens and apostrophes join words into one phrase ("front-end").
_JOINED = re.compile(r"[^\W_]+(?:[-‐‑'’][^\W_]+)*")
_LINKERS = ("s", "en", "e")  # Dutch linking elements between compound parts
_INFLECTIONS = ("en", "s", "e")  # tolerated on the last part of a compound


def fold(text: str) -> str:
    """Lowercase and strip accents (é→e, ï→i, ß→ss), close to PostgreSQL's lower(unaccent())."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.lower().translate(_EXTRA_FOLDS)


def tokenize(text: str) -> list[str]:
    """Folded words: runs of letters and digits; everything else separates."""
    return _WORD.findall(fold(text))


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """One thing the user typed: a word, or a phrase (quoted, or joined by hyphens)."""

    words: tuple[str, ...]
    quoted: bool = False
    prefix: bool = False  # last word of the query, still being typed
    capitals: bool = False  # typed in capitals in a query that is not: an abbreviation ("IT")


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """``groups`` are ANDed; the terms inside one group were joined by ``OR``."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.excluded

    def words(self) -> list[str]:
        """The positive words in order, e.g. for typo look-ups or ``did_you_mean``."""
        return [w for group in self.groups for term in group for w in term.words]


def _terms_of_chunk(chunk: str, shouting: bool = False) -> list[Term]:
    return [Term(tuple(words), capitals=not shouting and len(joined) > 1 and joined.isupper())
            for joined in _JOINED.findall(chunk) if (words := tokenize(joined))]


def parse_query(q: str) -> ParsedQuery:
    """Parse web-search syntax; never raises.

    Words and phrases are ANDed; ``"..."`` is an exact phrase (an unclosed quote runs to the
    end); ``-word`` or ``-"a phrase"`` excludes; an uppercase ``OR`` between two terms makes
    them alternatives. Anything else (``'``, ``&``, ``|``, ``!``, ``:*``, ``\\``, ``(``) only
    separates words. The last word gets prefix matching when the query does not end in a
    space or punctuation and the word has at least three characters.
    """
    items: list[Term | str] = []
    excluded: list[Term] = []
    last_bare_end = -1
    for m in _CHUNK.finditer(q):
        if m.group("quoted") is not None:
            words = tuple(tokenize(m.group("quoted")))
            if words:
                term = Term(words, quoted=True)
                (excluded.append(term) if m.group("neg") else items.append(term))
            continue
        bare = m.group("bare")
        if bare == "OR":
            items.append("OR")
            continue
        negative = bare.startswith("-")
        terms = _terms_of_chunk(bare.lstrip("-") if negative else bare, q.isupper())
        if negative:
            excluded.extend(terms)
        elif terms:
            items.extend(terms)
            last_bare_end = m.end()
    typing_on = bool(q) and unicodedata.category(q[-1])[0] in "LNM"
    if items and last_bare_end == len(q) and typing_on and isinstance(items[-1], Term):
        last = items[-1]
        if len(last.words[-1]) >= MIN_PREFIX:
            items[-1] = Term(last.words, prefix=True, capitals=last.capitals)
    return ParsedQuery(_group_or(items), tuple(dict.fromkeys(excluded))[:MAX_TERMS])


def _group_or(items: Sequence[Term | str]) -> tuple[tuple[Term, ...], ...]:
    groups: list[tuple[Term, ...]] = []
    joining = False
    for item in items:
        if item == "OR":
            joining = bool(groups)
        elif isinstance(item, Term):
            if joining and item not in groups[-1]:
                groups[-1] = (*groups[-1], item)
            elif not joining:
                groups.append((item,))
            joining = False
    return tuple(dict.fromkeys(groups))[:MAX_TERMS]


# --- Dutch compounds -------------------------------------------------------------------------


def split_compound(word: str, vocabulary: Container[str], min_part: int = 3) -> list[str]:
    """Split a compound into known parts, or return ``[]``.

    Every part must be in ``vocabulary`` and have at least ``min_part`` letters. Between parts
    a linking ``s``, ``e`` or ``en`` may be dropped (bedrijf-s-beheer), and the last part may
    carry an inflection (godsdienst-en). The split with the fewest parts wins, then the one
    with the longest parts (largest sum of squared lengths). A part equal to a vocabulary
    word is kept as written, except that a trailing linking ``s`` is dropped when the base is
    known too ("huwelijks" → "huwelijk").
    """
    word = fold(word)
    n = len(word)
    if n < 2 * min_part or n > MAX_COMPOUND or not word.isalpha():
        return []
    # best[i]: (parts count, -sum of squares, parts) for the best split of word[i:]
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[n] = (0, 0, ())
    for i in range(n - min_part, -1, -1):
        for j in range(i + min_part, n + 1):
            rest = best[j]
            if rest is None or (i == 0 and j == n):  # the word itself is not a split
                continue
            part = _part(word[i:j], vocabulary, min_part, last=j == n)
            if part is None:
                continue
            candidate = (rest[0] + 1, rest[1] - (j - i) ** 2, (part, *rest[2]))
            current = best[i]
            if current is None or candidate[:2] < current[:2]:
                best[i] = candidate
    found = best[0]
    return list(found[2]) if found is not None else []


def _part(span: str, vocabulary: Container[str], min_part: int, *, last: bool) -> str | None:
    if span in vocabulary:
        linked = not last and span[-1] == "s" and len(span) > min_part and span[:-1] in vocabulary
        return span[:-1] if linked else span
    for suffix in _INFLECTIONS if last else _LINKERS:
        if span.endswith(suffix) and len(span) - len(suffix) >= min_part:
            base = span[: -len(suffix)]
            if base in vocabulary:
                return base
    return None


def decompound(text: str, vocabulary: Container[str]) -> list[str]:
    """The parts of every compound in ``text``, and of compound parts in turn, for indexing
    next to the text itself ("systeempsychotherapie" → systeem, psychotherapie, psycho,
    therapie)."""
    found: dict[str, None] = {}
    pending = tokenize(text)
    while pending:
        parts = split_compound(pending.pop(0), vocabulary)
        pending += [p for p in parts if p not in found]
        found.update(dict.fromkeys(parts))
    return list(found)


def vocabulary_from_titles(titles: Iterable[str], min_length: int = 3) -> set[str]:
    """Folded words of the titles that can act as compound parts (no stopwords, no digits)."""
    return {
        word
        for title in titles
        for word in tokenize(title)
        if len(word) >= min_length and word.isalpha() and word not in STOPWORDS
    }


# --- expansion -------------------------------------------------------------------------------

Source = Literal["query", "compound", "glossary", "typo", "related"]


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way to match a group: all ``words`` (adjacent, in order, when ``adjacent``)."""

    words: tuple[str, ...]
    adjacent: bool = False
    prefix: bool = False  # the last word matches as a prefix
    source: Source = "query"
    loose: bool = False  # some of ``words`` suffice, scored by the share met (compound parts)


@dataclass(frozen=True, slots=True)
class Group:
    """What one user term (or OR-list, or multiword glossary phrase) may match.

    ``strict``: the user marked it (a quoted phrase, an ``OR`` list), so a course must match
    it; other groups are soft (see ``catalogue.search.match``). ``generic``: a word that
    names a kind of offer rather than a subject ("opleiding", "course"), from the glossary.
    """

    text: str
    alternatives: tuple[Alternative, ...]
    strict: bool = False
    generic: bool = False


@dataclass(frozen=True, slots=True)
class Expansion:
    """A document must match none of ``excluded``; how ``groups`` combine is the search's
    rule (strict groups all, soft ones ranked by how many and how telling)."""

    groups: tuple[Group, ...] = ()
    excluded: tuple[Alternative, ...] = ()


class _Splitter:
    """Membership in the catalogue's vocabulary ∪ the glossary's, and memoised splits."""

    def __init__(self, vocabulary: Container[str], glossary_vocabulary: Container[str]) -> None:
        self.first, self.second = vocabulary, glossary_vocabulary
        self.memo: dict[str, tuple[str, ...]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self.first or word in self.second

    def split(self, word: str) -> tuple[str, ...]:
        parts = self.memo.get(word)
        if parts is None:
            if len(self.memo) >= 100_000:
                self.memo.clear()
            parts = self.memo[word] = tuple(split_compound(word, self))
        return parts


_shared: tuple[frozenset[str], Glossary, _Splitter] | None = None


def _splitter(vocabulary: Collection[str], glossary: Glossary) -> _Splitter:
    # The memo is kept across calls only for a frozenset: a mutable set could change under it.
    global _shared
    if _shared and _shared[0] is vocabulary and _shared[1] is glossary:
        return _shared[2]
    splitter = _Splitter(vocabulary, glossary.vocabulary)
    if isinstance(vocabulary, frozenset):
        _shared = (vocabulary, glossary, splitter)
    return splitter


def expand_terms(
    parsed: ParsedQuery,
    glossary: Glossary,
    vocabulary: Collection[str] = frozenset(),
    *,
    corrections: Mapping[str, Sequence[str]] | None = None,
    keep_apart: Collection[tuple[str, ...]] = (),
    loose: Collection[str] = (),
) -> Expansion:
    """Alternatives per user term, so the search can match ``(term | alt1 | alt2)``.

    Rules, in the order alternatives are listed:
    - the term itself (a phrase stays adjacent, the last word keeps its prefix flag);
    - consecutive plain words that form a glossary phrase ("wound care") become one group
      whose own alternative is those words ANDed (stopwords dropped);
    - a hyphenated term also matches its words written together ("wond-zorg" → "wondzorg");
    - compound parts, ANDed ("wondzorg" → wond & zorg), split with ``vocabulary`` ∪ the
      glossary's words; the search documents must be decompounded the same way;
    - the Dutch -ie/-isch(e) counterpart when the vocabulary knows it (filosofie →
      filosofische);
    - glossary translations and synonyms of the term (inflected forms tolerated); their
      words are ANDed, not a phrase, as titles split them ("kerkelijk straf- en
      procesrecht" for canon law); each single-word one is also split into compound parts
      and given its -ie/-isch counterpart;
      for a prefix term without an exact entry, those of up to three entries it begins;
    - ``corrections`` (e.g. trigram matches from the database) and their translations.
    Quoted phrases are literal: no alternatives. Phrases in ``keep_apart`` are not merged
    into one glossary group, and the compound parts of words in ``loose`` match loosely
    (some parts suffice): both for a retry after they met nothing as a whole. A group made only of stopwords is dropped
    unless every group is. Each group keeps at most ``MAX_ALTERNATIVES`` alternatives.
    """
    vocab = _splitter(vocabulary, glossary)
    fixes = corrections or {}
    groups, content = [], []
    for terms, merged in _merge_glossary_phrases(parsed.groups, glossary, keep_apart):
        alternatives: dict[Alternative, None] = {}
        for term in terms:
            for alt in _alternatives(term, merged, glossary, vocab, fixes, loose):
                alternatives.setdefault(alt)
        text = " OR ".join(" ".join(t.words) for t in terms)
        strict = len(terms) > 1 or any(t.quoted for t in terms)
        generic = not strict and all(_generic(t, glossary, fixes) for t in terms)
        groups.append(Group(text, tuple(alternatives)[:MAX_ALTERNATIVES], strict, generic))
        if not all(_is_stopword(t, glossary) for t in terms):
            content.append(groups[-1])
    excluded = tuple(Alternative(t.words, adjacent=len(t.words) > 1) for t in parsed.excluded)
    return Expansion(tuple(content or groups), excluded)


def _generic(term: Term, glossary: Glossary, fixes: Mapping[str, Sequence[str]]) -> bool:
    """A filler, as typed or as every typo correction of it reads ("opleidnig")."""
    if glossary.is_generic(term.words):
        return True
    found = fixes.get(term.words[0], ()) if len(term.words) == 1 else ()
    return bool(found) and all(glossary.is_generic(tuple(tokenize(f))) for f in found)


def _is_stopword(term: Term, glossary: Glossary | None = None) -> bool:
    """Only stop words; "IT" in capitals with a glossary entry is an abbreviation instead."""
    if term.capitals and glossary is not None and glossary.lookup(term.words):
        return False
    return not term.quoted and all(w in STOPWORDS for w in term.words)


def _merge_glossary_phrases(
    groups: Sequence[tuple[Term, ...]], glossary: Glossary,
    keep_apart: Collection[tuple[str, ...]] = (),
) -> list[tuple[tuple[Term, ...], bool]]:
    """Greedy longest match of glossary phrases over runs of plain single-word groups."""
    out: list[tuple[tuple[Term, ...], bool]] = []
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + glossary.max_words), i + 1, -1):
            run = groups[i:j]
            if all(len(g) == 1 and not g[0].quoted and len(g[0].words) == 1 for g in run):
                words = tuple(g[0].words[0] for g in run)
                if words not in keep_apart and glossary.lookup(words):
                    out.append(((Term(words, prefix=run[-1][0].prefix),), True))
                    i = j
                    break
        else:
            out.append((groups[i], False))
            i += 1
    return out


def _alternatives(
    term: Term,
    merged: bool,
    glossary: Glossary,
    vocabulary: _Splitter,
    corrections: Mapping[str, Sequence[str]],
    loose: Collection[str] = (),
) -> list[Alternative]:
    words = term.words
    if term.quoted:
        return [Alternative(words, adjacent=len(words) > 1)]
    if merged:
        content = tuple(w for w in words if w not in STOPWORDS) or words
        out = [Alternative(content, prefix=term.prefix and content[-1] == words[-1])]
    else:
        out = [Alternative(words, adjacent=len(words) > 1, prefix=term.prefix)]
    if len(words) > 1 and not merged:
        out.append(Alternative(("".join(words),), prefix=term.prefix, source="compound"))
    if len(words) == 1:
        parts = vocabulary.split(words[0])
        if parts:
            out.append(Alternative(tuple(parts), prefix=term.prefix, source="compound",
                                   loose=words[0] in loose))
        out += [Alternative((d,), source="compound") for d in _derived(words[0], vocabulary)]
    translations = _translations(words, term.prefix, glossary, vocabulary)
    out += translations
    for alt in translations:
        if len(alt.words) == 1:
            derived = _derived(alt.words[0], vocabulary)
            out += [Alternative((d,), source="glossary") for d in derived]
    if len(words) == 1:
        for fixed in corrections.get(words[0], ()):
            fixed_words = tuple(tokenize(fixed))
            if fixed_words:
                out.append(Alternative(fixed_words, adjacent=len(fixed_words) > 1, source="typo"))
                out += _translations(fixed_words, False, glossary, vocabulary)
    return out


def _translations(
    words: tuple[str, ...], prefix: bool, glossary: Glossary, vocabulary: _Splitter
) -> list[Alternative]:
    phrases = glossary.translations(words)
    if not phrases and prefix and len(words) == 1:
        phrases = glossary.prefix_translations(words[0], limit=3)
    out = []
    # Stop words are not indexed: "dieren in de hulpverlening" must match dieren & hulpverlening.
    phrases = [tuple(w for w in p if w not in STOPWORDS) or p for p in phrases]
    for phrase in phrases:
        out.append(Alternative(phrase, source="glossary"))
        if len(phrase) == 1:
            parts = vocabulary.split(phrase[0])
            if parts:
                out.append(Alternative(tuple(parts), source="glossary"))
    for phrase in glossary.related(words):
        for variant in (phrase, *glossary.translations(phrase)):
            kept = tuple(w for w in variant if w not in STOPWORDS) or variant
            out.append(Alternative(kept, source="related"))
    return out


def _derived(word: str, vocabulary: Container[str]) -> list[str]:
    """Dutch noun in -ie ↔ adjective in -isch(e) (seksuologie ↔ seksuologische), if known."""
    if word.endswith("ie"):
        candidates = [word[:-2] + "isch", word[:-2] + "ische"]
    elif word.endswith(("isch", "ische")):
        candidates = [word[: word.rindex("isch")] + "ie"]
    else:
        return []
    return [c for c in candidates if len(c) >= 6 and c in vocabulary]


# --- tsquery ---------------------------------------------------------------------------------


def _lexeme(word: str, prefix: bool) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + ":*" if prefix else quoted


def _render(alt: Alternative) -> str:
    last = len(alt.words) - 1
    lexemes = [_lexeme(w, alt.prefix and i == last) for i, w in enumerate(alt.words)]
    if len(lexemes) == 1:
        return lexemes[0]
    return "(" + (" <-> " if alt.adjacent else " & ").join(lexemes) + ")"


def tsquery_string(expansion: Expansion, *, sources: Collection[Source] | None = None) -> str:
    """A ``to_tsquery`` input that PostgreSQL always accepts, or ``""`` for no text filter.

    Grammar of the output (spaces exactly as shown)::

        query   := clause (" & " clause)*
        clause  := group | "!" alt
        group   := alt | "(" alt (" | " alt)+ ")"
        alt     := lexeme | "(" lexeme (" & " lexeme)+ ")" | "(" lexeme (" <-> " lexeme)+ ")"
        lexeme  := "'" (any char but "'" or "\\" | "''" | "\\\\")+ "'" [":*"]

    Every lexeme is quoted, so operator characters in the input can only ever be lexeme
    text; the configuration given to ``to_tsquery`` still normalises each lexeme (unaccent,
    stemming, stopwords). ``sources`` keeps only alternatives of those kinds, e.g.
    ``{"query"}`` for the literal query to boost exact matches when ranking. A query with
    only exclusions yields ``!…`` clauses, which match every document without those words.
    """
    clauses = []
    for group in expansion.groups:
        alts = [a for a in group.alternatives if sources is None or a.source in sources]
        rendered = list(dict.fromkeys(_render(a) for a in alts if a.words))
        if len(rendered) == 1:
            clauses.append(rendered[0])
        elif rendered:
            clauses.append("(" + " | ".join(rendered) + ")")
    clauses += ["!" + _render(a) for a in expansion.excluded if a.words]
    return " & ".join(clauses)
