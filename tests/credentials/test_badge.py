"""Badge images: well-formed SVG whatever the title, baked credentials read back byte for byte."""

from __future__ import annotations

import re

import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from credentials.badge import OB_NAMESPACE, badge_svg, bake, baked_credential, colour_of, image_url
from credentials.linkedin import linkedin_url

SVG_NS = "{http://www.w3.org/2000/svg}"


def _texts(svg: bytes) -> str:
    root = ElementTree.fromstring(svg)
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))


def test_title_and_institution_are_escaped_not_markup() -> None:
    title = 'Wondzorg <script>alert("x")</script> & "zorg" ]]> Ëé'
    svg = badge_svg(title, "LUCA & <b>Co</b>", "#00586f")
    root = ElementTree.fromstring(svg)  # well-formed
    assert root.find(f".//{SVG_NS}script") is None and b"<script" not in svg
    assert root.find(f"{SVG_NS}title").text == title
    assert "LUCA & <b>Co</b>" in _texts(svg)  # as text, not as an element
    assert root.find(f".//{SVG_NS}b") is None
    shown = "".join(t.text or "" for t in root.iter(f"{SVG_NS}tspan"))
    assert '<script>alert(-"x")</script>' in shown  # text, cut as a long word is


def test_long_titles_wrap_over_at_most_four_lines() -> None:
    title = "Een heel lange titel van een microcredential over verpleegkundige wondzorg " * 3
    root = ElementTree.fromstring(badge_svg(title, "UCLL", "#00586f"))
    lines = [t.text for t in root.iter(f"{SVG_NS}tspan")]
    assert 1 < len(lines) <= 4
    assert all(len(line) <= 15 for line in lines)
    assert lines[-1].endswith("\u2026")  # shortened, and says so


@given(st.text(max_size=300), st.text(max_size=80))
def test_any_text_gives_well_formed_svg(title: str, institution: str) -> None:
    ElementTree.fromstring(badge_svg(title, institution, "#123456"))


def test_colour_is_the_institutions_or_derived_from_the_slug() -> None:
    assert colour_of("ucll", "#00586F") == "#00586f"
    derived = colour_of("newpartner")
    assert re.fullmatch(r"#[0-9a-f]{6}", derived)
    assert derived == colour_of("newpartner") != colour_of("otherpartner")
    assert colour_of("x", "red") == colour_of("x")  # not a colour we draw with


def test_baked_svg_holds_the_exact_signed_bytes() -> None:
    signed = '{"name": "A ]]> B", "x": "é ë <tag> &amp;"}'.encode()
    baked = bake(badge_svg("T", "UCLL", "#00586f"), signed)
    root = ElementTree.fromstring(baked)
    assert root.find(f"{{{OB_NAMESPACE}}}credential") is not None
    assert len(root.findall(f"{{{OB_NAMESPACE}}}credential")) == 1
    assert baked_credential(baked) == signed
    assert baked_credential(badge_svg("T", "UCLL", "#00586f")) is None


def test_a_credential_xml_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError):
        bake(badge_svg("T", "UCLL", "#00586f"), '{"a": "\ufffe"}'.encode())


def test_image_url_extends_the_achievement_id() -> None:
    assert image_url("https://a.be/api/v1/institutions/ucll/courses/MC-X") == (
        "https://a.be/api/v1/institutions/ucll/courses/MC-X/image.svg")


def test_linkedin_url_has_every_documented_field_encoded() -> None:
    from datetime import date
    from urllib.parse import parse_qs, urlsplit

    url = linkedin_url(name="Wondzorg & co: 'basis'", organisation="UCLL", issued=date(2025, 12, 19),
                       cert_url="https://academy.example/s/shr_abc", cert_id="1234",
                       expires=date(2030, 1, 31))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"], "name": ["Wondzorg & co: 'basis'"],
        "organizationName": ["UCLL"], "issueYear": ["2025"], "issueMonth": ["12"],
        "expirationYear": ["2030"], "expirationMonth": ["1"],
        "certUrl": ["https://academy.example/s/shr_abc"], "certId": ["1234"]}
    without = parse_qs(urlsplit(linkedin_url(
        name="x", organisation="y", issued=date(2025, 1, 2), cert_url="u", cert_id="i")).query)
    assert "expirationYear" not in without and without["issueMonth"] == ["1"]
