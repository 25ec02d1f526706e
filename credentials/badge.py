"""Badge images: an SVG per achievement, and the same SVG baked with a credential.

**The image.** Each achievement (a course, or a pathway's award) has one OB 3.0 ``image``:
``{achievement id}/image.svg`` (``image_url``), drawn from the institution's colour and the
achievement's title. The drawing is a pure function of (title, institution name, colour),
so its ETag is a hash of the bytes and a cache can keep it.

**Baking** (Open Badges 3.0 §5.3.2, SVG): the signed credential goes, byte for byte, into
one ``<openbadges:credential>`` element (namespace ``https://purl.imsglobal.org/ob/v3p0``)
as CDATA, right after the ``<svg>`` start tag. ``baked_credential`` reads it back.

Every text that comes from data is XML-escaped, stripped of characters XML 1.0 forbids,
and the title wraps over at most four lines (the last one shortened with an ellipsis).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as defused

__all__ = [
    "IMAGE_SUFFIX",
    "OB_NAMESPACE",
    "badge_svg",
    "bake",
    "baked_credential",
    "colour_of",
    "image_object",
    "image_url",
    "title_lines",
]

IMAGE_SUFFIX = "/image.svg"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# XML 1.0 Char production: a title holding anything else would make the SVG unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_CHARS = 15
_MAX_LINES = 4


def image_url(achievement_id: str) -> str:
    """The badge image of an achievement whose id is one of our HTTP URLs."""
    return achievement_id + IMAGE_SUFFIX


def image_object(achievement_id: str, caption: str) -> dict[str, str]:
    """OB 3.0 ``Image`` (``id`` and ``type`` required; ``caption`` is in the Image's scoped
    context of the OB 3.0.3 context, so the embedded context needs no term of its own)."""
    return {"id": image_url(achievement_id), "type": "Image", "caption": caption}


def colour_of(slug: str, colour: str | None = None) -> str:
    """The institution's own colour, or one derived from its slug: the same slug always
    gets the same hue, dark enough for white text on it (lightness 32%)."""
    if colour and _HEX.match(colour):
        return colour.lower()
    hue = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:2], "big") % 360
    return _hsl_hex(hue, 0.55, 0.32)


def _hsl_hex(hue: int, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - chroma / 2
    r, g, b = [(chroma, x, 0), (x, chroma, 0), (0, chroma, x), (0, x, chroma), (x, 0, chroma),
               (chroma, 0, x)][hue // 60 % 6]
    return "#" + "".join(f"{round((v + m) * 255):02x}" for v in (r, g, b))


def _clean(text: str) -> str:
    return " ".join(_NOT_XML.sub("", text).split())


def title_lines(title: str) -> list[str]:
    """The title as the badge wraps it: at most four lines, the last one shortened."""
    # A word longer than a line is cut with a hyphen on its own lines, never glued to the
    # words before it ("Wondzorg voor v / erpleegkundigen").
    words = []
    for word in (_clean(title) or "?").split():
        while len(word) > _LINE_CHARS:
            words.append(word[: _LINE_CHARS - 1] + "-")
            word = word[_LINE_CHARS - 1:]
        words.append(word)
    lines = textwrap.wrap(" ".join(words), _LINE_CHARS, break_long_words=False,
                          break_on_hyphens=False)
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] = lines[-1][: _LINE_CHARS - 1].rstrip() + "\u2026"
    return lines


def badge_svg(title: str, institution: str, colour: str, kind: str = "Microcredential") -> bytes:
    """The badge: a disc in ``colour`` with the title (wrapped) and the institution's name."""
    fill = colour if _HEX.match(colour) else "#444444"
    lines = title_lines(title)
    first_y = 262 - (len(lines) - 1) * 22
    tspans = "".join(
        f'<tspan x="256" y="{first_y + i * 44}">{escape(line)}</tspan>'
        for i, line in enumerate(lines))
    name = escape(_clean(institution)[:40])
    label = escape(_clean(kind)[:30].upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" '
        f'height="512" role="img" aria-label={quoteattr(_clean(title))}>'
        f"<title>{escape(_clean(title))}</title>"
        f'<circle cx="256" cy="256" r="248" fill="{fill}"/>'
        '<circle cx="256" cy="256" r="226" fill="none" stroke="#ffffff" stroke-width="6" '
        'stroke-opacity="0.85"/>'
        '<g fill="#ffffff" font-family="Lato, Helvetica, Arial, sans-serif" '
        'text-anchor="middle">'
        f'<text x="256" y="132" font-size="22" letter-spacing="3">{label}</text>'
        f'<text font-size="38" font-weight="bold">{tspans}</text>'
        f'<text x="256" y="414" font-size="28">{name}</text>'
        "</g></svg>"
    )
    return svg.encode()


def _cdata(data: str) -> str:
    # "]]>" cannot stand inside one CDATA section: it is split over two, which an XML
    # parser joins back into exactly the original text.
    return "<![CDATA[" + data.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake(svg: bytes, credential: bytes) -> bytes:
    """``svg`` with ``credential`` (the signed bytes, UTF-8 JSON) embedded per OB 3.0."""
    text = credential.decode("utf-8")
    if _NOT_XML.search(text):
        raise ValueError("the credential holds characters XML cannot carry")
    head, sep, rest = svg.decode("utf-8").partition(">")
    if not sep or not head.startswith("<svg"):
        raise ValueError("not an SVG document produced by badge_svg")
    head = head.replace("<svg ", f'<svg xmlns:openbadges="{OB_NAMESPACE}" ', 1)
    element = f"<openbadges:credential>{_cdata(text)}</openbadges:credential>"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{head}>{element}{rest}'.encode()


def baked_credential(svg: bytes) -> bytes | None:
    """The credential bytes baked into ``svg`` (None when it holds none)."""
    root = defused.fromstring(svg)  # no entities, no external references
    found = root.find(f"{{{OB_NAMESPACE}}}credential")
    if found is None:
        return None
    if found.get("verify"):  # a baked JWT (not what we bake, read for completeness)
        return found.get("verify", "").encode()
    return (found.text or "").encode("utf-8")
