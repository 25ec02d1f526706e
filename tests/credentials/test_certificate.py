"""Showing a credential: its badge image, the printable certificate, the baked badge, LinkedIn."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import msgspec
import segno
from defusedxml import ElementTree
from pypdf import PdfReader

from credentials.badge import baked_credential
from credentials.validation import validate_ob3
from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests

TOKENS = "/api/v1/institutions/ucll/learners/tokens"
TITLE = "Microcredential Wondzorg in de thuisverpleging"
BASE = "http://127.0.0.1:8000"


async def _issued(client, ucll, email="an.peeters@example.org", name="An Peeters"):  # type: ignore[no-untyped-def]
    r = await issue(client, ucll, request_body(learner={"email": email, "name": name}))
    assert r.status_code == 201, r.text
    return r.json()["id"].rsplit("/", 1)[1], r


async def _token(client, ucll, email="an.peeters@example.org"):  # type: ignore[no-untyped-def]
    r = await client.post(TOKENS, json={"email": email}, headers=ucll)
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _short_url(text: str) -> str:
    found = re.search(re.escape(BASE) + r"/s/shr_[A-Za-z0-9_-]+", text)
    assert found, text
    return found[0]


async def test_issued_credentials_carry_a_badge_image_served_with_an_etag(client, ucll) -> None:  # type: ignore[no-untyped-def]
    _, r = await _issued(client, ucll)
    credential = r.json()
    image = credential["credentialSubject"]["achievement"]["image"]
    assert image == {"id": f"{BASE}/api/v1/institutions/ucll/courses/MC-TOETS/image.svg",
                     "type": "Image", "caption": TITLE}
    assert validate_ob3(credential) == []
    served = await client.get(image["id"].removeprefix(BASE))
    assert served.status_code == 200, served.text
    assert served.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(served.content)
    assert root.find("{http://www.w3.org/2000/svg}title").text == TITLE
    assert 'fill="#00586f"' in served.text  # UCLL's colour (migration 0015)
    again = await client.get(image["id"].removeprefix(BASE),
                             headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    missing = await client.get("/api/v1/institutions/ucll/courses/NOPE/image.svg")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_certificate_pdf_in_dutch_and_english(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await _issued(client, ucll, name="Zoë Ëlsbeth Peeters")
    an = await _token(client, ucll)
    nl = await client.get(f"/credentials/{cid}.pdf", headers=an)
    assert nl.status_code == 200, nl.text
    assert nl.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(nl.content)).pages) == 1
    box = PdfReader(io.BytesIO(nl.content)).pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = _text(nl.content)
    flat = " ".join(text.split())
    for expected in (TITLE, "Zoë Ëlsbeth Peeters", "UC Leuven-Limburg", "19 december 2025",
                     "Studiepunten (ECTS) 4", "EQF-niveau 6", "Leerresultaten",
                     ("Je beoordeelt een wond systematisch en documenteert ze in het "
                      "patiëntendossier."), "Je kiest een verbandmiddel op basis van wondfase"):
        assert expected in flat, expected
    assert "REVOKED" not in flat
    short = _short_url(text)
    en = await client.get(f"/credentials/{cid}.pdf?lang=en", headers=an)
    flat_en = " ".join(_text(en.content).split())
    for expected in ("Certificate".upper(), "awarded to", "19 December 2025", "Credits (ECTS) 4",
                     "EQF level 6", "Learning outcomes"):
        assert expected in flat_en, expected
    assert _short_url(flat_en) == short  # the same live link, reused
    assert (await client.get(f"/credentials/{cid}.pdf?lang=fr", headers=an)).status_code == 422


async def test_the_qr_code_encodes_the_printed_short_url(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await _issued(client, ucll)
    pdf = (await client.get(f"/credentials/{cid}.pdf", headers=await _token(client, ucll))).content
    short = _short_url(_text(pdf))
    matrix = [list(row) for row in segno.make(short, error="m").matrix_iter(border=0)]
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    cell = 34 / len(matrix) * 72 / 25.4  # the QR is 34 mm wide
    squares = [m for m in re.finditer(r"([\d.]+) ([-\d.]+) ([\d.]+) ([-\d.]+) re f", content)
               if abs(float(m[3]) - cell) < 0.01]
    assert len(squares) == sum(map(sum, matrix))  # one square per dark module of that URL


async def test_the_short_url_opens_the_share_until_the_learner_deletes_it(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid, issued = await _issued(client, ucll)
    an = await _token(client, ucll)
    short = _short_url(_text((await client.get(f"/credentials/{cid}.pdf", headers=an)).content))
    token = short.rsplit("/", 1)[1]
    hop = await client.get(short.removeprefix(BASE), follow_redirects=False)
    assert hop.status_code == 303 and hop.headers["location"] == f"/api/v1/shares/{token}"
    shared = await client.get(f"/api/v1/shares/{token}", headers={"Accept": "application/json"})
    assert shared.status_code == 200 and shared.content == issued.content
    assert (await client.delete(f"/api/v1/me/shares/{token}", headers=an)).status_code == 204
    assert (await client.get(f"/api/v1/shares/{token}")).status_code == 404
    renewed = _short_url(_text((await client.get(f"/credentials/{cid}.pdf", headers=an)).content))
    assert renewed != short
    assert (await client.get("/s/not-a-token", follow_redirects=False)).status_code == 404


async def test_only_holder_and_issuer_get_the_pdf(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await _issued(client, ucll)
    await _issued(client, ucll, email="bob@example.org", name="Bob")
    bob = await _token(client, ucll, "bob@example.org")
    vives = bearer(await make_key("vives", "issue"))
    assert (await client.get(f"/credentials/{cid}.pdf")).status_code == 404
    assert (await client.get(f"/credentials/{cid}.pdf", headers=bob)).status_code == 404
    assert (await client.get(f"/credentials/{cid}.pdf", headers=vives)).status_code == 404
    assert (await client.get(f"/credentials/{cid}/badge.svg", headers=bob)).status_code == 404
    issuer = await client.get(f"/credentials/{cid}.pdf", headers=ucll)
    assert issuer.status_code == 200 and "An Peeters" in _text(issuer.content)
    assert (await client.get("/credentials/00000000-0000-0000-0000-000000000000.pdf",
                             headers=ucll)).status_code == 404


async def test_a_revoked_or_suspended_certificate_says_so(client, ucll) -> None:  # type: ignore[no-untyped-def]
    revoked, _ = await _issued(client, ucll)
    suspended, _ = await _issued(client, ucll)
    an = await _token(client, ucll)
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{revoked}/revoke",
                          json={"reason": "issued in error"}, headers=ucll)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{suspended}/suspend",
                          headers=ucll)
    assert r.status_code == 200, r.text
    text = " ".join(_text((await client.get(f"/credentials/{revoked}.pdf?lang=en",
                                            headers=an)).content).split())
    assert "REVOKED" in text and "was revoked by the institution" in text
    nl = " ".join(_text((await client.get(f"/credentials/{revoked}.pdf",
                                          headers=an)).content).split())
    assert "REVOKED" in nl and "ingetrokken" in nl
    text = " ".join(_text((await client.get(f"/credentials/{suspended}.pdf?lang=en",
                                            headers=an)).content).split())
    assert "SUSPENDED" in text and "REVOKED" not in text


async def test_baked_badge_holds_the_signed_credential(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid, issued = await _issued(client, ucll)
    r = await client.get(f"/credentials/{cid}/badge.svg", headers=await _token(client, ucll))
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert baked_credential(r.content) == issued.content  # the exact signed bytes
    assert msgspec.json.decode(baked_credential(r.content))["proof"]


async def test_linkedin_link_goes_to_the_add_certification_form(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid, _ = await _issued(client, ucll)
    an = await _token(client, ucll)
    r = await client.get(f"/credentials/{cid}/linkedin", headers=an, follow_redirects=False)
    assert r.status_code == 303
    target = urlsplit(r.headers["location"])
    assert target.netloc == "www.linkedin.com" and target.path == "/profile/add"
    query = parse_qs(target.query)
    assert query["startTask"] == ["CERTIFICATION_NAME"] and query["name"] == [TITLE]
    assert query["organizationName"] == ["UC Leuven-Limburg"] and query["certId"] == [cid]
    assert (query["issueYear"], query["issueMonth"]) == (["2025"], ["12"])
    cert_url = query["certUrl"][0]
    assert cert_url.startswith(f"{BASE}/s/shr_")
    # Its own link, kept while it lives; not the certificate's.
    again = await client.get(f"/credentials/{cid}/linkedin", headers=an, follow_redirects=False)
    assert parse_qs(urlsplit(again.headers["location"]).query)["certUrl"] == [cert_url]
    pdf = (await client.get(f"/credentials/{cid}.pdf", headers=an)).content
    assert _short_url(_text(pdf)) != cert_url
    # The issuer prints certificates but does not fill in the learner's profile.
    assert (await client.get(f"/credentials/{cid}/linkedin", headers=ucll,
                             follow_redirects=False)).status_code == 404


async def test_purpose_links_are_derived_reused_and_renewed_with_a_new_secret(  # type: ignore[no-untyped-def]
        client, ucll, session) -> None:
    import hashlib
    import uuid

    from sqlalchemy import text

    from credentials.purpose_shares import purpose_share

    cid, _ = await _issued(client, ucll)
    ident = uuid.UUID(cid)
    first = await purpose_share(session, b"k" * 32, ident, "an.peeters@example.org", "certificate")
    assert await purpose_share(session, b"k" * 32, ident, "an.peeters@example.org",
                               "certificate") == first
    stored = (await session.execute(text(
        "SELECT token_hash, label FROM credential_share WHERE credential_id = :c"),
        {"c": ident})).all()
    assert stored == [(hashlib.sha256(first.encode()).hexdigest(), "certificate")]  # hash only
    rotated = await purpose_share(session, b"n" * 32, ident, "an.peeters@example.org",
                                  "certificate")
    assert rotated != first and rotated.startswith("shr_")  # one share-token scheme (#17 merge)


async def test_the_wallet_card_wears_the_institutions_colour(client) -> None:  # type: ignore[no-untyped-def]
    meta = (await client.get("/.well-known/openid-credential-issuer/institutions/ucll")).json()
    (config,) = meta["credential_configurations_supported"].values()
    assert {d["background_color"] for d in config["display"]} == {"#00586f"}
    logo = await client.get(config["display"][0]["logo"]["uri"].removeprefix(BASE))
    assert logo.status_code == 200 and 'fill="#00586f"' in logo.text
