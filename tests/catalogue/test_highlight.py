"""Highlighting: the ASCII shortcut (scan for the query words, then widen to whole words)
marks exactly what asking the marker about every word of the text marks."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.search.tokens import Marker, fold_fast, highlight, snippet


def _highlight_every_word(text: str, marked: Marker) -> str:
    """The highlighter without its ASCII shortcut: every word of ``text`` is asked."""
    out, last = [], 0
    for m in re.finditer(r"[^\W_]+", text):
        if marked(fold_fast(m.group())):
            out += [html.escape(text[last:m.start()]), f"<mark>{html.escape(m.group())}</mark>"]
            last = m.end()
    return "".join([*out, html.escape(text[last:])])


_ASCII_WORDS = st.text(alphabet="abcdezorgwnABZ", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_ASCII_WORDS, min_size=1, max_size=4),
       text=st.lists(st.one_of(_ASCII_WORDS, st.sampled_from([" ", "-", "_", "'", ", ", "<", "&", "1"])),
                     max_size=30))
def test_the_ascii_shortcut_marks_what_asking_every_word_marks(words: list[str], text: list[str]) -> None:
    query = frozenset(w.lower() for w in words)
    body = "".join(text)
    vocabulary = {w for w in query if len(w) >= 3}
    assert highlight(body, Marker(query, vocabulary)) == \
        _highlight_every_word(body, Marker(query, vocabulary))


def test_a_snippet_starts_near_the_first_marked_word() -> None:
    text = "Inleiding. " * 40 + "Wondzorg in de thuiszorg en de zorg voor chronische wonden."
    marked = Marker(frozenset({"zorg"}), {"zorg", "wond", "thuis"})
    out = snippet(text, marked)
    assert out.startswith("…") and "<mark>Wondzorg</mark>" in out and "<mark>thuiszorg</mark>" in out
