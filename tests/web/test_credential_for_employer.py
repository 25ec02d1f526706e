"""Showing a credential to an employer (#19): what the credential page and /verify say.

The page leads with the EU elements the signed credential carries, in the page's language;
the verdict stays on top in words; the checks hide behind "How was this checked?" (the
only place a DID appears); the QR code opens a share link, never the holder-only page;
/verify takes a link of this registry and answers it from the database, never fetching.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.credentials import support
from tests.credentials.support import ISSUE, issue
from tests.forms import csrf_of
from tests.support import bearer
from web.locale import Formatter

app, ucll = support.app, support.ucll  # the fixtures (UCLL's key, MC-TOETS published)

BASE = "http://127.0.0.1:8000"  # the test settings' base URL
TOKENS = "/api/v1/institutions/ucll/learners/tokens"
HTML = {"Accept": "text/html"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _main(html: str) -> str:
    """The page without the "How was this checked?" disclosure."""
    before, _, rest = html.partition('<details class="how">')
    return before + rest.partition("</details>")[2]


async def _issued(client, ucll) -> str:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    return r.json()["id"].rsplit("/", 1)[-1]


async def _holder(client, ucll, email: str = "an.peeters@example.org") -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = await client.post(TOKENS, json={"email": email}, headers=ucll)
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


async def _share(client, ucll, cid: str) -> str:  # type: ignore[no-untyped-def]
    r = await client.post(f"/api/v1/me/credentials/{cid}/shares",
                          headers=await _holder(client, ucll))
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def test_a_share_link_shows_what_an_employer_needs_in_english(client, ucll) -> None:  # type: ignore[no-untyped-def]
    token = await _share(client, ucll, await _issued(client, ucll))
    r = await client.get(f"/api/v1/shares/{token}", params={"lang": "en"}, headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = _text(_main(r.text))
    assert "✔ Valid" in text and "UC Leuven-Limburg issued this credential" in text
    for fact in ("Earned by An Peeters",
                 "Achievement Microcredential Wondzorg in de thuisverpleging (microcredential)",
                 "Issued by UC Leuven-Limburg, Belgium", "Issued on 19 December 2025",
                 "Workload 4 ECTS", "EQF level 6", "Field of study (ISCED-F) 0913",
                 "Assessment portfolio", "Grade 15 on a scale of 0 to 20 (pass mark 10)",
                 "Participation blended (campus and online)", "Supervision supervised on site",
                 "Identity of the learner checked yes",
                 # a language map: the page's language
                 "Quality assurance UCLL internal quality assurance, under NVAO institutional review",
                 "Stackability stackable into a larger award",
                 "Learning outcomes Je beoordeelt een wond systematisch"):
        assert fact in text, fact
    # texts in the credential's own language say so to screen readers
    assert '<span lang="nl">Je beoordeelt een wond systematisch' in r.text
    assert "did:" not in _main(r.text)  # the issuer by name; its DID only in the disclosure
    how = r.text.partition('<details class="how">')[2].partition("</details>")[0]
    assert "How was this checked?" in how and "did:web:127.0.0.1%3A8000:institutions:ucll" in how
    assert "The digital signature matches" in _text(how)
    # the QR code opens this share link (short form), which anyone may open
    qr = re.search(r'<figure class="qr" id="qr">.*?<a\b[^>]*\bhref="([^"]+)"', r.text, re.DOTALL)
    assert qr and qr[1] == f"{BASE}/s/{token}"
    assert (await client.get(f"/s/{token}", headers=HTML, follow_redirects=True)).status_code == 200


async def test_the_same_page_in_dutch(client, ucll) -> None:  # type: ignore[no-untyped-def]
    token = await _share(client, ucll, await _issued(client, ucll))
    r = await client.get(f"/api/v1/shares/{token}", params={"lang": "nl"}, headers=HTML)
    text = _text(_main(r.text))
    assert '<html lang="nl">' in r.text and "✔ Geldig" in text
    for fact in ("Behaald door An Peeters", "Uitgereikt door UC Leuven-Limburg, België",
                 "Uitgereikt op 19 december 2025", "Studiebelasting 4 ECTS", "EQF-niveau 6",
                 "Beoordeling portfolio", "Resultaat 15 op een schaal van 0 tot 20",
                 "Deelname gemengd (campus en online)", "Toezicht onder toezicht, ter plaatse",
                 "Kwaliteitszorg Interne kwaliteitszorg van UCLL",
                 "Toelatingsvoorwaarden Diploma verpleegkunde"):
        assert fact in text, fact
    assert "Hoe werd dit gecontroleerd?" in r.text and "De digitale handtekening klopt" in r.text


async def test_revoked_and_suspended_say_so_with_the_day(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _issued(client, ucll)
    token = await _share(client, ucll, cid)
    r = await client.post(f"{ISSUE.format(slug='ucll')}/{cid}/suspend", json={}, headers=ucll)
    assert r.status_code == 200, r.text
    today = datetime.now(UTC).date()
    r = await client.get(f"/api/v1/shares/{token}", params={"lang": "en"}, headers=HTML)
    assert 'data-verdict="suspended"' in r.text
    assert f"Suspended since {Formatter('en').date(today)}" in _text(r.text)
    r = await client.post(f"{ISSUE.format(slug='ucll')}/{cid}/revoke", json={"reason": "fraud"},
                          headers=ucll)
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/shares/{token}", params={"lang": "nl"}, headers=HTML)
    text = _text(r.text)
    assert f"Ingetrokken op {Formatter('nl').date(today)}" in text
    assert "UC Leuven-Limburg trok deze credential in" in text  # in words, not by colour
    # the same credential pasted into /verify: the registry knows the day too
    document = (await client.get(f"/api/v1/credentials/{cid}", headers=ucll)).text
    r = await client.post("/verify", data={"credential": document}, params={"lang": "en"})
    assert f"Revoked on {Formatter('en').date(today)}" in _text(r.text)


async def test_the_holder_asks_for_a_qr_code_and_it_opens_a_share_link(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _issued(client, ucll)
    holder = await _holder(client, ucll)
    client.cookies.set("learner_token", holder["Authorization"].removeprefix("Bearer "))
    r = await client.get(f"/credentials/{cid}", params={"lang": "en"})
    assert "Make a QR code for an employer" in r.text and "<svg" not in r.text
    shares = (await client.get("/api/v1/me/shares", headers=holder)).json()["items"]
    assert shares == []  # showing the page made no public link

    csrf = await csrf_of(client, f"/credentials/{cid}")
    r = await client.post(f"/me/credentials/{cid}/qr", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/credentials/{cid}#qr"
    (made,) = (await client.get("/api/v1/me/shares", headers=holder)).json()["items"]
    assert made["label"] == "qr"
    r = await client.get(f"/credentials/{cid}", params={"lang": "en"})
    qr = re.search(r'<figure class="qr" id="qr">.*?<a\b[^>]*\bhref="([^"]+)"', r.text, re.DOTALL)
    assert qr and qr[1] == f"{BASE}/s/{made['token']}" and "<svg" in r.text
    assert "Delete the link under My credentials" in _text(r.text)
    # asked again: the same link, not a second one
    await client.post(f"/me/credentials/{cid}/qr", data={"csrf_token": csrf})
    assert len((await client.get("/api/v1/me/shares", headers=holder)).json()["items"]) == 1

    client.cookies.clear()  # a stranger, or a forged form without the holder's cookie
    r = await client.post(f"/me/credentials/{cid}/qr", data={"csrf_token": csrf})
    assert r.status_code in (403, 404)


async def test_nobody_else_gets_a_qr_code_of_the_holder_only_page(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _issued(client, ucll)
    r = await client.get(f"/credentials/{cid}", headers={**ucll, "Accept-Language": "en"})
    assert r.status_code == 200  # the issuer may read it ...
    assert "<svg" not in r.text and "Make a QR code" not in r.text  # ... but makes no link


async def test_verify_takes_a_share_link_of_this_registry(client, ucll) -> None:  # type: ignore[no-untyped-def]
    token = await _share(client, ucll, await _issued(client, ucll))
    for pasted in (f"{BASE}/s/{token}", f" {BASE}/api/v1/shares/{token}?format=json\n",
                   f"127.0.0.1:8000/s/{token}"):
        r = await client.post("/verify", data={"credential": pasted}, params={"lang": "en"})
        assert r.status_code == 200, (pasted, r.text)
        text = _text(_main(r.text))
        assert 'data-verdict="valid"' in r.text and "✔ Valid" in text
        assert "Earned by An Peeters" in text and "Workload 4 ECTS" in text
        assert f'href="{BASE}/s/{token}"' in r.text  # on to the credential's page


async def test_verify_says_in_words_why_a_link_is_not_ours(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _issued(client, ucll)
    token = await _share(client, ucll, cid)
    cases = {
        "https://evil.example/s/" + token: "This link is not a credential of this registry: "
                                           "we only open links of 127.0.0.1:8000",
        f"{BASE}/courses/ucll/MC-TOETS": "127.0.0.1:8000 has no credential at this address",
        f"{BASE}/s/shr_{'x' * 43}": "No credential is shared under this link",
        # by id: only for its holder and issuer, the same words whether it exists or not
        f"{BASE}/api/v1/credentials/{cid}": "only its holder and its issuer can open",
        f"{BASE}/credentials/00000000-0000-4000-8000-000000000000": "only its holder and its",
    }
    for pasted, said in cases.items():
        r = await client.post("/verify", data={"credential": pasted}, params={"lang": "en"})
        assert r.status_code == 422, pasted
        text = _text(r.text)
        assert "We could not verify this link" in text and said in text, (pasted, text)
        assert "JSON" not in text.partition("We could not verify")[2].partition(".")[0]
    r = await client.post("/verify", data={"credential": "https://evil.example/x"},
                          params={"lang": "nl"})
    assert "Deze link is geen credential van dit register" in _text(r.text)
    # the holder pasting their own credential's address is let through
    client.cookies.set("learner_token",
                       (await _holder(client, ucll))["Authorization"].removeprefix("Bearer "))
    r = await client.post("/verify", data={"credential": f"{BASE}/api/v1/credentials/{cid}"})
    assert r.status_code == 200 and 'data-verdict="valid"' in r.text


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that records what it is asked."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()
    thread.join()


async def test_verify_never_fetches_a_pasted_link(client, ucll, listener) -> None:  # type: ignore[no-untyped-def]
    """SSRF: a link to another server (here one on loopback, on another port than ours)
    is refused in words and never requested."""
    url, seen = listener
    token = await _share(client, ucll, await _issued(client, ucll))
    for pasted in (f"{url}/s/{token}", f"{url}/api/v1/shares/{token}", f"{url}/latest/meta-data"):
        r = await client.post("/verify", data={"credential": pasted}, params={"lang": "en"})
        assert r.status_code == 422 and "not a credential of this registry" in r.text
    assert seen == []


async def test_a_tampered_credential_is_not_valid_and_says_why(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _issued(client, ucll)
    document = (await client.get(f"/api/v1/credentials/{cid}", headers=ucll)).json()
    document["credentialSubject"]["creditsEarned"] = 40
    r = await client.post("/verify", data={"credential": json.dumps(document)},
                          params={"lang": "en"})
    text = _text(_main(r.text))
    assert 'data-verdict="invalid"' in r.text and "✘ Not valid" in text
    assert "Do not rely on this credential: The digital signature does not match" in text


@pytest.mark.parametrize("odd", [
    [], 5, "text", {"issuer": "did:web:x", "hasPart": "http://x/y", "evidence": 3},
    {"credentialSubject": {"achievement": {"alignment": 7, "resultDescription": {"a": 1},
                                           "criteria": {"narrative": 5}},
                           "identifier": 3, "result": [{"value": "A"}], "creditsEarned": True},
     "issuer": {"name": {"xx": "Name"}, "address": {"addressCountryCode": {"x": 1}}},
     "validFrom": 20251219, "name": ["a"]},
])
async def test_verify_reads_whatever_is_pasted_without_failing(client, odd) -> None:  # type: ignore[no-untyped-def]
    """A pasted document may be anything: the page says it is not valid, never a 500."""
    r = await client.post("/verify", data={"credential": json.dumps(odd)}, params={"lang": "en"})
    assert r.status_code == 200, r.text
    assert 'data-verdict="invalid"' in r.text and "Not valid" in r.text
